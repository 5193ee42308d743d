import { useCallback, useEffect, type ReactNode } from 'react';
import { CenteredScreen, CrashBoundary, ErrorNote, Spinner } from '@enclave/ui';
import { call } from './api/client';
import { useResource } from './api/use-resource';
import { matchPath, navigate, useLocation } from './app/router';
import { useSession } from './app/session';
import { rolesOf, WorkspaceProvider } from './app/workspace';
import { AccountPage } from './account/AccountPage';
import { AiSettingsPage } from './ai/AiSettingsPage';
import { AiUsagePage } from './ai/AiUsagePage';
import { AssistantPage } from './ai/AssistantPage';
import { ProposalsPage } from './ai/ProposalsPage';
import { AuditPage } from './audit/AuditPage';
import { ForgotPasswordPage } from './auth/ForgotPasswordPage';
import { InvitePage } from './auth/InvitePage';
import { ResetPasswordPage } from './auth/ResetPasswordPage';
import { SetupPage } from './auth/SetupPage';
import { SignInPage } from './auth/SignInPage';
import { SignUpPage } from './auth/SignUpPage';
import { VerifyEmailPage } from './auth/VerifyEmailPage';
import { DevicesPage } from './devices/DevicesPage';
import { ConsoleShell, type WorkspaceSection } from './layout/ConsoleShell';
import { MembersPage } from './members/MembersPage';
import { RolesPage } from './members/RolesPage';
import { RecordsPage } from './records/RecordsPage';
import { SchemaPage } from './schema/SchemaPage';
import { WorkspaceSettingsPage } from './workspaces/WorkspaceSettingsPage';
import { WorkspacesPage } from './workspaces/WorkspacesPage';

/** Pages reached from links and by people who are not signed in (yet). */
const PUBLIC_PAGES: Record<string, () => ReactNode> = {
  '/sign-in': () => <SignInPage />,
  '/sign-up': () => <SignUpPage />,
  '/forgot-password': () => <ForgotPasswordPage />,
  '/reset-password': () => <ResetPasswordPage />,
  '/verify-email': () => <VerifyEmailPage />,
  '/setup': () => <SetupPage />,
  '/invite': () => <InvitePage />,
};

const WORKSPACE_PAGES: Record<WorkspaceSection, () => ReactNode> = {
  records: () => <RecordsPage />,
  devices: () => <DevicesPage />,
  members: () => <MembersPage />,
  roles: () => <RolesPage />,
  schema: () => <SchemaPage />,
  audit: () => <AuditPage />,
  assistant: () => <AssistantPage />,
  proposals: () => <ProposalsPage />,
  ai: () => <AiSettingsPage />,
  usage: () => <AiUsagePage />,
  settings: () => <WorkspaceSettingsPage />,
};

function isSection(value: string): value is WorkspaceSection {
  return value in WORKSPACE_PAGES;
}

export function App() {
  const { path } = useLocation();
  const { me } = useSession();
  const publicPage = PUBLIC_PAGES[path];
  if (publicPage)
    return <CrashBoundary reassurance="Nothing was changed by this failure.">{publicPage()}</CrashBoundary>;
  if (me === undefined) {
    return (
      <CenteredScreen title="Enclave">
        <Spinner label="Loading" />
      </CenteredScreen>
    );
  }
  if (me === null) return <RedirectToSignIn />;
  return (
    <CrashBoundary reassurance="Your data is safe on the server.">
      <SignedIn path={path} />
    </CrashBoundary>
  );
}

function RedirectToSignIn() {
  const { path, query } = useLocation();
  useEffect(() => {
    const next =
      path === '/' ? '' : `?next=${encodeURIComponent(path + (query.size ? `?${query.toString()}` : ''))}`;
    navigate(`/sign-in${next}`, { replace: true });
  }, [path, query]);
  return null;
}

function SignedIn({ path }: { path: string }) {
  const workspaces = useResource('workspaces', () => call('listWorkspaces', {}));
  const items = workspaces.data?.items ?? [];
  const inWorkspace = matchPath('/w/:workspaceId/:section/*', path);
  const reload = useCallback(() => workspaces.reload(), [workspaces]);

  useEffect(() => {
    if (path === '/' || path === '') navigate('/workspaces', { replace: true });
  }, [path]);

  if (path === '/workspaces' || path === '/' || path === '') {
    return (
      <ConsoleShell workspaces={items} workspace={null} section="workspaces" isAdmin={false}>
        <WorkspacesPage workspaces={workspaces} />
      </ConsoleShell>
    );
  }
  if (path === '/account') {
    return (
      <ConsoleShell workspaces={items} workspace={null} section="account" isAdmin={false}>
        <AccountPage />
      </ConsoleShell>
    );
  }
  if (inWorkspace && isSection(inWorkspace.section ?? '')) {
    const section = inWorkspace.section as WorkspaceSection;
    const workspace = items.find((w) => w.id === inWorkspace.workspaceId);
    if (!workspaces.data) {
      return (
        <ConsoleShell workspaces={items} workspace={null} section={section} isAdmin={false}>
          {workspaces.error ? <ErrorNote error={workspaces.error} /> : <Spinner label="Loading" />}
        </ConsoleShell>
      );
    }
    if (!workspace)
      return (
        <NotFound items={items} message="This workspace does not exist, or you are not a member of it." />
      );
    const roles = rolesOf(workspace);
    if (!workspace.available) {
      return (
        <ConsoleShell workspaces={items} workspace={workspace} section={section} isAdmin={roles.isAdmin}>
          <div className="page console-page">
            <div className="notice danger" role="alert" data-testid="workspace-unavailable">
              <strong>This workspace is unavailable.</strong> Its database on the server is missing or
              damaged; nothing of it can be read until the server's operator restores it.
            </div>
          </div>
        </ConsoleShell>
      );
    }
    return (
      <ConsoleShell workspaces={items} workspace={workspace} section={section} isAdmin={roles.isAdmin}>
        <WorkspaceProvider key={workspace.id} value={{ workspace, ...roles, reload }}>
          {WORKSPACE_PAGES[section]()}
        </WorkspaceProvider>
      </ConsoleShell>
    );
  }
  return <NotFound items={items} message="There is no such page in the console." />;
}

function NotFound({
  items,
  message,
}: {
  items: readonly import('@enclave/shared').WorkspaceSummary[];
  message: string;
}) {
  return (
    <ConsoleShell workspaces={items} workspace={null} section="workspaces" isAdmin={false}>
      <div className="page console-page" data-testid="not-found">
        <h1 className="screen-title">Not found</h1>
        <p className="lead">{message}</p>
        <p>
          <a href="/console/workspaces">Go to your workspaces</a>
        </p>
      </div>
    </ConsoleShell>
  );
}
