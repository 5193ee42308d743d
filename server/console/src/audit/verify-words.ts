import type { AuditVerifyResult } from '@enclave/shared';

type Reason = NonNullable<AuditVerifyResult['firstBroken']>['reason'];

const count = (n: number) => n.toLocaleString();

/** What each way of breaking means, for a person deciding what to do next. */
const REASONS: Record<Reason, (seq: string) => string> = {
  hash_mismatch: (seq) =>
    `Event #${seq} was changed after it was written: its content no longer matches its hash.`,
  prev_hash_mismatch: (seq) =>
    `The link to event #${seq} is broken: it does not point at the event before it, so an event was replaced or inserted there.`,
  sequence_gap: (seq) => `Event #${seq} is missing: the log skips from the event before it to a later one.`,
  head_mismatch: (seq) =>
    `The log ends before event #${seq}, which the workspace recorded as written: events were cut off its end.`,
  checkpoint_mismatch: (seq) =>
    `Event #${seq} is not the one the server's signed checkpoint recorded: history was rewritten at or before #${seq}, or the log was cut short.`,
  checkpoint_invalid: (seq) =>
    `The signed checkpoint at #${seq} does not verify under this server's audit key: the checkpoints themselves were tampered with.`,
  receipt_mismatch: (seq) =>
    `Event #${seq} is not the one your receipt recorded: history was rewritten at or before #${seq}, or the log was cut short.`,
};

/** The result of a chain check in words: a headline and what it rests on, or where it broke and why. */
export function verifyWords(result: AuditVerifyResult): { headline: string; detail: string } {
  const { anchors } = result;
  if (result.ok) {
    const checkpoint =
      anchors.lastCheckpointSeq === null
        ? 'no signed checkpoint yet (one is taken a second after each change)'
        : `last signed checkpoint at #${count(anchors.lastCheckpointSeq)}`;
    const receipt =
      anchors.receiptSeq === null ? '' : `, and it matches your receipt at #${count(anchors.receiptSeq)}`;
    const after =
      anchors.lastCheckpointSeq !== null && result.headSeq > anchors.lastCheckpointSeq
        ? ` Events after #${count(anchors.lastCheckpointSeq)} rest on the hash chain alone until the next checkpoint.`
        : '';
    return {
      headline: `The log is intact: ${count(result.checked)} ${result.checked === 1 ? 'event' : 'events'} checked, ${checkpoint}${receipt}.`,
      detail: `Every event links to the one before it by its hash, and the chain holds ${count(anchors.checkpoints)} signed ${anchors.checkpoints === 1 ? 'checkpoint' : 'checkpoints'}.${after}`,
    };
  }
  const broken = result.firstBroken;
  const where = broken ? REASONS[broken.reason](count(broken.seq)) : 'The check did not say where.';
  return {
    headline: broken
      ? `The log is broken at event #${count(broken.seq)}.`
      : 'The log did not pass the check.',
    detail: `${where} ${count(result.checked)} ${result.checked === 1 ? 'event' : 'events'} held before it. Keep the server's data directory as it is and tell whoever runs the server.`,
  };
}
