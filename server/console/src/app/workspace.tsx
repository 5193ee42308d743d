import { createContext, useContext, type ReactNode } from 'react';
import type { WorkspaceSummary } from '@enclave/shared';

export interface WorkspaceContextValue {
  workspace: WorkspaceSummary;
  /** Owners and admins manage members, roles, schema and everyone's devices. */
  isAdmin: boolean;
  isOwner: boolean;
  /** Asks the server again for the workspace (after a rename). */
  reload: () => Promise<void>;
}

const WorkspaceContext = createContext<WorkspaceContextValue | null>(null);

export function WorkspaceProvider({
  value,
  children,
}: {
  value: WorkspaceContextValue;
  children: ReactNode;
}) {
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

/**
 * The workspace a page is about. What the console shows or hides by role is for convenience only:
 * the server decides every request on its own.
 */
export function useWorkspace(): WorkspaceContextValue {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error('useWorkspace outside a workspace page');
  return value;
}

export function rolesOf(workspace: WorkspaceSummary): { isAdmin: boolean; isOwner: boolean } {
  const isOwner = workspace.roles.includes('owner');
  return { isOwner, isAdmin: isOwner || workspace.roles.includes('admin') };
}
