import { Router } from 'express';
import { routes } from '@enclave/shared';
import type { AppDeps } from '../deps';
import { bind } from '../route';
import { workspaceAccess } from '../workspace-access';

/** The AI routes: thin, over the AI service, which goes through the command engine for every change. */
export function aiRoutes(deps: AppDeps): Router {
  const router = Router();
  const { ai } = deps;

  bind(router, routes.getAiSettings, async (call) => {
    const { ws } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    return ai.settingsView(ws);
  });
  bind(router, routes.putAiSettings, async (call) =>
    ai.putSettings(await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta), call.body),
  );
  bind(router, routes.getConstitution, async (call) => {
    const { ws } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    return ai.constitution(ws);
  });
  bind(router, routes.putConstitution, async (call) =>
    ai.putConstitution(
      await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta),
      call.body.rules,
      call.body.expectedVersion,
    ),
  );
  bind(router, routes.aiRequest, async (call) =>
    ai.request(await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta), call.body),
  );
  bind(router, routes.listProposals, async (call) =>
    ai.listProposals(await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta), call.query),
  );
  bind(router, routes.getProposal, async (call) =>
    ai.getProposal(
      await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta),
      call.params.proposalId,
    ),
  );
  bind(router, routes.approveProposal, async (call) =>
    ai.approve(
      await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta),
      call.params.proposalId,
      call.body.operation,
    ),
  );
  bind(router, routes.rejectProposal, async (call) =>
    ai.reject(
      await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta),
      call.params.proposalId,
      call.body.reason,
      call.body.addRule,
    ),
  );
  bind(router, routes.aiUsage, async (call) =>
    ai.usage(await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta)),
  );
  bind(router, routes.listPromptLog, async (call) =>
    ai.promptLog(await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta), call.query),
  );
  return router;
}
