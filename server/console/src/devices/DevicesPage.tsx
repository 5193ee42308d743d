import { PageHeader } from '../layout/ConsoleShell';

export function DevicesPage() {
  return <PageHeader title="DevicesPage" intro="Not built yet." />;
}
