import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '../../server/src/crypto/uuid7';
import { deriveKey, unwrapKey } from '../../server/src/crypto/keys';
import { ChangeFeed } from '../../server/src/engine/change-feed';
import type { OperationContext } from '../../server/src/engine/context';
import { CommandEngine } from '../../server/src/engine/engine';
import { EmbeddedStore, workspaceDbPath } from '../../server/src/store/sqlite/embedded-store';
import { openEncrypted, type Db } from '../../server/src/store/sqlite/open';
import { WalCheckpointer } from '../../server/src/store/sqlite/wal-checkpointer';
import type { PendingChange, WorkspaceStore } from '../../server/src/store/types';
import { benchWorkspace, measured, type Measured } from './bench-support';

export type { Measured };

export interface EngineBenchResult {
  name: string;
  batchSize: number;
  records: number;
  prefilledRecords: number;
  engine: { recordsPerSec: Measured; bytesWrittenPerRecord: number | null };
  storeCommit: { recordsPerSec: Measured; bytesWrittenPerRecord: number | null };
  raw: { recordsPerSec: Measured; bytesWrittenPerRecord: number | null };
  /** engine / raw: the share of the raw insert rate the full engine keeps. */
  ratio: number;
  /** storeCommit / raw: what the audit chain and the store's own bookkeeping cost. */
  storeCommitRatio: number;
  /** What the sides are, so that the figures can be read without the code. */
  method: string;
  target: number;
  meetsTarget: boolean;
}

const PREFILLED = 20_000;
const ROUNDS = 3;
/** How long the checkpoint worker gets to catch up before a side's written bytes are read. */
const SETTLE_MS = 400;

type ClientData = Record<string, unknown>;

function clientData(i: number): ClientData {
  return {
    name: `Client ${String(i)} ${randomUUID()}`,
    status: 'active',
    email: `client${String(i)}@example.com`,
    phone: '+44 20 7946 0958',
    notes: 'Met at the conference; prefers email. '.repeat(3),
  };
}

/** Bytes this process has handed to write(2) so far (Linux); null where the kernel does not say. */
function bytesWritten(): number | null {
  if (!existsSync('/proc/self/io')) return null;
  const line = readFileSync('/proc/self/io', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('wchar:'));
  return line ? Number(line.split(':')[1]) : null;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

interface Side {
  /** Writes `payloads` in transactions of `batchSize`. */
  write(payloads: readonly ClientData[], batchSize: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Records created per second on three paths, each on its own copy of one pre-filled encrypted
 * workspace (20,000 clients), from the same pre-generated payloads:
 * - engine: `CommandEngine.executeBatch` of record.create — validate, authorise, write, audit, publish;
 * - store commit: `WorkspaceStore.commit` of the same records with their audit events, built here —
 *   the store and audit chain without the engine's validation and authorisation;
 * - raw: plain INSERTs of the same records into the records table, no audit.
 * All three have their WAL checkpoints on the checkpoint worker, as the server does. Sides take
 * turns going first; each figure is the median of three rounds, with the runs and the spread, and
 * the bytes the process wrote per record (including the checkpoints of that side's log). The
 * engine does strictly more than raw: should it ever come out faster, the bench is wrong, and it
 * fails.
 */
export async function benchEngine(): Promise<EngineBenchResult[]> {
  const root = mkdtempSync(join(tmpdir(), 'enclave-bench-engine-'));
  const masterKey = randomBytes(32);
  try {
    const template = join(root, 'template');
    const { workspaceId, ctx } = await prefill(template, masterKey);
    const results: EngineBenchResult[] = [];
    for (const [batchSize, total] of [
      [1, 2_000],
      [100, 20_000],
    ] as const) {
      const copies = ['engine', 'store', 'raw'].map((name) => {
        const dir = join(root, `${name}-${String(batchSize)}`);
        cpSync(template, dir, { recursive: true });
        return dir;
      });
      const sides: Record<'engine' | 'store' | 'raw', Side> = {
        engine: await engineSide(copies[0] as string, masterKey, workspaceId, ctx),
        store: await storeSide(copies[1] as string, masterKey, workspaceId, ctx),
        raw: await rawSide(copies[2] as string, masterKey, workspaceId),
      };
      const rates = { engine: [] as number[], store: [] as number[], raw: [] as number[] };
      const bytes = { engine: 0, store: 0, raw: 0 };
      const orders = [
        ['engine', 'store', 'raw'],
        ['raw', 'engine', 'store'],
        ['store', 'raw', 'engine'],
      ] as const;
      for (let round = 0; round < ROUNDS; round++) {
        // The same payloads for every side in a round; new ones each round, so no side meets its own ids.
        const payloads = Array.from({ length: total }, (_, i) => clientData(round * total + i));
        for (const name of orders[round % orders.length] as readonly (keyof typeof sides)[]) {
          const before = bytesWritten();
          const start = performance.now();
          await sides[name].write(payloads, batchSize);
          rates[name].push(total / ((performance.now() - start) / 1000));
          await settle();
          const after = bytesWritten();
          if (before !== null && after !== null) bytes[name] += after - before;
        }
      }
      for (const side of Object.values(sides)) await side.close();
      for (const dir of copies) rmSync(dir, { recursive: true, force: true });

      const engine = measured(rates.engine);
      const store = measured(rates.store);
      const raw = measured(rates.raw);
      if (engine.median > raw.median) {
        throw new Error(
          `engine.recordCreate at batch ${String(batchSize)}: the engine (${String(engine.median)}/s) came out faster than raw inserts (${String(raw.median)}/s), which do strictly less work: the benchmark is wrong`,
        );
      }
      const perRecord = (n: number) => (bytesWritten() === null ? null : Math.round(n / (total * ROUNDS)));
      const ratio = engine.median / raw.median;
      results.push({
        name: 'engine.recordCreate',
        batchSize,
        records: total,
        prefilledRecords: PREFILLED,
        engine: { recordsPerSec: engine, bytesWrittenPerRecord: perRecord(bytes.engine) },
        storeCommit: { recordsPerSec: store, bytesWrittenPerRecord: perRecord(bytes.store) },
        raw: { recordsPerSec: raw, bytesWrittenPerRecord: perRecord(bytes.raw) },
        ratio: Number(ratio.toFixed(3)),
        storeCommitRatio: Number((store.median / raw.median).toFixed(3)),
        method:
          'each side on its own copy of one encrypted workspace pre-filled with 20,000 clients, from the same pre-generated payloads; ' +
          'engine: CommandEngine.executeBatch of record.create; store commit: WorkspaceStore.commit of the records and their audit events; ' +
          'raw: plain INSERTs into the records table; one transaction per batch; WAL checkpoints on the checkpoint worker for all three; ' +
          'sides take turns going first; median of 3 rounds; bytes are what the process wrote (write(2)) while the side ran and its log was checkpointed',
        target: 0.25,
        meetsTarget: ratio >= 0.25,
      });
    }
    return results;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A data directory with one workspace of `PREFILLED` clients, closed and checkpointed, to copy. */
async function prefill(
  dir: string,
  masterKey: Buffer,
): Promise<{ workspaceId: string; ctx: OperationContext }> {
  const store = new EmbeddedStore(dir, Buffer.from(masterKey));
  const engine = new CommandEngine(store, new ChangeFeed());
  const { workspaceId, ctx } = await benchWorkspace(store, engine);
  for (let done = 0; done < PREFILLED; done += 500) {
    const ops = Array.from({ length: 500 }, (_, i) => ({
      type: 'record.create',
      entityType: 'client',
      data: clientData(-PREFILLED + done + i),
    }));
    await engine.executeBatch(ctx, ops);
  }
  await store.close();
  return { workspaceId, ctx };
}

async function engineSide(dir: string, masterKey: Buffer, workspaceId: string, ctx: OperationContext) {
  const store = new EmbeddedStore(dir, Buffer.from(masterKey));
  const feed = new ChangeFeed();
  let published = 0;
  feed.subscribe((c) => (published += c.events.length));
  const engine = new CommandEngine(store, feed);
  return {
    async write(payloads: readonly ClientData[], batchSize: number) {
      for (let done = 0; done < payloads.length; done += batchSize) {
        const ops = payloads
          .slice(done, done + batchSize)
          .map((data) => ({ type: 'record.create', entityType: 'client', data }));
        await engine.executeBatch({ ...ctx, workspaceId }, ops);
      }
      if (published === 0)
        throw new Error('the change feed published nothing: the engine path was not exercised');
    },
    close: () => store.close(),
  };
}

async function storeSide(dir: string, masterKey: Buffer, workspaceId: string, ctx: OperationContext) {
  const store = new EmbeddedStore(dir, Buffer.from(masterKey));
  const ws = (await store.workspace(workspaceId)) as WorkspaceStore;
  return {
    async write(payloads: readonly ClientData[], batchSize: number) {
      for (let done = 0; done < payloads.length; done += batchSize) {
        const now = new Date().toISOString();
        const changes: PendingChange[] = payloads.slice(done, done + batchSize).map((data) => {
          const record = {
            id: uuidv7(),
            type: 'client',
            data,
            rev: 1,
            createdAt: now,
            updatedAt: now,
            deletedAt: null,
          };
          return {
            event: {
              id: uuidv7(),
              time: now,
              actor: ctx.actor,
              action: 'record.create',
              target: { kind: 'record', entityType: 'client', id: record.id },
              before: null,
              after: record,
              details: null,
              ip: ctx.request.ip,
              userAgent: ctx.request.userAgent,
              requestId: null,
            },
            mutations: [{ kind: 'record.put', record, expectedRev: null }],
          };
        });
        await ws.commit(changes);
      }
    },
    close: () => store.close(),
  };
}

async function rawSide(dir: string, masterKey: Buffer, workspaceId: string) {
  // The control database only to unwrap the workspace's key, as the store does.
  const store = new EmbeddedStore(dir, Buffer.from(masterKey));
  const wrapped = (await store.control.getWorkspace(workspaceId))?.wrappedKey ?? '';
  await store.close();
  const path = workspaceDbPath(dir, workspaceId);
  const key = unwrapKey(deriveKey(masterKey, 'workspace-key-wrap'), wrapped, workspaceId);
  const db: Db = openEncrypted(path, key, { cacheKiB: 32_768 });
  const checkpointer = new WalCheckpointer();
  checkpointer.watch(path, key, db);
  key.fill(0);
  const insert = db.prepare(
    `INSERT INTO records (id, type, data, rev, seq, created_at, updated_at, deleted_at)
     VALUES (?, 'client', ?, 1, ?, ?, ?, NULL)`,
  );
  // Far above the sequence numbers of the pre-filled records, so none collides.
  let seq = 1_000_000_000;
  const batch = db.transaction((items: readonly ClientData[]) => {
    const now = new Date().toISOString();
    for (const data of items) insert.run(uuidv7(), JSON.stringify(data), ++seq, now, now);
  });
  return {
    write(payloads: readonly ClientData[], batchSize: number) {
      for (let done = 0; done < payloads.length; done += batchSize)
        batch(payloads.slice(done, done + batchSize));
      return Promise.resolve();
    },
    async close() {
      await checkpointer.stop();
      db.close();
    },
  };
}
