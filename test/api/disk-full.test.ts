import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../server/src/test-support/test-client';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

const asRoot = process.getuid?.() === 0;

/** Writes zeros into `path` until the file system refuses: the disk is then full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

// A full disk needs a small file system of the test's own, and only root may mount one (CI runs as root).
describe.skipIf(!asRoot)('a full disk', () => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'enclave-full-'));
  const filler = join(mountPoint, 'filler');
  let t: TestServer;
  let owner: TestClient;
  let workspaceId: string;

  beforeAll(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint]);
    mkdirSync(join(mountPoint, 'data'));
    t = await startTestServer({ dataDir: join(mountPoint, 'data') });
    owner = await createUser(t);
    workspaceId = await createWorkspace(owner);
  });
  afterAll(async () => {
    await t.close();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  const createRecord = (name: string) =>
    owner.post<{ error?: { code: string } }>(`/api/v1/workspaces/${workspaceId}/records`, {
      type: 'client',
      data: { name, status: 'lead', notes: 'n'.repeat(64 * 1024) },
    });

  it('refuses writes and sign-ins with storage_full, reports it in /readyz, and recovers once space is free', async () => {
    expect((await createRecord('Before')).status).toBe(201);
    fillDisk(filler);

    const write = await createRecord('During');
    expect(write.status, write.text).toBe(507);
    expect(write.body.error?.code).toBe('storage_full');

    const signIn = await t.client().post<{ error?: { code: string } }>('/api/v1/auth/signin', {
      email: owner.email,
      password: owner.password,
    });
    expect(signIn.status, signIn.text).toBe(507);
    expect(signIn.body.error?.code).toBe('storage_full');

    const full = await t.client().get('/readyz');
    expect(full.status).toBe(503);
    expect(full.body).toMatchObject({ status: 'not_ready', storage: 'full' });

    rmSync(filler);
    const ready = await t.client().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', storage: 'ok' });
    expect((await createRecord('After')).status).toBe(201);

    // Nothing of the refused write landed, and the one after it did.
    const list = await owner.get<{ items: { data: { name: string } }[] }>(
      `/api/v1/workspaces/${workspaceId}/records?type=client`,
    );
    const names = list.body.items.map((r) => r.data.name);
    expect(names).toContain('Before');
    expect(names).toContain('After');
    expect(names).not.toContain('During');
  });
});
