import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  normalisePairingCode,
  pairingProofMessage,
  SYNC_PATH,
  SYNC_PROTOCOL_VERSION,
  SyncCloseCode,
  syncSubprotocol,
  type DevicePaired,
  type WorkspaceRecord,
} from '@enclave/shared';
import { TestClient } from '../../server/src/test-support/test-client';
import { newDeviceKeys } from '../../server/src/test-support/test-devices';
import { createUser, createWorkspace, startTestServer } from '../../server/src/test-support/test-server';

const repo = join(import.meta.dirname, '../..');
const SHUTDOWN_LINE = 'shutting down: no new connections';

/** A server started as an operator would: its own process group, as a terminal or systemd starts it. */
interface Launched {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function launch(
  command: string,
  args: string[],
  dataDir: string,
  env: Record<string, string> = {},
): Promise<Launched> {
  const child = spawn(command, args, {
    cwd: repo,
    detached: true,
    env: { ...process.env, ENCLAVE_DATA_DIR: dataDir, ENCLAVE_PORT: '0', ENCLAVE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await waitFor(
    () => /"url":"(http:\/\/127\.0\.0\.1:\d+)".*Enclave server listening/.exec(out)?.[1] ?? null,
    () => `the server to listen; it printed:\n${out}`,
  );
  return { child, url, output: () => out, exited };
}

async function waitFor<T>(read: () => T | null, what: () => string, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== null) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether any process is left in the group: a server orphaned by its launcher would be. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`);
    return false;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

/** The first owner, through the setup link the server printed, with a workspace. */
async function firstOwner(server: Launched): Promise<{ owner: TestClient; workspaceId: string }> {
  const link = new URL(
    await waitFor(
      () => /http:\/\/\S+\/setup\?token=[A-Za-z0-9_-]+/.exec(server.output())?.[0] ?? null,
      () => 'the setup link',
    ),
  );
  const owner = new TestClient(server.url);
  const setup = await owner.post('/api/v1/setup', {
    token: link.searchParams.get('token'),
    email: 'owner@example.com',
    name: 'Owner',
    password: 'a long enough password',
  });
  expect(setup.status).toBe(201);
  return { owner, workspaceId: await createWorkspace(owner) };
}

/** A paired device's live sync connection, and the close it gets. */
async function connectDevice(
  server: Launched,
  owner: TestClient,
  workspaceId: string,
): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const pairing = await owner.post<{ code: string }>(`/api/v1/workspaces/${workspaceId}/pairings`, {});
  const keys = newDeviceKeys();
  const device = new TestClient(server.url);
  device.origin = null;
  const paired = await device.post<DevicePaired>('/api/v1/devices/pair', {
    code: pairing.body.code,
    publicKey: keys.publicKey,
    proof: keys.sign(pairingProofMessage(normalisePairingCode(pairing.body.code))),
    name: 'Laptop',
    platform: 'linux',
    appVersion: '0.1.0',
  });
  expect(paired.status).toBe(201);
  const socket = new WebSocket(
    server.url.replace(/^http/, 'ws') + SYNC_PATH,
    [syncSubprotocol(SYNC_PROTOCOL_VERSION)],
    { headers: { authorization: `Bearer ${paired.body.accessToken}` } },
  );
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closed };
}

/**
 * A create whose body is only half sent: the request is in flight, on the server, until `finish`
 * sends the rest; `answer` is everything the server then writes before it closes the connection.
 */
function slowCreate(
  url: string,
  owner: TestClient,
  workspaceId: string,
  data: Record<string, unknown>,
): Promise<{ socket: Socket; finish: () => void; answer: Promise<string> }> {
  const { hostname, port, origin } = new URL(url);
  const body = JSON.stringify({ type: 'client', data });
  const head =
    `POST /api/v1/workspaces/${workspaceId}/records HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
    `Origin: ${origin}\r\nCookie: ${owner.cookie ?? ''}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const half = Math.floor(body.length / 2);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(head + body.slice(0, half));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
      const answer = new Promise<string>((done) => socket.once('close', () => done(text)));
      resolve({ socket, finish: () => socket.write(body.slice(half)), answer });
    });
    socket.once('error', reject);
  });
}

function parseAnswer(raw: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
    headers: head.toLowerCase(),
    body: JSON.parse(body),
  };
}

describe('stopping the server', () => {
  const root = mkdtempSync(join(tmpdir(), 'enclave-shutdown-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('on SIGTERM to the process group of `npm start`: finishes the request in flight, says 1001 to devices, exits 0, and the data is there at the next start', async () => {
    const dataDir = join(root, 'group-term');
    const server = await launch('npm', ['start'], dataDir);
    const pgid = server.child.pid!;
    try {
      const { owner, workspaceId } = await firstOwner(server);
      const device = await connectDevice(server, owner, workspaceId);
      const create = await slowCreate(server.url, owner, workspaceId, { name: 'Cut short?', status: 'lead' });

      process.kill(-pgid, 'SIGTERM');
      await waitFor(
        () => (server.output().includes(SHUTDOWN_LINE) ? true : null),
        () => `the shutdown line; the server printed:\n${server.output()}`,
      );
      expect(await device.closed).toEqual({
        code: SyncCloseCode.serverShutdown,
        reason: JSON.stringify({ code: 'server_shutdown' }),
      });
      // No new connection is taken while the request in flight finishes.
      expect(await refused(server.url)).toBe(true);
      expect(groupAlive(pgid)).toBe(true);

      create.finish();
      const answer = parseAnswer(await create.answer);
      expect(answer.status).toBe(201);
      expect(answer.headers).toContain('connection: close');
      const record = answer.body as WorkspaceRecord;
      expect(record.data).toEqual({ name: 'Cut short?', status: 'lead' });

      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(groupAlive(pgid)).toBe(false);
      expect(server.output()).toContain('shut down cleanly');
      expect(server.output()).not.toContain('Force killing');

      // The databases were closed cleanly: the next start opens them and has the record.
      const again = await launch('npm', ['start'], dataDir);
      try {
        const reader = new TestClient(again.url);
        reader.cookie = owner.cookie;
        const read = await reader.get<WorkspaceRecord>(
          `/api/v1/workspaces/${workspaceId}/records/${record.id}`,
        );
        expect(read.status).toBe(200);
        expect(read.body.data).toEqual(record.data);
      } finally {
        process.kill(-again.child.pid!, 'SIGTERM');
        expect(await again.exited).toEqual({ code: 0, signal: null });
      }
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });

  it('on SIGTERM to the npm process alone: the server stops too, leaving no process behind', async () => {
    const server = await launch('npm', ['start'], join(root, 'npm-term'));
    const pgid = server.child.pid!;
    try {
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.output()).toContain(SHUTDOWN_LINE);
      await waitFor(
        () => (groupAlive(pgid) ? null : true),
        () => 'the server process to exit',
        5_000,
      );
      expect(await refused(server.url)).toBe(true);
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });

  it('on SIGINT (Ctrl-C) to the process group: the same clean stop', async () => {
    const server = await launch('npm', ['start'], join(root, 'group-int'));
    const pgid = server.child.pid!;
    try {
      process.kill(-pgid, 'SIGINT');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.output()).toContain('"signal":"SIGINT"');
      expect(server.output()).toContain('shut down cleanly');
      expect(groupAlive(pgid)).toBe(false);
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });

  describe('the built server (`npm run build:server`, then `node server/dist/main.js`)', () => {
    beforeAll(() => {
      const built = spawnSync('npm', ['run', 'build:server'], { cwd: repo, encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
    });

    it('starts with plain node and stops on SIGTERM with exit 0', async () => {
      const server = await launch(process.execPath, ['server/dist/main.js'], join(root, 'built'));
      try {
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        server.child.kill('SIGTERM');
        expect(await server.exited).toEqual({ code: 0, signal: null });
        expect(server.output()).toContain('shut down cleanly');
      } finally {
        if (groupAlive(server.child.pid!)) process.kill(-server.child.pid!, 'SIGKILL');
      }
    });

    it('cuts a request still in flight at a second signal, and still closes the databases and exits 0', async () => {
      const dataDir = join(root, 'built-second');
      const server = await launch(process.execPath, ['server/dist/main.js'], dataDir);
      try {
        const { owner, workspaceId } = await firstOwner(server);
        const create = await slowCreate(server.url, owner, workspaceId, {
          name: 'Never sent',
          status: 'lead',
        });
        const started = Date.now();
        server.child.kill('SIGTERM');
        // A repeat within the second is the same request relayed (npm and the group both signal).
        await new Promise((r) => setTimeout(r, 100));
        server.child.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 1_100));
        expect(groupAlive(server.child.pid!)).toBe(true);
        server.child.kill('SIGTERM');
        expect(await create.answer).toBe('');
        expect(await server.exited).toEqual({ code: 0, signal: null });
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(server.output()).toContain('second stop signal');
        const again = await launch(process.execPath, ['server/dist/main.js'], dataDir);
        again.child.kill('SIGTERM');
        expect(await again.exited).toEqual({ code: 0, signal: null });
      } finally {
        if (groupAlive(server.child.pid!)) process.kill(-server.child.pid!, 'SIGKILL');
      }
    });
  });
});

describe('RunningServer.close()', () => {
  it('waits for a request in flight, answers it with connection: close, and refuses new connections meanwhile', async () => {
    const t = await startTestServer();
    try {
      const owner = await createUser(t);
      const workspaceId = await createWorkspace(owner);
      const create = await slowCreate(t.url, owner, workspaceId, { name: 'In flight', status: 'lead' });
      // Let the server read the first half, so the request is in flight when close() begins.
      await new Promise((r) => setTimeout(r, 100));
      const closing = t.stop();
      await new Promise((r) => setTimeout(r, 100));
      expect(await refused(t.url)).toBe(true);
      create.finish();
      const answer = parseAnswer(await create.answer);
      expect(answer.status).toBe(201);
      expect(answer.headers).toContain('connection: close');
      await closing;
    } finally {
      await t.close();
    }
  });

  it('cuts what is still open when the grace period (ENCLAVE_SHUTDOWN_GRACE_SECONDS) is over', async () => {
    const t = await startTestServer({ env: { ENCLAVE_SHUTDOWN_GRACE_SECONDS: '1' } });
    try {
      const owner = await createUser(t);
      const workspaceId = await createWorkspace(owner);
      const create = await slowCreate(t.url, owner, workspaceId, { name: 'Never sent', status: 'lead' });
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      await t.stop();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(950);
      expect(took).toBeLessThan(3_000);
      expect(await create.answer).toBe('');
      expect(t.logs()).toContain('connections still open were cut');
    } finally {
      await t.close();
    }
  });
});
