import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from '@playwright/test';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getRxStorageSqlcipher } from '../../desktop/src/main/replica';
import { measured, type Measured } from './bench-support';
import { measureStorage, STATUSES, type AnyStorage, type Figures } from './replica-workload';

export interface ReplicaBenchResult {
  name: 'replica.insert' | 'replica.query' | 'replica.count';
  docs: number;
  /** What was done, identically, on every storage. */
  workload: string;
  unit: 'docs/s' | 'queries/s' | 'counts/s';
  ours: Measured;
  memory: Measured;
  dexie: Measured;
  /** ours / RxDB's memory storage (in-process arrays, nothing persisted: the ceiling). */
  ratioMemory: number;
  /** ours / RxDB's Dexie storage on Chromium's IndexedDB. */
  ratioDexie: number;
  method: string;
}

const SIZES = [10_000, 30_000, 100_000];
const ROUNDS = 3;
const CHROMIUM = process.env.ENCLAVE_CHROMIUM ?? '/usr/bin/chromium';

type Side = 'ours' | 'memory' | 'dexie';

/** The workload bundled for the page, served from loopback: IndexedDB needs a real origin. */
async function servePage(): Promise<{ server: Server; url: string }> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./replica-browser.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'error',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const server = createServer((req, res) => {
    if (req.url === '/bench.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>replica bench</title><script type="module" src="/bench.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/` };
}

async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => 'benchDexie' in globalThis);
  return page;
}

/**
 * The same workload on three storages, in the same run, at 10,000 and 100,000 documents: ours
 * (the SQLCipher file the desktop app keeps, in Node as its main process runs it), RxDB's memory
 * storage (the ceiling), and RxDB's Dexie storage on the real IndexedDB of Debian's Chromium
 * (driven by Playwright): the storage an Electron app would otherwise use. Each figure is the
 * median of three rounds, with the runs and their spread; the storages take turns going first.
 */
export async function benchReplica(): Promise<ReplicaBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-replica-bench-'));
  const { server, url } = await servePage();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const results: ReplicaBenchResult[] = [];
  try {
    for (const docs of SIZES) {
      const ours = getRxStorageSqlcipher({
        filePath: join(dir, `replica-${String(docs)}.db`),
        key: randomBytes(32),
      });
      const memory = getRxStorageMemory();
      const page = await openPage(browser, url);
      const run: Record<Side, () => Promise<Figures>> = {
        ours: () => measureStorage(ours, docs),
        memory: () => measureStorage(memory as AnyStorage, docs),
        dexie: () =>
          page.evaluate(
            (n) => (globalThis as unknown as { benchDexie: (d: number) => Promise<Figures> }).benchDexie(n),
            docs,
          ),
      };
      const figures: Record<Side, Figures[]> = { ours: [], memory: [], dexie: [] };
      const order: Side[] = ['ours', 'memory', 'dexie'];
      try {
        for (let r = 0; r < ROUNDS; r++) {
          for (let i = 0; i < order.length; i++) {
            const side = order[(i + r) % order.length] as Side;
            figures[side].push(await run[side]());
          }
        }
      } finally {
        await ours.closeAll();
        await page.close();
      }
      const row = (
        name: ReplicaBenchResult['name'],
        key: keyof Figures,
        workload: string,
        unit: ReplicaBenchResult['unit'],
      ): ReplicaBenchResult => {
        const of = (side: Side) => measured(figures[side].map((f) => f[key]));
        const [o, m, d] = [of('ours'), of('memory'), of('dexie')];
        return {
          name,
          docs,
          workload,
          unit,
          ours: o,
          memory: m,
          dexie: d,
          ratioMemory: Number((o.median / m.median).toFixed(3)),
          ratioDexie: Number((o.median / d.median).toFixed(3)),
          method:
            'RxStorageInstance API directly (no RxDatabase), same workload module (test/bench/replica-workload.ts: ' +
            '~600 B documents, UUIDv7 ids, indexes on status and rank, the same prepared queries) on each storage; ' +
            'ours and memory in this Node process, Dexie on IndexedDB in Chromium; queries and counts repeated for ' +
            `at least 1 s; median of ${String(ROUNDS)} rounds, storages take turns going first`,
        };
      };
      const batch = Math.min(docs, 10_000);
      results.push(
        row(
          'replica.insert',
          'insert100',
          `${String(docs)} docs, bulkWrite of 100 each, into an empty collection`,
          'docs/s',
        ),
        row(
          'replica.insert',
          'insertAll',
          `${String(docs)} docs, bulkWrite of ${String(batch)} each, into an empty collection`,
          'docs/s',
        ),
        row(
          'replica.query',
          'queryStatus',
          `equality on an indexed field over ${String(docs)} docs, ${String(docs / STATUSES)} results`,
          'queries/s',
        ),
        row(
          'replica.query',
          'queryRank',
          `range on an indexed integer, sorted by it, over ${String(docs)} docs, 300 results`,
          'queries/s',
        ),
        row(
          'replica.count',
          'count',
          `count of an indexed equality (${String(docs / STATUSES)} of ${String(docs)})`,
          'counts/s',
        ),
      );
    }
  } finally {
    await browser.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
