import { PageHeader } from '../layout/ConsoleShell';

export function AuditPage() {
  return <PageHeader title="AuditPage" intro="Not built yet." />;
}
