import type { EntityTypeDef } from '@enclave/shared';
import { useRecordCount } from '../records/record-hooks';
import type { WorkspaceSession } from './session';
import { SyncStatusIndicator } from './SyncStatusIndicator';
import { Icon } from '@enclave/ui';

export type View =
  | { kind: 'records'; type: string; focusId: string | null; nonce: number }
  | { kind: 'assistant' }
  | { kind: 'proposals'; focusId: string | null; nonce: number }
  | { kind: 'activity' }
  | { kind: 'settings' };

const exact = new Intl.NumberFormat();
const compact = new Intl.NumberFormat(undefined, { notation: 'compact' });

function TypeCount({ session, type }: { session: WorkspaceSession; type: string }) {
  const value = useRecordCount(session, type);
  if (value === undefined) return <span className="nav-count" />;
  return <span className="nav-count">{value < 10_000 ? exact.format(value) : compact.format(value)}</span>;
}

/** Record types (with counts), then the AI, Activity and Settings; sync status at the foot, always in view. */
export function Sidebar({
  session,
  workspaceName,
  entities,
  view,
  onNavigate,
}: {
  session: WorkspaceSession;
  workspaceName: string;
  entities: readonly EntityTypeDef[];
  view: View;
  onNavigate: (view: View) => void;
}) {
  const current = (active: boolean) => (active ? ('page' as const) : undefined);
  return (
    <nav className="sidebar" aria-label="Workspace">
      <div className="sidebar-header">
        <span className="workspace-mark" aria-hidden="true">
          {workspaceName.trim().charAt(0).toUpperCase() || 'E'}
        </span>
        <span className="workspace-name" title={workspaceName}>
          {workspaceName}
        </span>
      </div>
      <div className="nav-section">
        <p className="nav-heading" id="nav-records">
          Records
        </p>
        <ul aria-labelledby="nav-records">
          {entities.map((entity, index) => {
            const active = view.kind === 'records' && view.type === entity.key;
            return (
              <li key={entity.key}>
                <button
                  type="button"
                  className={active ? 'nav-item active' : 'nav-item'}
                  aria-current={current(active)}
                  data-testid={`nav-type-${entity.key}`}
                  title={index < 9 ? `${entity.pluralLabel} (Ctrl+${String(index + 1)})` : entity.pluralLabel}
                  onClick={() => onNavigate({ kind: 'records', type: entity.key, focusId: null, nonce: 0 })}
                >
                  <Icon name="rows" size={14} />
                  <span className="nav-label">{entity.pluralLabel}</span>
                  <TypeCount session={session} type={entity.key} />
                </button>
              </li>
            );
          })}
          {entities.length === 0 && <li className="nav-empty">This workspace has no record types yet.</li>}
        </ul>
      </div>
      <div className="nav-section">
        <ul>
          <li>
            <button
              type="button"
              className={view.kind === 'assistant' ? 'nav-item active' : 'nav-item'}
              aria-current={current(view.kind === 'assistant')}
              data-testid="nav-assistant"
              onClick={() => onNavigate({ kind: 'assistant' })}
            >
              <Icon name="info" size={14} />
              <span className="nav-label">Assistant</span>
            </button>
          </li>
          <li>
            <button
              type="button"
              className={view.kind === 'proposals' ? 'nav-item active' : 'nav-item'}
              aria-current={current(view.kind === 'proposals')}
              data-testid="nav-proposals"
              onClick={() => onNavigate({ kind: 'proposals', focusId: null, nonce: 0 })}
            >
              <Icon name="check" size={14} />
              <span className="nav-label">Proposals</span>
            </button>
          </li>
          <li>
            <button
              type="button"
              className={view.kind === 'activity' ? 'nav-item active' : 'nav-item'}
              aria-current={current(view.kind === 'activity')}
              data-testid="nav-activity"
              onClick={() => onNavigate({ kind: 'activity' })}
            >
              <Icon name="activity" size={14} />
              <span className="nav-label">Activity</span>
            </button>
          </li>
          <li>
            <button
              type="button"
              className={view.kind === 'settings' ? 'nav-item active' : 'nav-item'}
              aria-current={current(view.kind === 'settings')}
              data-testid="nav-settings"
              onClick={() => onNavigate({ kind: 'settings' })}
            >
              <Icon name="settings" size={14} />
              <span className="nav-label">Settings</span>
            </button>
          </li>
        </ul>
      </div>
      <div className="sidebar-footer">
        <SyncStatusIndicator session={session} />
      </div>
    </nav>
  );
}
