import type { AuditVerifyResult } from '@enclave/shared';
import type { WorkspaceStore } from '../store/types';
import { eventHash, GENESIS_HASH } from './chain';

const PAGE = 1_000;

/**
 * Walks the whole chain from the first event and reports the first broken link: an event whose
 * content no longer matches its hash, a link that does not point at its predecessor, a missing
 * sequence number, or a head that does not match the last event (a truncated tail).
 */
export async function verifyChain(ws: WorkspaceStore): Promise<AuditVerifyResult> {
  const head = await ws.head();
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const broken = (
    seq: number,
    reason: NonNullable<AuditVerifyResult['firstBroken']>['reason'],
  ): AuditVerifyResult => ({
    ok: false,
    checked,
    headSeq: head.seq,
    firstBroken: { seq, reason },
  });
  for (;;) {
    const page = await ws.auditEventsFrom(expectedSeq, PAGE);
    for (const event of page) {
      if (event.seq !== expectedSeq) return broken(expectedSeq, 'sequence_gap');
      if (event.prevHash !== prevHash) return broken(event.seq, 'prev_hash_mismatch');
      const { hash, prevHash: _prev, ...content } = event;
      if (eventHash(prevHash, content) !== hash) return broken(event.seq, 'hash_mismatch');
      prevHash = hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (page.length < PAGE) break;
  }
  if (head.seq !== expectedSeq - 1 || head.hash !== prevHash)
    return broken(Math.min(head.seq, expectedSeq), 'head_mismatch');
  return { ok: true, checked, headSeq: head.seq, firstBroken: null };
}
