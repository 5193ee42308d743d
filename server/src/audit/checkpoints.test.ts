import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AuditReceipt, type AuditCheckpoint } from '@enclave/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChangeFeed } from '../engine/change-feed';
import { createLogger } from '../logger';
import { EmbeddedStore } from '../store/sqlite/embedded-store';
import type { WorkspaceStore } from '../store/types';
import {
  AuditAnchors,
  ChainDiverged,
  checkpointMessage,
  CheckpointSigner,
  receiptSignatureValid,
} from './checkpoints';
import { verifyChain } from './verify';

const NOW = '2030-05-01T10:00:00.000Z';

describe('audit checkpoints', () => {
  let root: string;
  let store: EmbeddedStore;
  let signer: CheckpointSigner;
  let logs: string[];
  let anchors: AuditAnchors | null;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'enclave-checkpoints-'));
    store = new EmbeddedStore(join(root, 'data'), randomBytes(32), { cacheKiB: 1024 });
    signer = new CheckpointSigner(randomBytes(32));
    logs = [];
    anchors = null;
  });

  afterEach(async () => {
    anchors?.stop();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  function anchorsWith(delayMs = 60_000): AuditAnchors {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    anchors = new AuditAnchors(store, signer, createLogger('info', sink), delayMs);
    return anchors;
  }

  async function workspaceWith(events: number): Promise<WorkspaceStore> {
    const ws = await store.createWorkspace({
      id: randomUUID(),
      name: 'Acme',
      createdAt: NOW,
      createdBy: randomUUID(),
    });
    await append(ws, events);
    return ws;
  }

  async function append(ws: WorkspaceStore, events: number) {
    return ws.commit(
      Array.from({ length: events }, (_, i) => ({
        event: {
          id: randomUUID(),
          time: NOW,
          actor: { kind: 'user' as const, id: 'owner', label: 'owner@example.com' },
          action: 'workspace.rename',
          target: { kind: 'workspace' as const, entityType: null, id: ws.workspaceId },
          before: null,
          after: { name: `Acme ${String(i)}` },
          ip: null,
          userAgent: null,
          requestId: null,
          details: null,
        },
        mutations: [],
      })),
    );
  }

  const verify = (ws: WorkspaceStore, receipt?: AuditReceipt) =>
    verifyChain(ws, { control: store.control, signer, receipt });

  describe('signatures', () => {
    const content = { workspaceId: randomUUID(), seq: 7, hash: 'ab'.repeat(32), at: NOW };

    it('verify as signed, and not once any signed field or the key changes', () => {
      const checkpoint = signer.sign(content);
      expect(signer.isAuthentic(checkpoint)).toBe(true);
      const altered: AuditCheckpoint[] = [
        { ...checkpoint, workspaceId: randomUUID() },
        { ...checkpoint, seq: 8 },
        { ...checkpoint, hash: 'cd'.repeat(32) },
        { ...checkpoint, at: '2030-05-01T10:00:01.000Z' },
        { ...checkpoint, signature: signer.sign({ ...content, seq: 8 }).signature },
      ];
      for (const forged of altered) expect(signer.isAuthentic(forged), JSON.stringify(forged)).toBe(false);
      const other = new CheckpointSigner(randomBytes(32));
      expect(other.isAuthentic(checkpoint)).toBe(false);
      expect(signer.isAuthentic({ ...other.sign(content), keyId: signer.keyId })).toBe(false);
      // The key signs a prefixed message, never the bare canonical JSON.
      expect(checkpointMessage(content).toString('utf8')).toMatch(/^enclave-audit-checkpoint\/1\n\{/);
    });

    it('make receipts that check out away from the server, and name the key that signed them', () => {
      const receipt = signer.receiptOf(signer.sign(content));
      expect(AuditReceipt.parse(JSON.parse(JSON.stringify(receipt)))).toEqual(receipt);
      expect(receipt).toMatchObject({ format: 'enclave-audit-receipt/1', keyId: signer.keyId });
      expect(receiptSignatureValid(receipt)).toBe(true);
      expect(signer.issued(receipt)).toBe(true);
      expect(receiptSignatureValid({ ...receipt, seq: 6 })).toBe(false);
      expect(signer.issued({ ...receipt, hash: 'cd'.repeat(32) })).toBe(false);

      // A receipt made with another key holds together, but it is not this server's.
      const other = new CheckpointSigner(randomBytes(32));
      const foreign = other.receiptOf(other.sign(content));
      expect(receiptSignatureValid(foreign)).toBe(true);
      expect(foreign.keyId).not.toBe(signer.keyId);
      expect(signer.issued(foreign)).toBe(false);
      expect(receiptSignatureValid({ ...foreign, keyId: signer.keyId })).toBe(false);
    });
  });

  describe('taking checkpoints', () => {
    it('anchors the head, once per head, and stores it in the control database', async () => {
      const ws = await workspaceWith(3);
      const a = anchorsWith();
      const first = await a.checkpoint(ws.workspaceId);
      expect(first).toMatchObject({ workspaceId: ws.workspaceId, ...(await ws.head()) });
      expect(signer.isAuthentic(first as AuditCheckpoint)).toBe(true);
      expect(await a.checkpoint(ws.workspaceId)).toEqual(first);
      await append(ws, 2);
      const second = await a.checkpoint(ws.workspaceId);
      expect(second?.seq).toBe(5);
      expect(await store.control.listAuditCheckpoints(ws.workspaceId, 0, 10)).toEqual([first, second]);
      expect(await verify(ws)).toMatchObject({
        ok: true,
        checked: 5,
        anchors: { checkpoints: 2, lastCheckpointSeq: 5, receiptSeq: null },
      });
    });

    it('takes none for a workspace that is gone or has no event', async () => {
      const a = anchorsWith();
      expect(await a.checkpoint(randomUUID())).toBeNull();
      const empty = await workspaceWith(0);
      expect(await a.checkpoint(empty.workspaceId)).toBeNull();
    });

    it('refuses to anchor a chain that does not extend its last checkpoint', async () => {
      const ws = await workspaceWith(3);
      const a = anchorsWith(20);
      // A checkpoint of an event 2 that the chain does not hold, as if history before it had changed.
      await store.control.putAuditCheckpoint(
        signer.sign({ workspaceId: ws.workspaceId, seq: 2, hash: 'ee'.repeat(32), at: NOW }),
      );
      await expect(a.checkpoint(ws.workspaceId)).rejects.toBeInstanceOf(ChainDiverged);
      expect((await store.control.lastAuditCheckpoint(ws.workspaceId))?.seq).toBe(2);

      // In the background, it says so in the log.
      const feed = new ChangeFeed();
      a.watch(feed);
      feed.publish({ workspaceId: ws.workspaceId, events: (await append(ws, 1)).events, records: [] });
      await a.flush();
      expect(logs.join('')).toContain('no longer extends its last signed checkpoint');
      expect((await store.control.lastAuditCheckpoint(ws.workspaceId))?.seq).toBe(2);
    });

    it('checkpoints soon after commits, once per delay however many there are', async () => {
      const ws = await workspaceWith(1);
      const a = anchorsWith(100);
      const feed = new ChangeFeed();
      a.watch(feed);
      for (let i = 0; i < 5; i++)
        feed.publish({ workspaceId: ws.workspaceId, events: (await append(ws, 1)).events, records: [] });
      expect(await store.control.lastAuditCheckpoint(ws.workspaceId)).toBeNull();
      const deadline = Date.now() + 5_000;
      while (!(await store.control.lastAuditCheckpoint(ws.workspaceId)) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store.control.listAuditCheckpoints(ws.workspaceId, 0, 10)).toEqual([
        expect.objectContaining({ seq: 6, hash: (await ws.head()).hash }),
      ]);
    });

    it('anchors what is pending at once when flushed (at shutdown)', async () => {
      const ws = await workspaceWith(2);
      const a = anchorsWith(60_000);
      const feed = new ChangeFeed();
      a.watch(feed);
      feed.publish({ workspaceId: ws.workspaceId, events: (await append(ws, 1)).events, records: [] });
      expect(await store.control.lastAuditCheckpoint(ws.workspaceId)).toBeNull();
      await a.flush();
      expect((await store.control.lastAuditCheckpoint(ws.workspaceId))?.seq).toBe(3);
    });
  });

  describe('verifying against checkpoints and receipts', () => {
    it('reports a checkpoint whose event the chain holds with another hash', async () => {
      const ws = await workspaceWith(4);
      await store.control.putAuditCheckpoint(
        signer.sign({ workspaceId: ws.workspaceId, seq: 3, hash: 'ee'.repeat(32), at: NOW }),
      );
      expect(await verify(ws)).toMatchObject({
        ok: false,
        checked: 2,
        firstBroken: { seq: 3, reason: 'checkpoint_mismatch' },
        anchors: { checkpoints: 1, lastCheckpointSeq: 3 },
      });
      // The chain alone holds together: only the checkpoint tells.
      expect((await verifyChain(ws)).ok).toBe(true);
    });

    it('reports a chain that ends before a checkpoint (cut short)', async () => {
      const ws = await workspaceWith(2);
      await anchorsWith().checkpoint(ws.workspaceId);
      await store.control.putAuditCheckpoint(
        signer.sign({ workspaceId: ws.workspaceId, seq: 9, hash: 'ee'.repeat(32), at: NOW }),
      );
      expect(await verify(ws)).toMatchObject({
        ok: false,
        checked: 2,
        firstBroken: { seq: 9, reason: 'checkpoint_mismatch' },
      });
    });

    it('reports a checkpoint that this key did not sign', async () => {
      const ws = await workspaceWith(3);
      const head = await ws.head();
      const forged = new CheckpointSigner(randomBytes(32)).sign({
        workspaceId: ws.workspaceId,
        ...head,
        at: NOW,
      });
      await store.control.putAuditCheckpoint(forged);
      expect(await verify(ws)).toMatchObject({
        ok: false,
        firstBroken: { seq: 3, reason: 'checkpoint_invalid' },
      });
    });

    it('holds the chain against a receipt, even one taken before the last checkpoint', async () => {
      const ws = await workspaceWith(3);
      const a = anchorsWith();
      const receipt = signer.receiptOf((await a.checkpoint(ws.workspaceId)) as AuditCheckpoint);
      await append(ws, 3);
      await a.checkpoint(ws.workspaceId);
      expect(await verify(ws, receipt)).toMatchObject({
        ok: true,
        anchors: { checkpoints: 2, lastCheckpointSeq: 6, receiptSeq: 3 },
      });
      const other = { ...receipt, hash: 'ee'.repeat(32) };
      expect(await verify(ws, other)).toMatchObject({
        ok: false,
        firstBroken: { seq: 3, reason: 'receipt_mismatch' },
      });
      expect(await verify(ws, { ...receipt, seq: 40 })).toMatchObject({
        ok: false,
        firstBroken: { seq: 40, reason: 'receipt_mismatch' },
      });
    });
  });
});
