import type { OperationOf } from '@enclave/shared';
import { hashToken } from '../crypto/tokens';
import { deviceFacts, pairingStatus, pairingView } from '../devices/device-view';
import { newPairingCode } from '../devices/pairing-code';
import { can } from '../policy/policy';
import type { DeviceRow, Mutation, PairingRow } from '../store/types';
import type { Handler, HandlerEnv } from './context';
import { AppError, conflict, forbidden, invalid, notFound } from './errors';

/**
 * A device is managed by its owner, by itself, and by whoever may manage every device. To anyone
 * else it is no device at all: the same 404 as an unknown id.
 */
async function controllableDevice(env: HandlerEnv, id: string): Promise<DeviceRow> {
  const device = await env.store.getDevice(id);
  const { actor, principal } = env.ctx;
  const allowed =
    device !== null &&
    ((actor.kind === 'device' && actor.id === device.id) ||
      device.ownerId === principal.userId ||
      can(env.perms, 'devices.manage'));
  if (!device || !allowed) throw notFound('Device');
  return device;
}

export const createPairing: Handler<OperationOf<'device.createPairing'>> = async (op, env) => {
  const forUserId = op.forUserId ?? env.ctx.principal.userId;
  if (forUserId !== env.ctx.principal.userId && !can(env.perms, 'devices.manage')) {
    throw forbidden('You may pair devices only for yourself');
  }
  if (!(await env.store.getMember(forUserId))) throw notFound('Member');
  const code = newPairingCode();
  const pairing: PairingRow = {
    id: env.newId(),
    tokenHash: hashToken(code),
    forUserId,
    createdBy: env.ctx.principal.userId,
    createdAt: env.now,
    expiresAt: new Date(Date.parse(env.now) + op.ttlSeconds * 1000).toISOString(),
    usedAt: null,
    deviceId: null,
    cancelledAt: null,
  };
  return {
    change: {
      action: 'device.createPairing',
      target: { kind: 'pairing', entityType: null, id: pairing.id },
      before: null,
      after: pairingView(pairing, env.now),
      details: null,
      mutations: [{ kind: 'pairing.put', pairing }],
    },
    result: { pairing: pairingView(pairing, env.now), code, tokenHash: pairing.tokenHash },
  };
};

export const cancelPairing: Handler<OperationOf<'device.cancelPairing'>> = async (op, env) => {
  const pairing = await env.store.getPairing(op.pairingId);
  const mine =
    pairing !== null &&
    (pairing.createdBy === env.ctx.principal.userId || pairing.forUserId === env.ctx.principal.userId);
  if (!pairing || (!mine && !can(env.perms, 'devices.manage'))) throw notFound('Pairing');
  if (pairingStatus(pairing, env.now) !== 'pending')
    throw conflict('The pairing code was already used, cancelled or expired');
  const after: PairingRow = { ...pairing, cancelledAt: env.now };
  return {
    change: {
      action: 'device.cancelPairing',
      target: { kind: 'pairing', entityType: null, id: pairing.id },
      before: pairingView(pairing, env.now),
      after: pairingView(after, env.now),
      details: null,
      mutations: [{ kind: 'pairing.put', pairing: after }],
    },
    result: { tokenHash: pairing.tokenHash },
  };
};

export const pairDevice: Handler<OperationOf<'device.pair'>> = async (op, env) => {
  const { actor } = env.ctx;
  if (actor.kind !== 'device' || actor.id !== op.deviceId) throw forbidden();
  const pairing = await env.store.getPairing(op.pairingId);
  if (!pairing) throw new AppError('invalid_credentials', 'The pairing code is not valid');
  const status = pairingStatus(pairing, env.now);
  if (status !== 'pending') throw new AppError('gone', `The pairing code was ${status}; ask for a new one`);
  // The person the code was made for may have left the workspace since.
  if (!(await env.store.getMember(pairing.forUserId)))
    throw new AppError('gone', 'The pairing code is no longer valid; ask for a new one');
  const device: DeviceRow = {
    id: op.deviceId,
    ownerId: pairing.forUserId,
    name: op.name,
    platform: op.platform,
    appVersion: op.appVersion,
    publicKey: op.publicKey,
    pairedBy: pairing.createdBy,
    pairedAt: env.now,
    lastSeenAt: null,
    lastIp: null,
    revokedAt: null,
    revokedBy: null,
    wipe: false,
    wipeConfirmedAt: null,
  };
  return {
    change: {
      action: 'device.pair',
      target: { kind: 'device', entityType: null, id: device.id },
      before: null,
      after: deviceFacts(device),
      details: { pairingId: pairing.id },
      mutations: [
        { kind: 'pairing.consume', pairingId: pairing.id, usedAt: env.now, deviceId: device.id },
        { kind: 'device.put', device },
      ],
    },
    result: { device, tokenHash: pairing.tokenHash },
  };
};

export const renameDevice: Handler<OperationOf<'device.rename'>> = async (op, env) => {
  const device = await controllableDevice(env, op.deviceId);
  if (device.name === op.name) return { change: null, result: { device } };
  const after: DeviceRow = { ...device, name: op.name };
  return {
    change: {
      action: 'device.rename',
      target: { kind: 'device', entityType: null, id: device.id },
      before: deviceFacts(device),
      after: deviceFacts(after),
      details: null,
      mutations: [{ kind: 'device.put', device: after }],
    },
    result: { device: after },
  };
};

/** The mutation that revokes a device, for revocation itself and for what implies it. */
export function revocation(device: DeviceRow, by: string, at: string, wipe: boolean): Mutation {
  return {
    kind: 'device.put',
    device: {
      ...device,
      revokedAt: device.revokedAt ?? at,
      revokedBy: device.revokedBy ?? by,
      wipe: device.wipe || wipe,
    },
  };
}

export const revokeDevice: Handler<OperationOf<'device.revoke'>> = async (op, env) => {
  const device = await controllableDevice(env, op.deviceId);
  // Revoking again may add a wipe (a laptop reported lost after it was revoked), never take one back.
  if (device.revokedAt !== null && (device.wipe || !op.wipe)) throw conflict('The device is already revoked');
  const mutation = revocation(device, env.ctx.actor.id, env.now, op.wipe);
  const after = (mutation as Extract<Mutation, { kind: 'device.put' }>).device;
  return {
    change: {
      action: 'device.revoke',
      target: { kind: 'device', entityType: null, id: device.id },
      before: deviceFacts(device),
      after: deviceFacts(after),
      details: { wipe: after.wipe },
      mutations: [mutation],
    },
    result: { device: after },
  };
};

/**
 * How far a receipt's `wipedAt` (the device's clock) may stray from the server's: a laptop's clock
 * a little off must not make its receipt refused, and a time far from now is not a wipe that
 * happened when it says.
 */
export const WIPE_RECEIPT_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Records a wipe receipt whose signature the server has checked (`DevicesService.confirmWipe`).
 * The device itself is the actor; only a device revoked with a wipe has anything to confirm, and
 * a receipt for a wipe already confirmed changes nothing (the app retries until it hears back).
 */
export const confirmWipe: Handler<OperationOf<'device.confirmWipe'>> = async (op, env) => {
  const { actor } = env.ctx;
  if (actor.kind !== 'device' || actor.id !== op.deviceId) throw forbidden();
  const device = await env.store.getDevice(op.deviceId);
  if (!device) throw notFound('Device');
  // The signature was checked against this key before the lock was taken; a device's key never
  // changes, but the receipt is recorded against the key it was checked with, or not at all.
  if (device.publicKey !== op.signedBy) throw forbidden();
  if (device.revokedAt === null || !device.wipe) {
    throw conflict('The device was not revoked with a wipe: there is no wipe to confirm');
  }
  const wipedAt = Date.parse(op.wipedAt);
  const invalidTime = (message: string) =>
    invalid('The receipt’s wipe time is not plausible', [{ path: 'body.wipedAt', message }]);
  if (wipedAt < Date.parse(device.revokedAt) - WIPE_RECEIPT_CLOCK_SKEW_MS) {
    throw invalidTime('must not be before the device was revoked');
  }
  if (wipedAt > Date.parse(env.now) + WIPE_RECEIPT_CLOCK_SKEW_MS) {
    throw invalidTime('must not be in the future');
  }
  if (device.wipeConfirmedAt !== null) return { change: null, result: { device } };
  const after: DeviceRow = { ...device, wipeConfirmedAt: env.now };
  return {
    change: {
      action: 'device.wipe_confirmed',
      target: { kind: 'device', entityType: null, id: device.id },
      before: deviceFacts(device),
      after: deviceFacts(after),
      // The signature too: anyone holding the log can check the receipt against the key again.
      details: { wipedAt: op.wipedAt, signedBy: op.signedBy, signature: op.signature },
      mutations: [{ kind: 'device.put', device: after }],
    },
    result: { device: after },
  };
};

/** Revocations of every active device of a user (on removal from the workspace). */
export async function revokeDevicesOf(
  env: HandlerEnv,
  userId: string | null,
  wipe: boolean,
): Promise<{ mutations: Mutation[]; ids: string[] }> {
  const devices = (await env.store.listDevices()).filter(
    (d) => d.revokedAt === null && (userId === null || d.ownerId === userId),
  );
  return {
    mutations: devices.map((d) => revocation(d, env.ctx.actor.id, env.now, wipe)),
    ids: devices.map((d) => d.id),
  };
}

export const deleteWorkspace: Handler<OperationOf<'workspace.delete'>> = async (_op, env) => {
  if (!can(env.perms, 'workspace.delete')) throw forbidden('Only an owner may delete the workspace');
  // The data is going away for everyone: every device is told to wipe its copy.
  const revoked = await revokeDevicesOf(env, null, true);
  return {
    change: {
      action: 'workspace.delete',
      target: { kind: 'workspace', entityType: null, id: env.ctx.workspaceId },
      before: { name: (await env.store.getMeta('name')) ?? '' },
      after: null,
      details: { revokedDevices: revoked.ids },
      mutations: revoked.mutations,
    },
  };
};
