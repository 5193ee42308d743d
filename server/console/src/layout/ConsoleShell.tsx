import { useLayoutEffect, useRef, type ReactNode } from 'react';
import type { WorkspaceSummary } from '@enclave/shared';
import { Icon, type IconName } from '@enclave/ui';
import { Link, navigate } from '../app/router';
import { useMe } from '../app/session';
import { AiUsageBanner } from '../ai/AiUsageBanner';
import { SignOutButton } from '../auth/SignOutButton';

export type WorkspaceSection =
  | 'records'
  | 'devices'
  | 'members'
  | 'roles'
  | 'schema'
  | 'audit'
  | 'assistant'
  | 'proposals'
  | 'ai'
  | 'usage'
  | 'settings';

const SECTIONS: { key: WorkspaceSection; label: string; icon: IconName; adminOnly?: boolean }[] = [
  { key: 'records', label: 'Records', icon: 'rows' },
  { key: 'devices', label: 'Devices', icon: 'laptop' },
  { key: 'members', label: 'Members', icon: 'shield' },
  { key: 'roles', label: 'Roles', icon: 'key', adminOnly: true },
  { key: 'schema', label: 'Schema', icon: 'folder' },
  { key: 'audit', label: 'Audit log', icon: 'activity' },
  { key: 'assistant', label: 'Assistant', icon: 'info' },
  { key: 'proposals', label: 'Proposals', icon: 'check' },
  { key: 'ai', label: 'AI settings', icon: 'eye' },
  { key: 'usage', label: 'AI usage', icon: 'gauge' },
  { key: 'settings', label: 'Settings', icon: 'settings' },
];

/**
 * The frame of every signed-in page: the workspace switcher and its sections on the left, the
 * account at the foot, the page on the right. The same look as the desktop app's sidebar.
 */
export function ConsoleShell({
  workspaces,
  workspace,
  section,
  isAdmin,
  children,
}: {
  workspaces: readonly WorkspaceSummary[];
  workspace: WorkspaceSummary | null;
  section: WorkspaceSection | 'workspaces' | 'account';
  isAdmin: boolean;
  children: ReactNode;
}) {
  const me = useMe();
  const current = (active: boolean) => (active ? ('page' as const) : undefined);
  // <main> outlives the pages shown in it: another section or workspace starts at its top.
  const main = useRef<HTMLElement>(null);
  const place = `${workspace?.id ?? ''}/${section}`;
  useLayoutEffect(() => {
    main.current?.scrollTo({ top: 0 });
  }, [place]);
  return (
    <div className="app-shell console-shell">
      <nav className="sidebar" aria-label="Console">
        <div className="sidebar-header">
          <span className="workspace-mark" aria-hidden="true">
            {workspace?.name.trim().charAt(0).toUpperCase() || 'E'}
          </span>
          {workspaces.length > 0 ? (
            <select
              className="workspace-switcher"
              aria-label="Workspace"
              data-testid="workspace-switcher"
              value={workspace?.id ?? ''}
              onChange={(event) =>
                navigate(
                  event.target.value
                    ? `/w/${event.target.value}/${section === 'workspaces' || section === 'account' ? 'records' : section}`
                    : '/workspaces',
                )
              }
            >
              {!workspace && <option value="">Choose a workspace</option>}
              {workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          ) : (
            <span className="workspace-name">Enclave</span>
          )}
        </div>
        {workspace && (
          <div className="nav-section">
            <ul>
              {SECTIONS.filter((s) => !s.adminOnly || isAdmin).map((s) => (
                <li key={s.key}>
                  <Link
                    to={`/w/${workspace.id}/${s.key}`}
                    className={section === s.key ? 'nav-item active' : 'nav-item'}
                    aria-current={current(section === s.key)}
                    data-testid={`nav-${s.key}`}
                  >
                    <Icon name={s.icon} size={14} />
                    <span className="nav-label">{s.label}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="nav-section">
          <ul>
            <li>
              <Link
                to="/workspaces"
                className={section === 'workspaces' ? 'nav-item active' : 'nav-item'}
                aria-current={current(section === 'workspaces')}
                data-testid="nav-workspaces"
              >
                <Icon name="folder" size={14} />
                <span className="nav-label">All workspaces</span>
              </Link>
            </li>
          </ul>
        </div>
        <div className="sidebar-footer console-account">
          <Link
            to="/account"
            className={section === 'account' ? 'nav-item active' : 'nav-item'}
            aria-current={current(section === 'account')}
            data-testid="nav-account"
          >
            <Icon name="lock" size={14} />
            <span className="nav-label" title={me.email}>
              {me.name}
            </span>
          </Link>
          <SignOutButton />
        </div>
      </nav>
      {/* The one scroll container of every page, in the tab order so that a keyboard can scroll a
          page that holds no control (axe: scrollable-region-focusable); no page scrolls itself. */}
      <main className="main-area console-main" id="main" tabIndex={0} ref={main}>
        {workspace && <AiUsageBanner key={workspace.id} workspaceId={workspace.id} />}
        {children}
      </main>
    </div>
  );
}

/** A page's title row and, below it, what the page is for. */
export function PageHeader({
  title,
  intro,
  actions,
}: {
  title: string;
  intro?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <>
      <header className="view-header">
        <h1>{title}</h1>
        <span className="spacer" />
        {actions}
      </header>
      {intro && <p className="page-intro">{intro}</p>}
    </>
  );
}
