import { createContext, useContext } from 'react';
import type { AppState, DeviceSelf } from '@enclave/shared';
import type { WorkspaceSession } from './session';

export interface WorkspaceContextValue {
  session: WorkspaceSession;
  state: Extract<AppState, { kind: 'paired' }>;
  /** This device, workspace and schema (from the server, or the local cache when offline). */
  self: DeviceSelf;
  onState: (state: AppState) => void;
}

export const WorkspaceContext = createContext<WorkspaceContextValue | null>(null);

export function useWorkspace(): WorkspaceContextValue {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error('useWorkspace outside of an open workspace');
  return value;
}
