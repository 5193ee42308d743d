import { useBehavior } from '../ui/observable-hooks';
import type { WorkspaceSession } from './session';
import { syncIndicatorText } from './sync-indicator';

/**
 * Always visible: whether this computer is in step with the server. `aria-live` so that a screen
 * reader hears "Offline" when the connection drops, without the person having to look.
 */
export function SyncStatusIndicator({ session }: { session: WorkspaceSession }) {
  const indicator = useBehavior(session.indicator$);
  const text = syncIndicatorText(indicator);
  return (
    <div
      className={`sync-status sync-${indicator}`}
      data-testid="sync-status"
      data-status={indicator}
      role="status"
      aria-live="polite"
      title={text.detail}
    >
      <span className="sync-dot" aria-hidden="true" />
      <span className="sync-label">{text.label}</span>
      <span className="visually-hidden">. {text.detail}</span>
    </div>
  );
}
