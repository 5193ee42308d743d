import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';

export interface DeviceKeyPair {
  /** The raw 32-byte Ed25519 public key, base64url without padding, as the server registers it. */
  publicKey: string;
  /** The private key as PKCS#8 PEM: a plain string, so a keychain can hold it. */
  privateKey: string;
}

export function generateDeviceKeys(): DeviceKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: rawPublicKey(publicKey.export({ format: 'jwk' }).x),
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** The raw public key that goes with a serialised private key. */
export function publicKeyOf(privateKey: string): string {
  return rawPublicKey(createPublicKey(createPrivateKey(privateKey)).export({ format: 'jwk' }).x);
}

/** Signs the UTF-8 bytes of `message`; the signature is 64 bytes, base64url without padding. */
export function signMessage(privateKey: string, message: string): string {
  return sign(null, Buffer.from(message, 'utf8'), createPrivateKey(privateKey)).toString('base64url');
}

function rawPublicKey(x: string | undefined): string {
  if (x === undefined) throw new Error('not an Ed25519 key');
  return x;
}
