import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PublicKey, Signature } from '@enclave/shared';
import { generateDeviceKeys, publicKeyOf, signMessage } from './device-keys';

const publicKeyObject = (raw: string) =>
  createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });

describe('device keys', () => {
  it('exports the public key as 32 raw bytes in base64url, as the server expects', () => {
    const keys = generateDeviceKeys();
    expect(PublicKey.safeParse(keys.publicKey).success).toBe(true);
    expect(Buffer.from(keys.publicKey, 'base64url')).toHaveLength(32);
    expect(keys.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('signs so that node:crypto verifies with the exported public key', () => {
    const keys = generateDeviceKeys();
    const signature = signMessage(keys.privateKey, 'enclave-pair-v1\nABCD');
    expect(Signature.safeParse(signature).success).toBe(true);

    const key = publicKeyObject(keys.publicKey);
    const bytes = Buffer.from(signature, 'base64url');
    expect(verify(null, Buffer.from('enclave-pair-v1\nABCD', 'utf8'), key, bytes)).toBe(true);
    expect(verify(null, Buffer.from('enclave-pair-v1\nABCE', 'utf8'), key, bytes)).toBe(false);
  });

  it('recovers the public key from the serialised private key', () => {
    const keys = generateDeviceKeys();
    expect(publicKeyOf(keys.privateKey)).toBe(keys.publicKey);
    expect(generateDeviceKeys().publicKey).not.toBe(keys.publicKey);
  });
});
