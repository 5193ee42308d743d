import { createPublicKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ed25519FromSeed } from '../crypto/ed25519';
import { uuidv7 } from '../crypto/uuid7';
import { sha256Hex } from '../crypto/tokens';

export const DEVICE_TOKEN_AUDIENCE = 'enclave-device';
/** The brief's ceiling: a stolen access token is worth at most this long. */
export const MAX_DEVICE_TOKEN_TTL_SECONDS = 15 * 60;

const Claims = z.object({
  sub: z.uuid(),
  ws: z.uuid(),
  exp: z.number().int(),
  iat: z.number().int(),
  jti: z.string(),
});

export interface VerifiedDeviceToken {
  deviceId: string;
  workspaceId: string;
  /** Expiry, in ms since the epoch. */
  expiresAt: number;
  jti: string;
}

/** Why a token was refused; never told to the caller beyond "sign in again". */
export class InvalidDeviceToken extends Error {}

/**
 * Device access tokens: EdDSA JWTs signed with a key derived from the master key, so tokens
 * survive restarts and need no key file of their own. Verification pins the algorithm, issuer and
 * audience, and requires every claim we rely on.
 */
export class DeviceTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(
    signingSeed: Buffer,
    readonly issuer: string,
    private readonly ttlSeconds: number,
  ) {
    if (signingSeed.length !== 32) throw new Error('the signing seed must be 32 bytes');
    if (ttlSeconds < 1 || ttlSeconds > MAX_DEVICE_TOKEN_TTL_SECONDS)
      throw new Error(`device token lifetime must be 1..${String(MAX_DEVICE_TOKEN_TTL_SECONDS)} s`);
    this.privateKey = ed25519FromSeed(signingSeed);
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = sha256Hex(this.publicKey.export({ format: 'der', type: 'spki' })).slice(0, 16);
  }

  /** The public key, e.g. for tests that must forge tokens "signed with the public key". */
  publicKeyPem(): string {
    return this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  async issue(
    deviceId: string,
    workspaceId: string,
    now: Date = new Date(),
  ): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.ttlSeconds;
    const token = await new SignJWT({ ws: workspaceId })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: this.keyId })
      .setIssuer(this.issuer)
      .setAudience(DEVICE_TOKEN_AUDIENCE)
      .setSubject(deviceId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(uuidv7())
      .sign(this.privateKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verify(token: string, now: Date = new Date()): Promise<VerifiedDeviceToken> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ['EdDSA'],
        issuer: this.issuer,
        audience: DEVICE_TOKEN_AUDIENCE,
        typ: 'JWT',
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        currentDate: now,
        clockTolerance: 5,
        maxTokenAge: this.ttlSeconds + 5,
      });
      const claims = Claims.parse(payload);
      // Only this server signs, but a token's life is bounded here too, not only by its issuer.
      if (claims.exp - claims.iat > this.ttlSeconds) throw new InvalidDeviceToken('lifetime too long');
      return { deviceId: claims.sub, workspaceId: claims.ws, expiresAt: claims.exp * 1000, jti: claims.jti };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof z.ZodError) {
        throw new InvalidDeviceToken(error.message);
      }
      throw error;
    }
  }
}
