import { PageHeader } from '../layout/ConsoleShell';

export function AccountPage() {
  return <PageHeader title="AccountPage" intro="Not built yet." />;
}
