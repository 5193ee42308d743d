import { PageHeader } from '../layout/ConsoleShell';

export function RecordsPage() {
  return <PageHeader title="RecordsPage" intro="Not built yet." />;
}
