/**
 * The servers of the initial-sync-into-the-replica benchmark, in a process of their own, as a
 * server is to the desktop app: `node --import tsx test/bench/sync-servers.ts <records>...`.
 *
 * One real Enclave server with a workspace of each size (seeded through the engine), and beside
 * each workspace the peer's RxDB replication-websocket server (a memory database holding the same
 * documents) and the floor's page server (replica-sync-sides.ts). Prints one JSON line
 * (`SyncServers`) once all are listening, and stops when its standard input closes.
 */
import type { TestClient } from '../../server/src/test-support/test-client';
import { createWorkspace } from '../../server/src/test-support/test-server';
import { startFloorServer } from './replica-sync-sides';
import { seedRecords, startPeerServer, syncFixture, type SyncFixture } from './sync-fixtures';

export interface SyncServers {
  url: string;
  /** The owner's session, for pairing codes. */
  owner: Pick<TestClient, 'cookie' | 'email' | 'userId'>;
  bySize: Record<string, { workspaceId: string; peerUrl: string; floorUrl: string }>;
}

const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
  throw new Error('usage: sync-servers.ts <records>...');
}

const f = await syncFixture();
const closers: (() => Promise<void>)[] = [];
const servers: SyncServers = {
  url: f.t.url,
  owner: { cookie: f.owner.cookie, email: f.owner.email, userId: f.owner.userId },
  bySize: {},
};
for (const size of sizes) {
  const workspaceId = await createWorkspace(f.owner, `Bench ${String(size)}`, 'standard');
  const scoped: SyncFixture = { ...f, workspaceId, ctx: { ...f.ctx, workspaceId } };
  await seedRecords(scoped, size);
  const peer = await startPeerServer(scoped, size);
  const floor = await startFloorServer(f, workspaceId);
  closers.push(peer.close, floor.close);
  servers.bySize[String(size)] = { workspaceId, peerUrl: peer.url, floorUrl: floor.url };
}
process.stdout.write(`${JSON.stringify(servers)}\n`);

process.stdin.resume();
process.stdin.once('end', () => {
  void (async () => {
    for (const close of closers) await close();
    await f.t.close();
    process.exit(0);
  })();
});
