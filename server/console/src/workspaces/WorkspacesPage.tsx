import type { WorkspaceList } from '@enclave/shared';
import { ErrorNote, Spinner } from '@enclave/ui';
import type { z } from 'zod';
import type { Resource } from '../api/use-resource';
import { Link } from '../app/router';
import { PageHeader } from '../layout/ConsoleShell';

export function WorkspacesPage({ workspaces }: { workspaces: Resource<z.infer<typeof WorkspaceList>> }) {
  const items = workspaces.data?.items;
  return (
    <div className="page console-page" data-testid="workspaces-page">
      <PageHeader title="Workspaces" intro="The workspaces you belong to." />
      {workspaces.error && <ErrorNote error={workspaces.error} />}
      {!items && !workspaces.error && <Spinner label="Loading workspaces" />}
      {items && (
        <ul className="card-list">
          {items.map((w) => (
            <li key={w.id}>
              <Link to={`/w/${w.id}/records`} data-testid="workspace-link">
                {w.name}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
