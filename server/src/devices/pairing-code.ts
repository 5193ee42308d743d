import { randomBytes } from 'node:crypto';
import { PAIRING_ALPHABET, PAIRING_CODE_SYMBOLS } from '@enclave/shared';

/**
 * A fresh pairing code: 20 symbols of a 32-letter alphabet, 100 bits from the CSPRNG. Each byte's
 * low five bits pick a symbol; 32 divides 256, so every symbol is equally likely.
 */
export function newPairingCode(): string {
  const bytes = randomBytes(PAIRING_CODE_SYMBOLS);
  let code = '';
  for (const byte of bytes) code += PAIRING_ALPHABET.charAt(byte & 31);
  return code;
}

/** `ABCD-EFGH-…`: groups of four, for reading aloud and typing. */
export function formatPairingCode(code: string): string {
  return (code.match(/.{1,4}/g) ?? []).join('-');
}

export function pairingLink(serverOrigin: string, code: string): string {
  const query = new URLSearchParams({ server: serverOrigin, code: formatPairingCode(code) });
  return `enclave://pair?${query.toString()}`;
}
