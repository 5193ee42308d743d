import { createPublicKey, randomUUID, verify } from 'node:crypto';
import {
  pairingProofMessage,
  renewalProofMessage,
  wipeReceiptMessage,
  type AccessToken,
  type Challenge,
  type DevicePaired,
  type RedeemPairingBody,
  type RenewTokenBody,
  type WipeReceiptBody,
} from '@enclave/shared';
import { digestsEqual, hashToken } from '../crypto/tokens';
import type { OperationContext, RequestMeta } from '../engine/context';
import type { CommandEngine } from '../engine/engine';
import { AppError } from '../engine/errors';
import type { DeviceRow, MemberRow, Store, WorkspaceStore } from '../store/types';
import type { ChallengeStore } from './challenges';
import type { DevicePresenceSource } from './device-presence';
import { presentDevice } from './device-view';
import { InvalidDeviceToken, type DeviceTokens, type VerifiedDeviceToken } from './device-tokens';

/** A device whose token checked out and which is still allowed in. */
export interface AuthenticatedDevice {
  token: VerifiedDeviceToken;
  device: DeviceRow;
  owner: MemberRow;
  ws: WorkspaceStore;
  ctx(request: RequestMeta): OperationContext;
}

const LAST_SEEN_EVERY_MS = 60_000;

export function deviceRevoked(wipe: boolean): AppError {
  return new AppError('device_revoked', 'This device was removed from the workspace', { wipe });
}

const invalidToken = () => new AppError('unauthorized', 'The device token is not valid; renew it');

/** Whether `signature` is the device key's Ed25519 signature of `message`. */
export function verifyDeviceSignature(publicKey: string, message: string, signature: string): boolean {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
    return verify(null, Buffer.from(message, 'utf8'), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

export function deviceContext(
  device: DeviceRow,
  owner: MemberRow,
  workspaceId: string,
  request: RequestMeta,
): OperationContext {
  return {
    workspaceId,
    actor: { kind: 'device', id: device.id, label: device.name },
    principal: { userId: owner.userId, email: owner.email, name: owner.name },
    request,
  };
}

/**
 * Pairing, renewal and authentication of devices. A device's standing is read from its
 * workspace on every request and connection, so revocation needs no token to expire.
 */
export class DevicesService {
  private readonly lastTouched = new Map<string, { at: number; ip: string | null }>();

  constructor(
    private readonly store: Store,
    private readonly engine: CommandEngine,
    readonly tokens: DeviceTokens,
    private readonly challenges: ChallengeStore,
    private readonly presence: DevicePresenceSource,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async redeem(body: RedeemPairingBody & { code: string }, request: RequestMeta): Promise<DevicePaired> {
    const tokenHash = hashToken(body.code);
    const workspaceId = await this.store.control.findPairingWorkspace(tokenHash);
    const ws = workspaceId ? await this.store.workspace(workspaceId) : null;
    const pairing = ws ? await ws.getPairingByTokenHash(tokenHash) : null;
    // The lookup is by hash (an attacker cannot steer it); the comparison after it is constant-time.
    if (!ws || !pairing || !digestsEqual(pairing.tokenHash, tokenHash)) {
      throw new AppError('invalid_credentials', 'The pairing code is not valid');
    }
    if (!verifyDeviceSignature(body.publicKey, pairingProofMessage(body.code), body.proof)) {
      throw new AppError('validation_failed', 'The proof does not match the public key', [
        { path: 'proof', message: 'must be the signature of the pairing code by the device key' },
      ]);
    }
    const owner = await ws.getMember(pairing.forUserId);
    const deviceId = randomUUID();
    const ctx: OperationContext = {
      workspaceId: ws.workspaceId,
      actor: { kind: 'device', id: deviceId, label: body.name },
      principal: { userId: pairing.forUserId, email: owner?.email ?? '', name: owner?.name ?? '' },
      request,
    };
    await this.engine.execute(ctx, {
      type: 'device.pair',
      pairingId: pairing.id,
      deviceId,
      publicKey: body.publicKey,
      name: body.name,
      platform: body.platform,
      appVersion: body.appVersion,
    });
    // The index entry stays until the expiry sweep: a used code must still find its pairing, so
    // that it is refused as used (410), not as unknown (401), however the redeems interleave.
    await this.touch(ws, deviceId, request.ip);
    // Read after the touch, so that the answer shows where the device was first seen from.
    const device = await ws.getDevice(deviceId);
    if (!device) throw new Error('paired device not found');
    const { token, expiresAt } = await this.tokens.issue(deviceId, ws.workspaceId, this.clock());
    return {
      accessToken: token,
      expiresAt: expiresAt.toISOString(),
      device: presentDevice(this.presence, ws.workspaceId, device),
      workspace: { id: ws.workspaceId, name: (await ws.getMeta('name')) ?? '' },
    };
  }

  /** A challenge is issued to anyone who asks: whether the device exists is not revealed here. */
  challenge(workspaceId: string, deviceId: string): Challenge {
    const { challenge, expiresAt } = this.challenges.issue(workspaceId, deviceId, this.clock().getTime());
    return { challenge, expiresAt: expiresAt.toISOString() };
  }

  /** Renewal by proof of possession: only the holder of the device's private key gets a new token. */
  async renew(body: RenewTokenBody, request: RequestMeta): Promise<AccessToken> {
    const fresh = this.challenges.consume(
      body.challenge,
      body.workspaceId,
      body.deviceId,
      this.clock().getTime(),
    );
    const refused = () => new AppError('unauthorized', 'The challenge or its signature is not valid');
    if (!fresh) throw refused();
    const ws = await this.store.workspace(body.workspaceId);
    const device = ws ? await ws.getDevice(body.deviceId) : null;
    // No such device (its workspace was deleted, which takes its devices with it): told to wipe.
    // An unknown workspace and an unknown device of a real one answer alike, so a caller without
    // a device learns nothing about which workspace ids exist.
    if (!ws || !device) throw deviceRevoked(true);
    if (
      !verifyDeviceSignature(device.publicKey, renewalProofMessage(device.id, body.challenge), body.signature)
    ) {
      throw refused();
    }
    await this.standing(ws, device);
    await this.touch(ws, device.id, request.ip);
    const { token, expiresAt } = await this.tokens.issue(device.id, ws.workspaceId, this.clock());
    return { accessToken: token, expiresAt: expiresAt.toISOString() };
  }

  /**
   * A revoked app's word, signed with its device key, that it deleted its replica and keychain
   * entries. No token: a wiped app has none left, and the key it still held in memory is the proof.
   */
  async confirmWipe(body: WipeReceiptBody, request: RequestMeta): Promise<void> {
    const ws = await this.store.workspace(body.workspaceId);
    const device = ws ? await ws.getDevice(body.deviceId) : null;
    // An unknown workspace, an unknown device and a signature by any other key answer alike: a
    // caller without the device key learns nothing about which workspaces and devices exist.
    if (
      !ws ||
      !device ||
      !verifyDeviceSignature(
        device.publicKey,
        wipeReceiptMessage(body.workspaceId, body.deviceId, body.wipedAt),
        body.signature,
      )
    ) {
      throw new AppError('unauthorized', 'The wipe receipt is not signed by a device of this workspace');
    }
    // The owner may have left the workspace (which revokes the device): the receipt still counts.
    const owner = await ws.getMember(device.ownerId);
    await this.engine.execute(
      {
        workspaceId: ws.workspaceId,
        actor: { kind: 'device', id: device.id, label: device.name },
        principal: { userId: device.ownerId, email: owner?.email ?? '', name: owner?.name ?? '' },
        request,
      },
      {
        type: 'device.confirmWipe',
        deviceId: device.id,
        wipedAt: body.wipedAt,
        signedBy: device.publicKey,
        signature: body.signature,
      },
    );
  }

  /** Checks a bearer token and the device's standing now, whatever the token's remaining lifetime. */
  async authenticate(token: string, ip: string | null): Promise<AuthenticatedDevice> {
    let verified: VerifiedDeviceToken;
    try {
      verified = await this.tokens.verify(token, this.clock());
    } catch (error) {
      if (error instanceof InvalidDeviceToken) throw invalidToken();
      throw error;
    }
    const ws = await this.store.workspace(verified.workspaceId);
    // A valid signature on a token for a workspace that is gone: the workspace was deleted.
    if (!ws) throw deviceRevoked(true);
    const device = await ws.getDevice(verified.deviceId);
    if (!device) throw invalidToken();
    const owner = await this.standing(ws, device);
    await this.touch(ws, device.id, ip);
    return {
      token: verified,
      device,
      owner,
      ws,
      ctx: (request) => deviceContext(device, owner, ws.workspaceId, request),
    };
  }

  /** As `standing`, by id: a device that is not there is out too. */
  async standingOf(ws: WorkspaceStore, deviceId: string): Promise<MemberRow> {
    const device = await ws.getDevice(deviceId);
    if (!device) throw deviceRevoked(false);
    return this.standing(ws, device);
  }

  /** The device's owner, if the device may still act; otherwise why not. */
  async standing(ws: WorkspaceStore, device: DeviceRow): Promise<MemberRow> {
    if (device.revokedAt !== null) throw deviceRevoked(device.wipe);
    const owner = await ws.getMember(device.ownerId);
    // Removing a member revokes their devices in the same transaction; this is the second wall.
    if (!owner) throw deviceRevoked(false);
    return owner;
  }

  private async touch(ws: WorkspaceStore, deviceId: string, ip: string | null): Promise<void> {
    const now = this.clock().getTime();
    const last = this.lastTouched.get(deviceId);
    if (last && last.ip === ip && now - last.at < LAST_SEEN_EVERY_MS) return;
    this.lastTouched.set(deviceId, { at: now, ip });
    await ws.touchDevice(deviceId, new Date(now).toISOString(), ip);
  }
}
