import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { measured, type Measured } from './bench-support';

export interface HttpBenchResult {
  name: string;
  connections: number;
  secondsPerRun: number;
  /** Requests answered per second, each round. */
  healthz: Measured;
  subject: Measured;
  /** subject / healthz. */
  ratio: number;
  method: string;
  target: number | null;
  meetsTarget: boolean | null;
}

const CONNECTIONS = 10;
const SECONDS = 3;
const ROUNDS = 3;

interface Handshake {
  url: string;
  cookie: string;
  origin: string;
  workspaceId: string;
}

/** Keeps `CONNECTIONS` requests in flight for `SECONDS`; answers per second, every one checked. */
async function load(request: (i: number) => Promise<Response>, expected: number): Promise<number> {
  const until = performance.now() + SECONDS * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const res = await request(done);
        await res.arrayBuffer();
        if (res.status !== expected)
          throw new Error(`the bench's request was answered ${String(res.status)}`);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/**
 * HTTP throughput of record create and record list against `/healthz` on the same server, in the
 * same run: the server in a process of its own (test/bench/http-server.ts) and this process as the
 * client, keeping ten requests in flight with keep-alive connections for three seconds a run.
 * `/healthz` is the floor of the server's own HTTP path; the ratio says how much of it a write or
 * a listing keeps. Endpoints take turns going first; median of three rounds.
 */
export async function benchHttp(): Promise<HttpBenchResult[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./http-server.ts', import.meta.url))],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stderr });
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the bench server exited (${String(code)})`)));
    });
    const { url, cookie, origin, workspaceId } = JSON.parse(line) as Handshake;
    const headers = { cookie, origin, 'content-type': 'application/json' };
    const records = `${url}/api/v1/workspaces/${workspaceId}/records`;
    const healthz = () => fetch(`${url}/healthz`);
    const create = (i: number) =>
      fetch(records, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          type: 'client',
          data: { name: `Client ${String(i)}`, status: 'active', email: `c${String(i)}@example.com` },
        }),
      });
    const list = () => fetch(`${records}?type=client&sort=name&order=asc&limit=50`, { headers });
    // Some records to list before anything is measured.
    for (let i = 0; i < 500; i++) await (await create(-i)).arrayBuffer();

    const results: HttpBenchResult[] = [];
    for (const [name, subject, status, target] of [
      ['http.recordCreate', create, 201, 0.25],
      ['http.recordList', list, 200, null],
    ] as const) {
      const floor: number[] = [];
      const measuredSubject: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          floor.push(await load(healthz, 200));
          measuredSubject.push(await load(subject, status));
        } else {
          measuredSubject.push(await load(subject, status));
          floor.push(await load(healthz, 200));
        }
      }
      const h = measured(floor);
      const s = measured(measuredSubject);
      const ratio = Number((s.median / h.median).toFixed(3));
      results.push({
        name,
        connections: CONNECTIONS,
        secondsPerRun: SECONDS,
        healthz: h,
        subject: s,
        ratio,
        method:
          name === 'http.recordCreate'
            ? 'POST /api/v1/workspaces/:id/records (a client of 3 fields) with a session cookie, against GET /healthz; server in its own process with its request log on, client here with fetch keep-alive, 10 in flight, 3 s a run, median of 3 rounds'
            : 'GET /api/v1/workspaces/:id/records?type=client&sort=name&limit=50 with a session cookie over a growing workspace of clients, against GET /healthz; otherwise as http.recordCreate',
        target,
        meetsTarget: target === null ? null : ratio >= target,
      });
    }
    return results;
  } finally {
    child.kill('SIGTERM');
  }
}
