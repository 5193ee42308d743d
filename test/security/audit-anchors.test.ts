import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { AuditReceipt, AuditVerifyResult } from '@enclave/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash } from '../../server/src/audit/chain';
import {
  CHECKPOINT_DELAY_MS,
  CheckpointSigner,
  receiptSignatureValid,
} from '../../server/src/audit/checkpoints';
import { verifyChain } from '../../server/src/audit/verify';
import { runCli } from '../../server/src/cli';
import { deriveKey, unwrapKey } from '../../server/src/crypto/keys';
import { EmbeddedStore, workspaceDbPath } from '../../server/src/store/sqlite/embedded-store';
import { toAuditEvent } from '../../server/src/store/sqlite/workspace-store';
import { TestClient } from '../../server/src/test-support/test-client';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import { expectError } from './attack-support';

/** Opens a database file directly, as someone holding the file and its key can. */
function openRaw(path: string, key: Buffer): Database.Database {
  const db = new Database(path, { fileMustExist: true });
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key="x'${key.toString('hex')}'"`);
  return db;
}

/**
 * The rewrite SECURITY.md says is detected: someone holding a workspace's key opens its file,
 * drops the append-only guard, changes an event, recomputes every later hash and the head, so
 * that the chain holds together again. Signed checkpoints in the control database catch it; a
 * receipt kept away from the server catches it even when the checkpoints were re-signed too.
 */
describe('audit chain anchored outside the workspace file', () => {
  const root = mkdtempSync(join(tmpdir(), 'enclave-anchors-'));
  const dataDir = join(root, 'data');
  let t: TestServer;
  let owner: TestClient;
  let ws: string;
  let base: string;
  let receipt: AuditReceipt;
  const receiptFile = join(root, 'receipt.json');
  const FORGED_SEQ = 3;

  /** (Re)starts the server on the data directory, with the owner's session carried over. */
  async function start(): Promise<void> {
    t = await startTestServer({ dataDir });
    const carried = new TestClient(t.url);
    carried.cookie = owner.cookie;
    carried.userId = owner.userId;
    carried.email = owner.email;
    owner = carried;
  }

  const masterKey = () => Buffer.from(readFileSync(t.config.masterKeyFile, 'utf8').trim(), 'hex');
  const verify = async () => {
    const res = await owner.get<AuditVerifyResult>(`${base}/audit/verify`);
    expect(res.status).toBe(200);
    return res.body;
  };

  async function cli(...args: string[]): Promise<{ code: number; lines: Record<string, unknown>[] }> {
    const lines: string[] = [];
    const saved = { ...process.env };
    process.env.ENCLAVE_DATA_DIR = dataDir;
    try {
      const code = await runCli(args, (l) => lines.push(l));
      return { code, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
    } finally {
      process.env = saved;
    }
  }

  beforeAll(async () => {
    t = await startTestServer({ dataDir });
    owner = await createUser(t);
    ws = await createWorkspace(owner, 'Anchored');
    base = `/api/v1/workspaces/${ws}`;
    for (const name of ['Initech', 'Globex', 'Umbrella', 'Hooli']) {
      const res = await owner.post(`${base}/records`, { type: 'client', data: { name, status: 'lead' } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('exports a signed receipt of the head, which checks out with the key it carries', async () => {
    const res = await owner.get<AuditReceipt>(`${base}/audit/receipt`);
    expect(res.status).toBe(200);
    receipt = res.body;
    expect(receipt).toMatchObject({ format: 'enclave-audit-receipt/1', workspaceId: ws });
    expect(receipt.seq).toBeGreaterThan(FORGED_SEQ);
    expect(receiptSignatureValid(receipt)).toBe(true);
    writeFileSync(receiptFile, JSON.stringify(receipt));
    // The admin keeps the receipt elsewhere; the workspace goes on.
    await owner.post(`${base}/records`, { type: 'client', data: { name: 'Initrode', status: 'lead' } });
    expect(await verify()).toMatchObject({ ok: true, anchors: { receiptSeq: null } });
  });

  it('checkpoints soon after commits, and the last ones when the server stops', async () => {
    // About a second, with room for a loaded machine.
    const deadline = Date.now() + CHECKPOINT_DELAY_MS + 4_000;
    let settled = await verify();
    while (settled.anchors.lastCheckpointSeq !== settled.headSeq && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      settled = await verify();
    }
    expect(settled.anchors.lastCheckpointSeq).toBe(settled.headSeq);

    await owner.post(`${base}/records`, { type: 'client', data: { name: 'Vandelay', status: 'lead' } });
    const before = await verify();
    expect(before.anchors.lastCheckpointSeq).toBeLessThan(before.headSeq);
    await t.stop();
    await start();
    const after = await verify();
    expect(after).toMatchObject({ ok: true, headSeq: before.headSeq });
    expect(after.anchors.lastCheckpointSeq).toBe(before.headSeq);
  });

  it('catches a workspace-key holder who rewrites an event, every later hash and the head', async () => {
    await t.stop();
    // The workspace's own key: all this attacker holds (the test unwraps it with the master key).
    const master = masterKey();
    const control = openRaw(join(dataDir, 'control.db'), deriveKey(master, 'control-db'));
    const { wrapped_key: wrapped } = control
      .prepare('SELECT wrapped_key FROM workspaces WHERE id = ?')
      .get(ws) as { wrapped_key: string };
    control.close();
    const db = openRaw(
      workspaceDbPath(dataDir, ws),
      unwrapKey(deriveKey(master, 'workspace-key-wrap'), wrapped, ws),
    );
    try {
      db.exec('DROP TRIGGER audit_events_no_update');
      const rows = db.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq').all(FORGED_SEQ);
      let prevHash = (
        db.prepare('SELECT hash FROM audit_events WHERE seq = ?').get(FORGED_SEQ - 1) as {
          hash: string;
        }
      ).hash;
      const update = db.prepare('UPDATE audit_events SET after = ?, prev_hash = ?, hash = ? WHERE seq = ?');
      for (const row of rows) {
        const event = toAuditEvent(row as Parameters<typeof toAuditEvent>[0]);
        const after =
          event.seq === FORGED_SEQ
            ? { ...(event.after as Record<string, unknown>), data: { name: 'Forged Ltd', status: 'lead' } }
            : event.after;
        const { hash: _h, prevHash: _p, ...content } = { ...event, after };
        const hash = eventHash(prevHash, content);
        update.run(after === null ? null : JSON.stringify(after), prevHash, hash, event.seq);
        prevHash = hash;
      }
      db.prepare('UPDATE chain_head SET hash = ? WHERE id = 1').run(prevHash);
    } finally {
      db.close();
    }

    // The chain alone is fooled: this is the rewrite the hash chain cannot see.
    const store = new EmbeddedStore(dataDir, master, { cacheKiB: 1024 });
    try {
      const forged = await store.workspace(ws);
      expect(await verifyChain(forged as NonNullable<typeof forged>)).toMatchObject({ ok: true });
      expect((await forged?.auditEventsFrom(FORGED_SEQ, 1))?.[0]?.after).toMatchObject({
        data: { name: 'Forged Ltd' },
      });
    } finally {
      await store.close();
    }

    // The signed checkpoints are not: the first one at or after the rewrite no longer matches
    // (the receipt's, or one taken after a commit in between).
    const offline = await cli('audit:verify', ws);
    expect(offline.code).toBe(1);
    const broken = (offline.lines[0] as AuditVerifyResult).firstBroken;
    expect(offline.lines[0]).toMatchObject({ workspaceId: ws, ok: false });
    expect(broken?.reason).toBe('checkpoint_mismatch');
    expect(broken?.seq).toBeGreaterThanOrEqual(FORGED_SEQ);
    expect(broken?.seq).toBeLessThanOrEqual(receipt.seq);
    await start();
    expect(await verify()).toMatchObject({ ok: false, firstBroken: broken });
    // And the server anchors nothing on top of the rewritten chain.
    const receiptNow = await owner.get(`${base}/audit/receipt`);
    expectError(receiptNow, 409, 'conflict', 'receipt of a rewritten chain');
    const write = await owner.post(`${base}/records`, {
      type: 'client',
      data: { name: 'Later', status: 'lead' },
    });
    expect(write.status).toBe(201);
    const headSeq = (await verify()).headSeq;
    await t.stop();
    expect(t.logs()).toContain('no longer extends its last signed checkpoint');
    await start();
    expect((await verify()).anchors.lastCheckpointSeq).toBeLessThan(headSeq);
  });

  it('catches, with a receipt kept elsewhere, a master-key holder who re-signs the checkpoints too', async () => {
    await t.stop();
    const master = masterKey();
    const control = openRaw(join(dataDir, 'control.db'), deriveKey(master, 'control-db'));
    try {
      // Whoever holds the master key holds the checkpoint key: every checkpoint is re-signed.
      control.exec('DROP TRIGGER audit_checkpoints_no_delete');
      control.prepare('DELETE FROM audit_checkpoints WHERE workspace_id = ?').run(ws);
    } finally {
      control.close();
    }
    const store = new EmbeddedStore(dataDir, master, { cacheKiB: 1024 });
    try {
      const forged = await store.workspace(ws);
      const signer = new CheckpointSigner(deriveKey(master, 'audit-checkpoint-signing'));
      const head = await forged?.head();
      if (!head) throw new Error('workspace missing');
      const event = (await forged?.auditEventsFrom(receipt.seq, 1))?.[0];
      for (const c of [event ?? head, head])
        await store.control.putAuditCheckpoint(
          signer.sign({ workspaceId: ws, seq: c.seq, hash: c.hash, at: new Date().toISOString() }),
        );
    } finally {
      await store.close();
    }

    // Against the control database alone, the rewrite now passes: only the receipt can tell.
    expect(await cli('audit:verify', ws)).toMatchObject({ code: 0, lines: [{ ok: true }] });
    const withReceipt = await cli('audit:verify', ws, '--receipt', receiptFile);
    expect(withReceipt.code).toBe(1);
    expect(withReceipt.lines[0]).toMatchObject({
      ok: false,
      firstBroken: { seq: receipt.seq, reason: 'receipt_mismatch' },
      anchors: { receiptSeq: receipt.seq },
    });
    expect((await cli('audit:verify', '--receipt', receiptFile)).code).toBe(1);

    await start();
    expect((await verify()).ok).toBe(true);
    const checked = await owner.post<AuditVerifyResult>(`${base}/audit/verify`, { receipt });
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({
      ok: false,
      firstBroken: { seq: receipt.seq, reason: 'receipt_mismatch' },
    });
  });

  it('refuses a receipt this server did not sign, or for another workspace, and checks nothing', async () => {
    const other = await createWorkspace(owner, 'Other');
    const foreign = new CheckpointSigner(randomBytes(32));
    const cases: [string, string, unknown][] = [
      ['another workspace', base, { ...receipt, workspaceId: other }],
      ['another workspace’s path', `/api/v1/workspaces/${other}`, receipt],
      ['a changed hash', base, { ...receipt, hash: 'e'.repeat(64) }],
      [
        'another key',
        base,
        foreign.receiptOf(
          foreign.sign({ workspaceId: ws, seq: receipt.seq, hash: receipt.hash, at: receipt.at }),
        ),
      ],
      ['not a receipt', base, { ...receipt, format: 'something-else' }],
    ];
    for (const [label, path, bad] of cases) {
      const res = await owner.post(`${path}/audit/verify`, { receipt: bad });
      expectError(res, 400, 'validation_failed', label);
    }

    writeFileSync(receiptFile, JSON.stringify({ ...receipt, seq: receipt.seq + 1 }));
    await t.stop();
    const altered = await cli('audit:verify', ws, '--receipt', receiptFile);
    expect(altered).toMatchObject({ code: 2, lines: [{ ok: false, error: 'invalid_receipt' }] });
    writeFileSync(receiptFile, '{"not": "a receipt"}');
    expect((await cli('audit:verify', ws, '--receipt', receiptFile)).code).toBe(2);
    expect((await cli('audit:verify', ws, '--receipt')).code).toBe(2);
    expect((await cli('audit:verify', other, '--receipt', receiptFile)).code).toBe(2);
    await start();
  });
});
