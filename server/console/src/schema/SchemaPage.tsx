import { PageHeader } from '../layout/ConsoleShell';

export function SchemaPage() {
  return <PageHeader title="SchemaPage" intro="Not built yet." />;
}
