import { PageHeader } from '../layout/ConsoleShell';

export function WorkspaceSettingsPage() {
  return <PageHeader title="WorkspaceSettingsPage" intro="Not built yet." />;
}
