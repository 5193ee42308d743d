import { Router } from 'express';
import type { Readiness } from '@enclave/shared';
import type { AppDeps } from '../deps';
import { buildOpenApi } from '../openapi';
import { securityPageHtml } from '../pages';

export const VERSION = '0.1.0';

export function systemRoutes(deps: AppDeps): Router {
  const router = Router();
  const openapi = buildOpenApi(VERSION);

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res, next) => {
    try {
      const health = await deps.store.readiness();
      const serving = health.control && !health.storageFull;
      const body: Readiness = {
        status: !serving ? 'not_ready' : health.unavailableWorkspaces.length > 0 ? 'degraded' : 'ready',
        database: health.control ? 'ok' : 'unavailable',
        storage: health.storageFull ? 'full' : 'ok',
        unavailableWorkspaces: health.unavailableWorkspaces.length,
      };
      res.status(serving ? 200 : 503).json(body);
    } catch (error) {
      next(error);
    }
  });

  router.get('/.well-known/security.txt', (_req, res) => {
    const expires = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000).toISOString();
    res
      .type('text/plain')
      .send(
        [
          `Contact: ${deps.config.securityContact}`,
          `Expires: ${expires}`,
          'Preferred-Languages: en',
          `Canonical: ${deps.origin()}/.well-known/security.txt`,
          `Policy: ${deps.origin()}/security`,
          '',
        ].join('\n'),
      );
  });

  router.get('/security', (_req, res) => {
    res.type('html').send(securityPageHtml(deps.config.securityContact));
  });

  router.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  return router;
}
