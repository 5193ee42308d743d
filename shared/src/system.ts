import { z } from 'zod';

/**
 * `/readyz`: whether this server can serve. `degraded` still serves (200), but some workspaces
 * cannot be opened; `not_ready` (503) means it cannot write or read its own database. The body names
 * no workspace, since anyone may ask: the server's log and the CLI do.
 */
export const Readiness = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']),
  /** The control database answers. */
  database: z.enum(['ok', 'unavailable']),
  /** `full`: the disk has no room, so writes are refused with `storage_full` until it has. */
  storage: z.enum(['ok', 'full']),
  /** How many registered workspaces have a missing or damaged database file. */
  unavailableWorkspaces: z.number().int().nonnegative(),
});
export type Readiness = z.infer<typeof Readiness>;
