/**
 * The mark a fill leaves on each document it writes (see pulled-state.ts). Apart from
 * pulled-state.ts so that the fill's worker thread loads no RxDB.
 */

/** The `_meta` field of a filled document. */
export const PULLED_MARK = 'pulled';

export interface PulledMark {
  readonly link: number;
  /** The document's `_rev` when it was filled. */
  readonly rev: string;
}

/** The revision a filled document, its meta row and the fill's checkpoint rows start at. */
export const PULLED_REV = '1-pulled';

/** The revision after `rev` (RxDB's `<height>-<token>`), as a fill writes it. */
export function nextPulledRev(rev: string): string {
  const height = Number.parseInt(rev.split('-')[0] ?? '0', 10);
  return `${String((Number.isFinite(height) ? height : 0) + 1)}-pulled`;
}
