import { z } from 'zod';

function hex(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** Marks and embeddings that reorder how the text around them is shown (the "Trojan Source" set). */
function isBidiControl(code: number): boolean {
  return (
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** What is wrong with a name, or null: its first unsafe character, by code point and position. */
function unsafeCharacter(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `must be valid Unicode: an unpaired surrogate (${hex(code)} at position ${i + 1})`;
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      return `must be valid Unicode: an unpaired surrogate (${hex(code)} at position ${i + 1})`;
    }
    if (isControl(code)) {
      return `must not contain control characters such as NUL, ESC or line breaks (${hex(code)} at position ${i + 1})`;
    }
    if (isBidiControl(code)) {
      return `must not contain bidirectional text controls (${hex(code)} at position ${i + 1})`;
    }
  }
  return null;
}

/**
 * A zod check refusing the characters a name may not hold (see nameText), for text that is shown
 * as typed, without normalising or trimming it: enum options, which records store as values.
 */
export function refuseUnsafeCharacters(text: string, ctx: z.RefinementCtx): void {
  const problem = unsafeCharacter(text);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
}

/**
 * A name or label people read: workspace, user, device, role, entity type, field.
 * Names reach mail subjects, logs and every screen, so they are one line of visible text: no
 * control characters (NUL, ESC and so ANSI escapes, line breaks), no bidirectional controls
 * that could make a name read as something else, no unpaired surrogates. Stored NFC-normalised and
 * trimmed, so that the same name typed on two systems is the same string. `trim: false` is for a
 * name typed again to confirm something, which must match as typed.
 */
export function nameText(max: number, options: { trim?: boolean } = {}) {
  const normalised = z.string().normalize('NFC');
  return (options.trim === false ? normalised : normalised.trim())
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .superRefine(refuseUnsafeCharacters);
}
