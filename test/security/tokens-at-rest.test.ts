import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey, unwrapKey } from '../../server/src/crypto/keys';
import { openEncrypted, type Db } from '../../server/src/store/sqlite/open';
import { workspaceDbPath } from '../../server/src/store/sqlite/embedded-store';
import {
  createUser,
  createWorkspace,
  startTestServer,
  uniqueEmail,
  verificationToken,
  type TestServer,
} from '../../server/src/test-support/test-server';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every cell of every table, as text: what someone holding the database and its key would see. */
function allCells(db: Db): string[] {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
    .all();
  return tables.flatMap(({ name }) =>
    db
      .prepare(`SELECT * FROM "${name}"`)
      .all()
      .flatMap((row) => Object.values(row as Record<string, unknown>).map((v) => String(v))),
  );
}

describe('bearer tokens at rest', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('keeps only SHA-256 hashes of session, verification and invitation tokens', async () => {
    const owner = await createUser(t);
    const sessionToken = (owner.cookie ?? '').replace('enclave_session=', '');
    const ws = await createWorkspace(owner);
    const invite = await owner.post<{ token: string }>(`/api/v1/workspaces/${ws}/invitations`, {
      email: uniqueEmail('invitee'),
      roles: ['member'],
    });
    const pendingEmail = uniqueEmail('pending');
    await t.client().post('/api/v1/auth/signup', {
      email: pendingEmail,
      name: 'Pending',
      password: 'a long enough password',
    });
    const verifyToken = verificationToken(t, pendingEmail);
    await t.client().post('/api/v1/auth/password-reset', { email: owner.email });
    const resetToken =
      /reset-password\?token=([A-Za-z0-9_-]+)/.exec(t.outbox.lastTo(owner.email)?.text ?? '')?.[1] ?? '';

    const master = Buffer.from(readFileSync(join(t.dataDir, 'master.key'), 'utf8').trim(), 'hex');
    const control = openEncrypted(join(t.dataDir, 'control.db'), deriveKey(master, 'control-db'));
    const wrapped = control
      .prepare<[string], { wrapped_key: string }>('SELECT wrapped_key FROM workspaces WHERE id = ?')
      .get(ws);
    const wsKey = unwrapKey(deriveKey(master, 'workspace-key-wrap'), wrapped?.wrapped_key ?? '', ws);
    const workspace = openEncrypted(workspaceDbPath(t.dataDir, ws), wsKey);
    try {
      const cells = [...allCells(control), ...allCells(workspace)];
      for (const [name, token] of [
        ['session', sessionToken],
        ['verification', verifyToken],
        ['invitation', invite.body.token],
        ['password reset', resetToken],
        ['setup', new URL(t.server.setupLink ?? 'http://x/').searchParams.get('token') ?? ''],
      ] as const) {
        expect(token.length, name).toBeGreaterThanOrEqual(43);
        expect(
          cells.some((c) => c.includes(token)),
          `${name} token stored in the clear`,
        ).toBe(false);
        expect(cells, `${name} token's hash`).toContain(sha256(token));
      }
    } finally {
      control.close();
      workspace.close();
    }
  });
});
