import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StartupError } from '../startup/startup-error';

export const KEY_BYTES = 32;

/** A fresh random 256-bit key. */
export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** How `loadMasterKey` may treat a missing key file. */
export interface MasterKeyOptions {
  /** Whether a missing file may be created: only at its default place in the data directory. */
  create: boolean;
  /** Whether the data directory already holds data encrypted under the key: then never create one. */
  dataExists: boolean;
}

/**
 * Loads the master key from `path`, creating it (0600, 256 random bits) if it does not exist, it may
 * be created, and there is no data that an older key encrypted. The file holds the key as 64 hex
 * characters. Every refusal is a `StartupError` naming the file and what to do.
 */
export function loadMasterKey(path: string, options: MasterKeyOptions): Buffer {
  if (!existsSync(path)) {
    if (options.dataExists) {
      throw new StartupError(
        `master key file ${path} is missing, but the data directory holds data encrypted with it; restore the file from where you keep it (a new key could never open this data)`,
      );
    }
    if (!options.create) {
      throw new StartupError(`master key file ${path} (ENCLAVE_MASTER_KEY_FILE) not found`);
    }
    if (!existsSync(dirname(path))) ensurePrivateDir(dirname(path));
    writeFileSync(path, newDataKey().toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const stat = statSync(path);
  if (!stat.isFile()) throw new StartupError(`master key file ${path} is not a file`);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    // Refuse rather than warn: a readable master key silently voids encryption at rest.
    throw new StartupError(
      `master key file ${path} must not be readable by group or others (mode ${mode.toString(8)}); chmod 600 it`,
    );
  }
  let hex: string;
  try {
    hex = readFileSync(path, 'utf8').trim();
  } catch {
    throw new StartupError(`master key file ${path} cannot be read by the server's user`);
  }
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new StartupError(`master key file ${path} must hold 64 hex characters (a 256-bit key)`);
  }
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

/**
 * Creates `path` and any missing parents (0700), then makes `path` itself 0700. Parents are made
 * one by one, not with `recursive`, which on some file systems (e.g. /proc) retries for ever.
 */
export function ensurePrivateDir(path: string): void {
  const missing: string[] = [];
  for (let current = resolve(path); !existsSync(current); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const dir of missing) mkdirSync(dir, { mode: 0o700 });
  chmodSync(path, 0o700);
}
