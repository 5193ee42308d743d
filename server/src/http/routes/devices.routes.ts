import { Router } from 'express';
import { routes } from '@enclave/shared';
import { deviceActivity } from '../../audit/device-activity';
import { pairingView, presentDevice } from '../../devices/device-view';
import { formatPairingCode, pairingLink } from '../../devices/pairing-code';
import { forbidden, invalid } from '../../engine/errors';
import { can, canSeeDevice, canSeePairing } from '../../policy/policy';
import type { DeviceRow } from '../../store/types';
import type { AppDeps } from '../deps';
import { limiter } from '../middleware';
import { bind } from '../route';
import { workspaceAccess } from '../workspace-access';

export function deviceRoutes(deps: AppDeps): Router {
  const router = Router();
  const { engine, devices, store, config, presence } = deps;

  // Redeeming guesses codes; renewal and wipe receipts cost a signature check. All are limited per address.
  router.use('/api/v1/devices/pair', limiter({ windowMs: 60_000, limit: config.authRatePerIp }));
  router.use(
    ['/api/v1/devices/challenge', '/api/v1/devices/token', '/api/v1/devices/wipe-receipt'],
    limiter({ windowMs: 60_000, limit: config.authRatePerIp * 4 }),
  );

  bind(router, routes.createPairing, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const { extra } = await engine.execute(access.ctx, { type: 'device.createPairing', ...call.body });
    const { pairing, code, tokenHash } = extra as {
      pairing: ReturnType<typeof pairingView>;
      code: string;
      tokenHash: string;
    };
    await store.control.indexPairing(tokenHash, call.params.workspaceId, pairing.expiresAt);
    return { pairing, code: formatPairingCode(code), link: pairingLink(deps.origin(), code) };
  });

  bind(router, routes.listPairings, async (call) => {
    const { ws, perms } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const me = call.auth.user.id;
    const now = new Date().toISOString();
    const all = await ws.listPairings();
    const visible = all.filter((p) => canSeePairing(perms, me, p));
    return { items: visible.map((p) => pairingView(p, now)) };
  });

  bind(router, routes.cancelPairing, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    // The code stays indexed until it expires, so that redeeming it is refused as cancelled (410).
    await engine.execute(access.ctx, { type: 'device.cancelPairing', pairingId: call.params.pairingId });
  });

  bind(router, routes.listDevices, async (call) => {
    const { ws, perms } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const all = await ws.listDevices();
    const visible = all.filter((d) => canSeeDevice(perms, call.auth.user.id, d));
    return { items: visible.map((d) => presentDevice(presence, ws.workspaceId, d)) };
  });

  bind(router, routes.renameDevice, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const { extra } = await engine.execute(access.ctx, {
      type: 'device.rename',
      deviceId: call.params.deviceId,
      name: call.body.name,
    });
    return presentDevice(presence, access.ws.workspaceId, extra.device as DeviceRow);
  });

  bind(router, routes.revokeDevice, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const { extra } = await engine.execute(access.ctx, {
      type: 'device.revoke',
      deviceId: call.params.deviceId,
      wipe: call.body.wipe,
    });
    return presentDevice(presence, access.ws.workspaceId, extra.device as DeviceRow);
  });

  bind(router, routes.deleteWorkspace, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    // Permission before confirmation: someone who may not delete learns nothing from a wrong name.
    if (!can(access.perms, 'workspace.delete')) throw forbidden('Only an owner may delete the workspace');
    const name = (await access.ws.getMeta('name')) ?? '';
    // The typed name arrives NFC-normalised; a name stored before names were normalised may not be.
    if (call.body.confirmName !== name.normalize('NFC')) {
      throw invalid('Type the workspace name exactly to confirm', [
        { path: 'body.confirmName', message: 'must be the workspace name' },
      ]);
    }
    await engine.execute(access.ctx, { type: 'workspace.delete' });
  });

  bind(router, routes.redeemPairing, async (call) => devices.redeem(call.body, call.meta));

  bind(router, routes.deviceChallenge, async (call) =>
    devices.challenge(call.body.workspaceId, call.body.deviceId),
  );

  bind(router, routes.renewDeviceToken, async (call) => devices.renew(call.body, call.meta));

  bind(router, routes.confirmWipe, async (call) => devices.confirmWipe(call.body, call.meta));

  bind(router, routes.deviceSelf, async (call) => {
    const { device, ws } = call.device;
    return {
      device: presentDevice(presence, ws.workspaceId, device),
      workspace: { id: ws.workspaceId, name: (await ws.getMeta('name')) ?? '' },
      schema: await ws.getSchema(),
    };
  });

  bind(router, routes.deviceActivity, async (call) => {
    const { ws, owner } = call.device;
    const perms = await engine.permissionsOf(ws, owner.userId);
    return deviceActivity(ws, perms, call.query);
  });

  bind(router, routes.unpairDevice, async (call) => {
    const { device } = call.device;
    await engine.execute(call.device.ctx(call.meta), {
      type: 'device.revoke',
      deviceId: device.id,
      wipe: false,
    });
  });

  return router;
}
