import type { SyncPullResult } from '@enclave/shared';

/** How far pulling has come: documents received and the last checkpoint the server gave. */
export interface PullProgress {
  received: number;
  lastSeq: number | null;
}

export const NO_PROGRESS: PullProgress = { received: 0, lastSeq: null };

/** Progress after one pull answer (the transport sees each page, including empty ones). */
export function afterPull(progress: PullProgress, result: SyncPullResult): PullProgress {
  return {
    received: progress.received + result.documents.length,
    lastSeq: result.checkpoint?.seq ?? progress.lastSeq,
  };
}

/**
 * The initial sync's percentage: the checkpoint's sequence against the workspace's sequence when
 * the server greeted this device. Sequences count every change, including ones this device may
 * not read, so the checkpoint (which moves past those too) is the honest measure, not the number
 * of documents. Null when it cannot be known yet. Below 100 until RxDB says it is done: the head
 * may have moved on since the greeting, and a bar at 100% that does not finish is worse than 99%.
 */
export function initialSyncPercent(
  lastSeq: number | null,
  headSeq: number | null,
  done: boolean,
): number | null {
  if (done) return 100;
  if (headSeq === null || headSeq <= 0) return null;
  const ratio = (lastSeq ?? 0) / headSeq;
  return Math.max(0, Math.min(99, Math.floor(ratio * 100)));
}
