import { sign } from 'node:crypto';
import {
  AUDIT_RECEIPT_FORMAT,
  type AuditCheckpoint,
  type AuditReceipt,
  type AuditVerifyResult,
} from '@enclave/shared';
import { ed25519FromSeed, ed25519PublicKeyOf, ed25519Verify } from '../crypto/ed25519';
import { sha256Hex } from '../crypto/tokens';
import type { ChangeFeed } from '../engine/change-feed';
import { AppError, notFound } from '../engine/errors';
import { KeyedMutex } from '../engine/keyed-mutex';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { canonicalJson } from './chain';
import { verifyChain, walkChain } from './verify';

/** How soon after a commit its workspace's head is checkpointed: the longest an event goes unanchored. */
export const CHECKPOINT_DELAY_MS = 1_000;

type CheckpointContent = Pick<AuditCheckpoint, 'workspaceId' | 'seq' | 'hash' | 'at'>;

/** The bytes a checkpoint's signature covers: a fixed prefix, so the key signs nothing else by accident. */
export function checkpointMessage(c: CheckpointContent): Buffer {
  const body = canonicalJson({ workspaceId: c.workspaceId, seq: c.seq, hash: c.hash, at: c.at });
  return Buffer.from(`enclave-audit-checkpoint/1\n${body}`, 'utf8');
}

const keyIdOf = (publicKey: string) => sha256Hex(Buffer.from(publicKey, 'base64url')).slice(0, 16);

/**
 * Whether a receipt is signed by the key it carries. This is the check anyone can make away from
 * the server; that the key is the server's is for the reader to compare (its `keyId` is the same
 * in every receipt of one installation).
 */
export function receiptSignatureValid(receipt: AuditReceipt): boolean {
  return (
    receipt.keyId === keyIdOf(receipt.publicKey) &&
    ed25519Verify(receipt.publicKey, checkpointMessage(receipt), receipt.signature)
  );
}

/** Signs checkpoints with an Ed25519 key from a seed derived from the master key. */
export class CheckpointSigner {
  private readonly privateKey;
  readonly publicKey: string;
  readonly keyId: string;

  constructor(seed: Buffer) {
    this.privateKey = ed25519FromSeed(seed);
    this.publicKey = ed25519PublicKeyOf(this.privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  sign(content: CheckpointContent): AuditCheckpoint {
    const signature = sign(null, checkpointMessage(content), this.privateKey).toString('base64url');
    return { ...content, keyId: this.keyId, signature };
  }

  /** Whether this key signed the checkpoint, as it stands. */
  isAuthentic(checkpoint: AuditCheckpoint): boolean {
    return (
      checkpoint.keyId === this.keyId &&
      ed25519Verify(this.publicKey, checkpointMessage(checkpoint), checkpoint.signature)
    );
  }

  receiptOf(checkpoint: AuditCheckpoint): AuditReceipt {
    return { format: AUDIT_RECEIPT_FORMAT, ...checkpoint, publicKey: this.publicKey };
  }

  /** Whether this key signed the receipt: the receipt carries this key, and its signature verifies. */
  issued(receipt: AuditReceipt): boolean {
    const { format: _format, publicKey, ...checkpoint } = receipt;
    return publicKey === this.publicKey && this.isAuthentic(checkpoint);
  }
}

/** The chain no longer extends its last checkpoint: anchoring its head would bless a rewrite. */
export class ChainDiverged extends Error {
  constructor(
    readonly workspaceId: string,
    readonly result: AuditVerifyResult,
  ) {
    super(`the audit chain of workspace ${workspaceId} does not extend its last checkpoint`);
  }
}

/**
 * Anchors each workspace's audit chain outside its file: soon after commits (at most one
 * checkpoint per workspace per `delayMs`, whatever the write rate), on demand, and for what is
 * pending when the server stops.
 */
export class AuditAnchors {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly locks = new KeyedMutex();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    readonly signer: CheckpointSigner,
    private readonly logger: Logger,
    private readonly delayMs = CHECKPOINT_DELAY_MS,
  ) {}

  /** Checkpoints a workspace `delayMs` after the first commit published since its last checkpoint. */
  watch(feed: ChangeFeed): void {
    this.unsubscribe = feed.subscribe(({ workspaceId, events }) => {
      if (events.length === 0 || this.pending.has(workspaceId)) return;
      const timer = setTimeout(() => {
        this.pending.delete(workspaceId);
        this.track(this.checkpointQuietly(workspaceId));
      }, this.delayMs);
      timer.unref();
      this.pending.set(workspaceId, timer);
    });
  }

  /**
   * Signs and keeps a checkpoint of the workspace's current head, or returns the last one if the
   * head has not moved. Null for a workspace that is gone or has no event yet. Throws
   * `ChainDiverged`, anchoring nothing, if the events since the last checkpoint do not extend it.
   */
  async checkpoint(workspaceId: string): Promise<AuditCheckpoint | null> {
    return this.locks.run(workspaceId, async () => {
      const ws = await this.store.workspace(workspaceId);
      if (!ws) return null;
      const head = await ws.head();
      if (head.seq === 0) return null;
      const last = await this.store.control.lastAuditCheckpoint(workspaceId);
      if (last && last.seq === head.seq && last.hash === head.hash) return last;
      const from = last ? { seq: last.seq, hash: last.hash } : null;
      const walked = await walkChain(ws, head, from);
      if (!walked.ok) throw new ChainDiverged(workspaceId, walked);
      const checkpoint = this.signer.sign({
        workspaceId,
        seq: head.seq,
        hash: head.hash,
        at: new Date().toISOString(),
      });
      await this.store.control.putAuditCheckpoint(checkpoint);
      return checkpoint;
    });
  }

  /** Checkpoints every workspace with a checkpoint pending, now: at shutdown. */
  async flush(): Promise<void> {
    const ids = [...this.pending.keys()];
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const id of ids) this.track(this.checkpointQuietly(id));
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Stops watching, dropping what is pending (see `flush` to keep it). */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  /** Verifies a workspace's chain against its checkpoints and, if given, a receipt. */
  async verify(workspaceId: string, receipt?: AuditReceipt): Promise<AuditVerifyResult> {
    const ws = await this.store.workspace(workspaceId);
    if (!ws) throw notFound('Workspace');
    return verifyChain(ws, { control: this.store.control, signer: this.signer, receipt });
  }

  private track(task: Promise<unknown>): void {
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  private async checkpointQuietly(workspaceId: string): Promise<void> {
    try {
      await this.checkpoint(workspaceId);
    } catch (error) {
      if (error instanceof ChainDiverged) {
        this.logger.error(
          { workspaceId, firstBroken: error.result.firstBroken },
          `the audit chain of workspace ${workspaceId} no longer extends its last signed checkpoint; it was not checkpointed again (run audit:verify)`,
        );
      } else if (error instanceof AppError) {
        // Unavailable or full storage is reported where it happens; the next commit tries again.
        this.logger.warn({ workspaceId, code: error.code }, 'audit checkpoint not taken');
      } else {
        this.logger.error({ workspaceId, err: error }, 'audit checkpoint failed');
      }
    }
  }
}
