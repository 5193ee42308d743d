import { PageHeader } from '../layout/ConsoleShell';

export function RolesPage() {
  return <PageHeader title="RolesPage" intro="Not built yet." />;
}
