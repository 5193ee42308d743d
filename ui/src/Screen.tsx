import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';

/** The quiet, centred page of every state that is not the workspace (pairing, errors, revoked). */
export function CenteredScreen({
  icon,
  tone = 'neutral',
  title,
  children,
  testId,
  data,
}: {
  icon?: IconName;
  tone?: 'neutral' | 'warning' | 'danger';
  title: string;
  children: ReactNode;
  testId?: string;
  data?: Record<`data-${string}`, string>;
}) {
  return (
    <main className="centered-screen" data-testid={testId} {...data}>
      <div className="centered-card">
        <div className={`screen-mark tone-${tone}`}>
          <Icon name={icon ?? 'shield'} size={22} />
        </div>
        <h1 className="screen-title">{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function Spinner({ label }: { label: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}
