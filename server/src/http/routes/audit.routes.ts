import { Router } from 'express';
import { routes, type AuditPage } from '@enclave/shared';
import type { Authenticated } from '../../auth/sessions.service';
import type { RequestMeta } from '../../engine/context';
import { ChainDiverged } from '../../audit/checkpoints';
import { CSV_COLUMNS, csvRow } from '../../audit/export';
import { conflict, forbidden, invalid, notFound } from '../../engine/errors';
import { can } from '../../policy/policy';
import type { AppDeps } from '../deps';
import { limiter } from '../middleware';
import { bind } from '../route';
import { workspaceAccess } from '../workspace-access';

const EXPORT_PAGE = 1_000;

export function auditRoutes(deps: AppDeps): Router {
  const router = Router();

  const requireAuditReader = async (call: {
    auth: Authenticated;
    params: { workspaceId: string };
    meta: RequestMeta;
  }) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    if (!can(access.perms, 'audit.read')) throw forbidden('Only owners and admins can read the audit log');
    return access;
  };

  bind(router, routes.queryAudit, async (call): Promise<AuditPage> => {
    const { ws } = await requireAuditReader(call);
    const items = await ws.queryAudit(call.query);
    const last = items.at(-1);
    return { items, nextBefore: items.length === call.query.limit && last ? last.seq : null };
  });

  bind(router, routes.verifyAudit, async (call) => {
    await requireAuditReader(call);
    return deps.anchors.verify(call.params.workspaceId);
  });

  bind(router, routes.verifyAuditReceipt, async (call) => {
    await requireAuditReader(call);
    const { receipt } = call.body;
    if (receipt.workspaceId !== call.params.workspaceId)
      throw invalid('The receipt is for another workspace', [
        { path: 'body.receipt.workspaceId', message: 'not this workspace' },
      ]);
    if (!deps.anchors.signer.issued(receipt))
      throw invalid('The receipt was not signed by this server, or was changed since', [
        { path: 'body.receipt.signature', message: 'does not verify under this server’s audit key' },
      ]);
    return deps.anchors.verify(call.params.workspaceId, receipt);
  });

  bind(router, routes.auditReceipt, async (call) => {
    await requireAuditReader(call);
    try {
      const checkpoint = await deps.anchors.checkpoint(call.params.workspaceId);
      if (!checkpoint) throw notFound('Audit event');
      return deps.anchors.signer.receiptOf(checkpoint);
    } catch (error) {
      if (!(error instanceof ChainDiverged)) throw error;
      throw conflict('The audit log no longer extends its last signed checkpoint; verify it', {
        firstBroken: error.result.firstBroken,
      });
    }
  });

  router.use(
    routes.exportAudit.path,
    limiter({
      windowMs: 60_000,
      limit: deps.config.exportRatePerUser,
      keyGenerator: (req) => `export:${req.auth?.user.id ?? 'anonymous'}`,
    }),
  );
  bind(router, routes.exportAudit, async (call) => {
    const { ws, ctx } = await requireAuditReader(call);
    const { format, ...filter } = call.query;
    // Recorded before a byte is sent: an export cut short was still taken.
    await deps.engine.execute(ctx, { type: 'audit.export', format, filter });
    const res = call.res;
    const stamp = new Date().toISOString().replaceAll(':', '-');
    res.status(200);
    res.setHeader(
      'Content-Type',
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    );
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="audit-${call.params.workspaceId}-${stamp}.${format}"`,
    );
    if (format === 'csv') res.write(CSV_COLUMNS.join(',') + '\n');
    let after = 0;
    for (;;) {
      const page = await ws.queryAudit({ ...filter, order: 'asc', after, limit: EXPORT_PAGE });
      for (const event of page) res.write((format === 'csv' ? csvRow(event) : JSON.stringify(event)) + '\n');
      if (page.length < EXPORT_PAGE) break;
      after = page.at(-1)?.seq ?? after;
    }
    res.end();
  });

  bind(router, routes.undoEvent, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const result = await deps.engine.execute(access.ctx, {
      type: 'record.revert',
      eventId: call.params.eventId,
    });
    return { record: result.record, event: result.event };
  });

  return router;
}
