import type { AuditEvent } from '@enclave/shared';
import { sha256Hex } from '../crypto/tokens';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * The hash of an event links it to its predecessor: SHA-256 over the previous hash and the
 * event's canonical form (every field but the two hashes). Changing, removing or reordering any
 * event breaks every link after it.
 */
export function eventHash(prevHash: string, event: Omit<AuditEvent, 'hash' | 'prevHash'>): string {
  return sha256Hex(`${prevHash}\n${canonicalJson(event)}`);
}
