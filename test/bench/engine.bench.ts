import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '../../server/src/crypto/uuid7';
import { ChangeFeed } from '../../server/src/engine/change-feed';
import type { OperationContext } from '../../server/src/engine/context';
import { CommandEngine } from '../../server/src/engine/engine';
import { EmbeddedStore, workspaceDbPath } from '../../server/src/store/sqlite/embedded-store';
import { deriveKey, unwrapKey } from '../../server/src/crypto/keys';
import { openEncrypted } from '../../server/src/store/sqlite/open';
import { WorkspacesService } from '../../server/src/workspaces/workspaces.service';

export interface EngineBenchResult {
  name: string;
  batchSize: number;
  records: number;
  engineRecordsPerSec: number;
  rawRecordsPerSec: number;
  /** engine / raw: the share of the raw insert rate the full engine keeps. */
  ratio: number;
  /** What the two sides are, so that the figures can be read without the code. */
  method: string;
  target: number;
  meetsTarget: boolean;
}

const clientData = (i: number) => ({
  name: `Client ${i} ${randomUUID()}`,
  status: 'active',
  email: `client${i}@example.com`,
  phone: '+44 20 7946 0958',
  notes: 'Met at the conference; prefers email. '.repeat(3),
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Records created per second through the full engine (validate + authorise + write + audit +
 * publish) against plain INSERTs into an identical encrypted workspace database, same run, same
 * batch sizes. Each figure is the median of three rounds.
 */
export async function benchEngine(): Promise<EngineBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-bench-'));
  try {
    const masterKey = randomBytes(32);
    const store = new EmbeddedStore(dir, Buffer.from(masterKey));
    const feed = new ChangeFeed();
    let published = 0;
    feed.subscribe((c) => (published += c.events.length));
    const engine = new CommandEngine(store, feed);
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
    const ctx: OperationContext = {
      workspaceId: summary.id,
      actor: { kind: 'user', id: owner.id, label: owner.email },
      principal: { userId: owner.id, email: owner.email, name: owner.name },
      request,
    };

    // The raw side writes plain INSERTs into the very database the engine writes to, through a
    // second connection: both sides see the same table, indexes, cache and WAL as they grow.
    const wrapped = (await store.control.getWorkspace(summary.id))?.wrappedKey ?? '';
    const raw = openEncrypted(
      workspaceDbPath(dir, summary.id),
      unwrapKey(deriveKey(masterKey, 'workspace-key-wrap'), wrapped, summary.id),
      { cacheKiB: 32_768 },
    );
    const insert = raw.prepare(
      `INSERT INTO records (id, type, data, rev, seq, created_at, updated_at, deleted_at)
       VALUES (?, 'client', ?, 1, ?, ?, ?, NULL)`,
    );
    // Far above the sequence numbers the engine hands out here, so the two sides never collide.
    let rawSeq = 1_000_000_000;
    const rawBatch = raw.transaction((n: number) => {
      for (let i = 0; i < n; i++) {
        const t = new Date().toISOString();
        // The same id generator the engine uses for new records.
        insert.run(uuidv7(), JSON.stringify(clientData(i)), ++rawSeq, t, t);
      }
    });

    const results: EngineBenchResult[] = [];
    for (const [batchSize, total] of [
      [1, 2_000],
      [100, 20_000],
    ] as const) {
      const engineRates: number[] = [];
      const rawRates: number[] = [];
      const runEngine = async () => {
        const start = performance.now();
        for (let done = 0; done < total; done += batchSize) {
          const ops = Array.from({ length: batchSize }, (_, i) => ({
            type: 'record.create',
            entityType: 'client',
            data: clientData(done + i),
          }));
          await engine.executeBatch(ctx, ops);
        }
        engineRates.push(total / ((performance.now() - start) / 1000));
      };
      const runRaw = () => {
        const start = performance.now();
        for (let done = 0; done < total; done += batchSize) rawBatch(batchSize);
        rawRates.push(total / ((performance.now() - start) / 1000));
      };
      // Alternate which side goes first, so that neither always inherits the other's garbage
      // collection or checkpoint debt.
      for (let round = 0; round < 3; round++) {
        if (round % 2 === 0) {
          await runEngine();
          runRaw();
        } else {
          runRaw();
          await runEngine();
        }
      }
      const engineRate = median(engineRates);
      const rawRate = median(rawRates);
      const ratio = engineRate / rawRate;
      results.push({
        name: 'engine.recordCreate',
        batchSize,
        records: total,
        engineRecordsPerSec: Math.round(engineRate),
        rawRecordsPerSec: Math.round(rawRate),
        ratio: Number(ratio.toFixed(3)),
        method:
          'engine: CommandEngine.executeBatch of record.create (validate, authorise, write, audit, publish); ' +
          'raw: plain INSERTs of the same records into the same encrypted workspace database through a second ' +
          'connection, one transaction per batch; sides alternate first place; median of 3 rounds',
        target: 0.25,
        meetsTarget: ratio >= 0.25,
      });
    }
    if (published === 0)
      throw new Error('the change feed published nothing: the engine path was not exercised');
    raw.close();
    await store.close();
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
