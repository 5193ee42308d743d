import { randomUUID } from 'node:crypto';
import type { OperationContext } from '../../server/src/engine/context';
import type { CommandEngine } from '../../server/src/engine/engine';
import type { Store } from '../../server/src/store/types';
import { WorkspacesService } from '../../server/src/workspaces/workspaces.service';

/** Helpers the server-side benchmarks share: statistics, and a workspace with its owner. */

/** One figure measured over several rounds: each round's value, the median and the spread. */
export interface Measured {
  median: number;
  runs: number[];
  /** (max − min) / median. */
  spread: number;
}

export function measured(runs: readonly number[]): Measured {
  const sorted = [...runs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const spread = ((sorted.at(-1) as number) - (sorted[0] as number)) / median;
  // Small rates keep two decimals (a query a second at 100,000 documents), large ones none.
  const rounded = (n: number) => (n >= 100 ? Math.round(n) : Number(n.toFixed(2)));
  return { median: rounded(median), runs: runs.map(rounded), spread: Number(spread.toFixed(3)) };
}

/** A standard-template workspace and its owner, made through the service as the console makes one. */
export async function benchWorkspace(
  store: Store,
  engine: CommandEngine,
): Promise<{ workspaceId: string; ctx: OperationContext }> {
  const now = new Date().toISOString();
  const owner = {
    id: randomUUID(),
    email: 'bench@example.com',
    name: 'Bench',
    passwordHash: 'x',
    emailVerifiedAt: now,
    instanceAdmin: false,
    createdAt: now,
  };
  await store.control.createUser(owner);
  const request = { ip: '127.0.0.1', userAgent: 'bench', requestId: null };
  const summary = await new WorkspacesService(store, engine).create(owner, 'Bench', 'standard', request);
  return {
    workspaceId: summary.id,
    ctx: {
      workspaceId: summary.id,
      actor: { kind: 'user', id: owner.id, label: owner.email },
      principal: { userId: owner.id, email: owner.email, name: owner.name },
      request,
    },
  };
}
