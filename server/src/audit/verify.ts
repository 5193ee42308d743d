import type { AuditCheckpoint, AuditReceipt, AuditVerifyResult } from '@enclave/shared';
import type { ChainHead, ControlStore, WorkspaceStore } from '../store/types';
import type { CheckpointSigner } from './checkpoints';
import { eventHash, GENESIS_HASH } from './chain';

const PAGE = 1_000;

type Reason = NonNullable<AuditVerifyResult['firstBroken']>['reason'];

/** What a chain is held against besides itself: the signed checkpoints, and a receipt if given. */
export interface ChainAnchors {
  control: Pick<ControlStore, 'listAuditCheckpoints'>;
  signer: Pick<CheckpointSigner, 'isAuthentic'>;
  /** A receipt the caller has already found to be issued by `signer` for this workspace. */
  receipt?: AuditReceipt | undefined;
}

/** A workspace's checkpoints in sequence order, read a page at a time. */
async function* checkpointsOf(
  control: ChainAnchors['control'],
  workspaceId: string,
): AsyncGenerator<AuditCheckpoint> {
  let after = 0;
  for (;;) {
    const page = await control.listAuditCheckpoints(workspaceId, after, PAGE);
    yield* page;
    const last = page.at(-1);
    if (page.length < PAGE || !last) return;
    after = last.seq;
  }
}

/**
 * Walks the whole chain from the first event and reports the first broken link: an event whose
 * content no longer matches its hash, a link that does not point at its predecessor, a missing
 * sequence number, or a head that does not match the last event (a truncated tail).
 *
 * With `anchors`, the chain must also hold every signed checkpoint's (seq, hash), and the
 * receipt's: a rewrite that recomputed every later hash and the head passes the checks above, and
 * is caught here. A checkpoint beyond the end of the chain means the chain was cut short.
 */
export async function verifyChain(ws: WorkspaceStore, anchors?: ChainAnchors): Promise<AuditVerifyResult> {
  const head = await ws.head();
  const checkpoints = anchors ? checkpointsOf(anchors.control, ws.workspaceId) : null;
  const receipt = anchors?.receipt ?? null;
  const advance = async (): Promise<AuditCheckpoint | null> => {
    const step = await checkpoints?.next();
    return step && !step.done ? step.value : null;
  };
  let next = await advance();
  let seen = 0;
  let lastCheckpointSeq: number | null = null;

  const result = (checked: number, firstBroken: AuditVerifyResult['firstBroken']): AuditVerifyResult => ({
    ok: firstBroken === null,
    checked,
    headSeq: head.seq,
    firstBroken,
    anchors: { checkpoints: seen, lastCheckpointSeq, receiptSeq: receipt?.seq ?? null },
  });

  const walked = await walk(ws, { seq: 0, hash: GENESIS_HASH }, null, async (event) => {
    while (next && next.seq <= event.seq) {
      seen += 1;
      lastCheckpointSeq = next.seq;
      if (!anchors?.signer.isAuthentic(next)) return { seq: next.seq, reason: 'checkpoint_invalid' };
      if (next.seq === event.seq && next.hash !== event.hash)
        return { seq: next.seq, reason: 'checkpoint_mismatch' };
      next = await advance();
    }
    if (receipt?.seq === event.seq && receipt.hash !== event.hash)
      return { seq: receipt.seq, reason: 'receipt_mismatch' };
    return null;
  });
  if (walked.broken) return result(walked.checked, walked.broken);
  if (head.seq !== walked.seq || head.hash !== walked.hash)
    return result(walked.checked, { seq: Math.min(head.seq, walked.seq + 1), reason: 'head_mismatch' });
  // Anchors past the last event: events they vouched for are gone.
  if (next) {
    seen += 1;
    lastCheckpointSeq = next.seq;
    const reason = anchors?.signer.isAuthentic(next) ? 'checkpoint_mismatch' : 'checkpoint_invalid';
    return result(walked.checked, { seq: next.seq, reason });
  }
  if (receipt && receipt.seq > walked.seq)
    return result(walked.checked, { seq: receipt.seq, reason: 'receipt_mismatch' });
  return result(walked.checked, null);
}

/**
 * Checks that the events after `from` (the last checkpoint, or the start) link up to `head`:
 * whether `head` may be checkpointed. Events appended after `head` was read are left alone.
 */
export async function walkChain(
  ws: WorkspaceStore,
  head: ChainHead,
  from: ChainHead | null,
): Promise<AuditVerifyResult> {
  const start = from ?? { seq: 0, hash: GENESIS_HASH };
  const walked = await walk(ws, start, head.seq, async () => null);
  const none = { checkpoints: 0, lastCheckpointSeq: from?.seq ?? null, receiptSeq: null };
  const firstBroken =
    walked.broken ??
    (walked.seq !== head.seq || walked.hash !== head.hash
      ? { seq: Math.min(head.seq, walked.seq + 1), reason: 'head_mismatch' as const }
      : null);
  return { ok: firstBroken === null, checked: walked.checked, headSeq: head.seq, firstBroken, anchors: none };
}

interface Walked {
  broken: { seq: number; reason: Reason } | null;
  checked: number;
  /** The last event that held, and its hash. */
  seq: number;
  hash: string;
}

async function walk(
  ws: WorkspaceStore,
  start: ChainHead,
  untilSeq: number | null,
  onEvent: (event: { seq: number; hash: string }) => Promise<Walked['broken']>,
): Promise<Walked> {
  let expectedSeq = start.seq + 1;
  let prevHash = start.hash;
  let checked = 0;
  const broken = (seq: number, reason: Reason): Walked => ({
    broken: { seq, reason },
    checked,
    seq: expectedSeq - 1,
    hash: prevHash,
  });
  for (;;) {
    const limit = untilSeq === null ? PAGE : Math.min(PAGE, untilSeq - expectedSeq + 1);
    if (limit <= 0) break;
    const page = await ws.auditEventsFrom(expectedSeq, limit);
    for (const event of page) {
      if (event.seq !== expectedSeq) return broken(expectedSeq, 'sequence_gap');
      if (event.prevHash !== prevHash) return broken(event.seq, 'prev_hash_mismatch');
      const { hash, prevHash: _prev, ...content } = event;
      if (eventHash(prevHash, content) !== hash) return broken(event.seq, 'hash_mismatch');
      const anchored = await onEvent(event);
      if (anchored) return { broken: anchored, checked, seq: expectedSeq - 1, hash: prevHash };
      prevHash = hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (page.length < limit) break;
  }
  return { broken: null, checked, seq: expectedSeq - 1, hash: prevHash };
}
