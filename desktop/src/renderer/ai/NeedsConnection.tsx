import { Icon } from '@enclave/ui';
import type { BridgeError } from '../bridge/client';

/** Whether a failure means only that the server could not be reached: nothing was refused. */
export function isUnreachable(error: BridgeError | null | undefined): boolean {
  return error?.code === 'server_unreachable';
}

/**
 * The AI runs on the server, not in the replica: offline, the app says so plainly instead of
 * showing an error. `compact` for a line under something already shown.
 */
export function NeedsConnection({
  title,
  children,
  compact = false,
}: {
  title: string;
  children: string;
  compact?: boolean;
}) {
  if (compact) {
    return (
      <div className="notice warning" role="status" data-testid="ai-needs-connection">
        <Icon name="info" />
        <div>
          <strong>{title}</strong>
          <p>{children}</p>
        </div>
      </div>
    );
  }
  return (
    <div className="empty-state" role="status" data-testid="ai-needs-connection">
      <Icon name="info" size={28} />
      <h2>{title}</h2>
      <p>{children}</p>
    </div>
  );
}
