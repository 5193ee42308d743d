import { Router } from 'express';
import { routes } from '@enclave/shared';
import type { AuthenticatedDevice } from '../../devices/devices.service';
import type { RequestMeta } from '../../engine/context';
import type { AppDeps } from '../deps';
import { bind } from '../route';
import type { WorkspaceAccess } from '../workspace-access';

/**
 * The device's owner in its workspace, acting through the device: the owner's membership and
 * rights (read again on every request by the device's authentication, so a removed owner or a
 * revoked device is already refused), with the device as the actor of what it changes.
 */
async function deviceAccess(
  deps: AppDeps,
  device: AuthenticatedDevice,
  meta: RequestMeta,
): Promise<WorkspaceAccess> {
  const { ws, owner } = device;
  return {
    ws,
    member: owner,
    perms: await deps.engine.permissionsOf(ws, owner.userId),
    ctx: device.ctx(meta),
  };
}

/** The AI for paired devices: the same service as the console's routes, reached with a device token. */
export function deviceAiRoutes(deps: AppDeps): Router {
  const router = Router();
  const { ai } = deps;

  bind(router, routes.deviceAiRequest, async (call) =>
    ai.request(await deviceAccess(deps, call.device, call.meta), call.body),
  );
  bind(router, routes.deviceListProposals, async (call) =>
    ai.listProposals(await deviceAccess(deps, call.device, call.meta), call.query),
  );
  bind(router, routes.deviceApproveProposal, async (call) =>
    ai.approve(await deviceAccess(deps, call.device, call.meta), call.params.proposalId, call.body.operation),
  );
  bind(router, routes.deviceRejectProposal, async (call) =>
    ai.reject(
      await deviceAccess(deps, call.device, call.meta),
      call.params.proposalId,
      call.body.reason,
      call.body.addRule,
    ),
  );
  return router;
}
