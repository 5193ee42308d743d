import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const KEY_BYTES = 32;

/** A fresh random 256-bit key. */
export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/**
 * Loads the master key from `path`, creating it (0600, 256 random bits) if it does not exist and
 * `create` is set. The file holds the key as 64 hex characters.
 */
export function loadMasterKey(path: string, create: boolean): Buffer {
  if (!existsSync(path)) {
    if (!create) throw new Error(`master key file not found: ${path}`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, newDataKey().toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    // Refuse rather than warn: a readable master key silently voids encryption at rest.
    throw new Error(
      `master key file ${path} must not be readable by group or others (mode ${mode.toString(8)}); chmod 600 it`,
    );
  }
  const hex = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`master key file ${path} must hold 64 hex characters`);
  return Buffer.from(hex, 'hex');
}

/** Derives a purpose-bound key from the master key, so one secret never serves two uses. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `enclave:${purpose}`, KEY_BYTES));
}

/**
 * Wraps a data key with AES-256-GCM under the wrapping key. `context` (e.g. the workspace id) is
 * bound as associated data, so a wrapped key copied onto another workspace fails to unwrap.
 * Format: base64(iv[12] | tag[16] | ciphertext).
 */
export function wrapKey(wrappingKey: Buffer, dataKey: Buffer, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', wrappingKey, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

export function unwrapKey(wrappingKey: Buffer, wrapped: string, context: string): Buffer {
  const raw = Buffer.from(wrapped, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', wrappingKey, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
}

export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}
