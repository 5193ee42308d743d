import { PageHeader } from '../layout/ConsoleShell';

export function MembersPage() {
  return <PageHeader title="MembersPage" intro="Not built yet." />;
}
