import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh 256-bit bearer secret, base64url. Shown once; only its hash is stored. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Bearer tokens are high-entropy, so a plain SHA-256 is the right storage hash (no salt, no stretching). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
