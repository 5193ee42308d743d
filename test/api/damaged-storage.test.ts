import { randomBytes } from 'node:crypto';
import {
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/src/cli';
import { workspaceDbPath } from '../../server/src/store/sqlite/embedded-store';
import { TestClient } from '../../server/src/test-support/test-client';
import { pairDevice, RawSync, type TestDevice } from '../../server/src/test-support/test-devices';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

type Damage = 'truncated' | 'garbage' | 'overwritten' | 'deleted' | 'zero-length';

const DAMAGES: Record<Damage, (path: string) => void> = {
  truncated: (path) => truncateSync(path, Math.floor(statSync(path).size / 2)),
  garbage: (path) => writeFileSync(path, randomBytes(statSync(path).size)),
  // A few bytes in the middle of the file: SQLCipher's per-page authentication no longer holds.
  overwritten: (path) => {
    const fd = openSync(path, 'r+');
    writeSync(fd, randomBytes(64), 0, 64, Math.floor(statSync(path).size / 2));
    closeSync(fd);
  },
  deleted: (path) => rmSync(path),
  'zero-length': (path) => truncateSync(path, 0),
};

async function signIn(t: TestServer, email: string, password: string): Promise<TestClient> {
  const client = t.client();
  const res = await client.post('/api/v1/auth/signin', { email, password });
  expect(res.status).toBe(200);
  return client;
}

/** Runs the CLI against the server's data directory, as an operator would. */
async function cli(
  t: TestServer,
  args: string[],
): Promise<{ code: number; lines: Record<string, unknown>[] }> {
  const saved = { ...process.env };
  process.env.ENCLAVE_DATA_DIR = t.dataDir;
  const lines: Record<string, unknown>[] = [];
  try {
    const code = await runCli(args, (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    return { code, lines };
  } finally {
    process.env = saved;
  }
}

describe('a damaged workspace file fails alone', () => {
  let first: TestServer;
  let t: TestServer;
  let owner: TestClient;
  let credentials: { email: string; password: string };
  const ids = {} as Record<Damage | 'healthy', string>;
  const sizesAfterDamage = {} as Record<Damage, number | null>;
  let device: TestDevice;

  beforeAll(async () => {
    first = await startTestServer();
    const creator = await createUser(first);
    for (const name of [...Object.keys(DAMAGES), 'healthy'] as (Damage | 'healthy')[]) {
      ids[name] = await createWorkspace(creator, `Workspace ${name}`);
      const created = await creator.post(`/api/v1/workspaces/${ids[name]}/records`, {
        type: 'client',
        data: { name: `Client of ${name}`, status: 'lead' },
      });
      expect(created.status).toBe(201);
    }
    device = await pairDevice(first, creator, ids.overwritten);
    await first.stop();
    for (const [damage, apply] of Object.entries(DAMAGES) as [Damage, (p: string) => void][]) {
      const path = workspaceDbPath(first.dataDir, ids[damage]);
      apply(path);
      sizesAfterDamage[damage] = existsSync(path) ? statSync(path).size : null;
    }
    t = await startTestServer({ dataDir: first.dataDir });
    credentials = { email: creator.email, password: creator.password };
    owner = await signIn(t, credentials.email, credentials.password);
  });
  afterAll(async () => {
    await t.close();
    rmSync(first.dataDir, { recursive: true, force: true });
  });

  it('keeps the list working, with each damaged workspace in it marked unavailable', async () => {
    const list = await owner.get<{ items: { id: string; available: boolean; roles: string[] }[] }>(
      '/api/v1/workspaces',
    );
    expect(list.status).toBe(200);
    const byId = new Map(list.body.items.map((w) => [w.id, w]));
    expect(byId.get(ids.healthy)).toMatchObject({ available: true, roles: ['owner'] });
    for (const damage of Object.keys(DAMAGES) as Damage[]) {
      expect(byId.get(ids[damage]), damage).toMatchObject({ available: false, roles: [] });
    }
  });

  it.each(Object.keys(DAMAGES) as Damage[])(
    'answers workspace_unavailable on every route of a %s workspace',
    async (damage) => {
      for (const path of ['', '/records?type=client', '/audit', '/members', '/audit/verify']) {
        const res = await owner.get<{ error: { code: string } }>(`/api/v1/workspaces/${ids[damage]}${path}`);
        expect(res.status, path).toBe(503);
        expect(res.body.error.code, path).toBe('workspace_unavailable');
      }
      const write = await owner.post<{ error: { code: string } }>(
        `/api/v1/workspaces/${ids[damage]}/records`,
        {
          type: 'client',
          data: { name: 'Should not land', status: 'lead' },
        },
      );
      expect(write.status).toBe(503);
      expect(write.body.error.code).toBe('workspace_unavailable');
    },
  );

  it("refuses a damaged workspace's devices at the sync endpoint with the same code", async () => {
    const refused = await RawSync.open(t, device.accessToken);
    expect(refused).not.toBeInstanceOf(RawSync);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'workspace_unavailable' } } });
  });

  it('never creates a missing or emptied workspace file again', () => {
    expect(existsSync(workspaceDbPath(t.dataDir, ids.deleted))).toBe(false);
    expect(statSync(workspaceDbPath(t.dataDir, ids['zero-length'])).size).toBe(0);
    for (const damage of ['truncated', 'garbage', 'overwritten'] as const) {
      expect(statSync(workspaceDbPath(t.dataDir, ids[damage])).size).toBe(sizesAfterDamage[damage]);
    }
  });

  it('leaves the healthy workspace readable and writable', async () => {
    const list = await owner.get<{ items: unknown[] }>(
      `/api/v1/workspaces/${ids.healthy}/records?type=client`,
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const created = await owner.post(`/api/v1/workspaces/${ids.healthy}/records`, {
      type: 'client',
      data: { name: 'Another client', status: 'lead' },
    });
    expect(created.status).toBe(201);
  });

  it('names each damaged workspace in the log at start, and counts them in /readyz', async () => {
    for (const damage of Object.keys(DAMAGES) as Damage[]) {
      expect(t.logs()).toContain(`workspace ${ids[damage]} is unavailable`);
    }
    expect(t.logs()).not.toContain(`workspace ${ids.healthy} is unavailable`);
    const ready = await t.client().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'degraded',
      database: 'ok',
      storage: 'ok',
      unavailableWorkspaces: 5,
    });
    // The public probe names no workspace.
    expect(ready.text).not.toContain(ids.truncated);
  });

  it('verifies every workspace from the command line, failing each damaged one and passing the rest', async () => {
    const { code, lines } = await cli(t, ['audit:verify']);
    expect(code).toBe(1);
    const byId = new Map(lines.map((l) => [l.workspaceId, l]));
    expect(byId.get(ids.healthy)).toMatchObject({ ok: true });
    expect((byId.get(ids.healthy) as { checked: number }).checked).toBeGreaterThan(0);
    for (const damage of Object.keys(DAMAGES) as Damage[]) {
      expect(byId.get(ids[damage]), damage).toMatchObject({ ok: false, error: 'workspace_unavailable' });
    }
    expect(lines).toHaveLength(6);
  });

  it('does not mistake a damaged workspace for a new one on a second restart', async () => {
    await t.stop();
    t = await startTestServer({ dataDir: first.dataDir });
    owner = await signIn(t, credentials.email, credentials.password);
    const res = await owner.get<{ error: { code: string } }>(`/api/v1/workspaces/${ids['zero-length']}`);
    expect(res.body.error.code).toBe('workspace_unavailable');
    expect(existsSync(workspaceDbPath(t.dataDir, ids.deleted))).toBe(false);
    expect(readFileSync(workspaceDbPath(t.dataDir, ids['zero-length'])).length).toBe(0);
  });
});
