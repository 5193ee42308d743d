import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { CONSOLE_DIST_DIR } from '../startup/console-build';
import { consoleRoutes } from './console';
import type { AppDeps } from './deps';
import { errorHandler, sendError } from './errors';
import { jsonBody } from './json-body';
import { deviceAuth, jsonOnly, originCheck, requestId, sessionAuth, writesPerUser } from './middleware';
import { aiRoutes } from './routes/ai.routes';
import { deviceAiRoutes } from './routes/device-ai.routes';
import { auditRoutes } from './routes/audit.routes';
import { deviceRoutes } from './routes/devices.routes';
import { authRoutes } from './routes/auth.routes';
import { recordRoutes } from './routes/records.routes';
import { systemRoutes } from './routes/system.routes';
import { workspaceRoutes } from './routes/workspaces.routes';

/**
 * No page of the server needs a device or a sensor, and none may be used to profile its users:
 * interest-cohort (FLoC) and browsing-topics (the Topics API) are off too.
 */
const PERMISSIONS_POLICY = [
  'camera=()',
  'microphone=()',
  'geolocation=()',
  'payment=()',
  'usb=()',
  'interest-cohort=()',
  'browsing-topics=()',
].join(', ');

export function createApp(deps: AppDeps): Express {
  const app = express();
  const tls = (deps.config.publicUrl ?? '').startsWith('https:');
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  // Express 5's "simple" parser: no nested objects from query strings, repeated keys become arrays.
  app.set('query parser', 'simple');

  app.use(requestId());
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req) => (req as express.Request).id,
      // Only the path: query strings can carry one-time tokens (setup and verification links).
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (req) => {
        const r = req as express.Request;
        return {
          userId: r.auth?.user.id ?? r.device?.owner.userId,
          deviceId: r.device?.device.id,
          workspaceId: (r.params as Record<string, string> | undefined)?.workspaceId,
        };
      },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'frame-ancestors': ["'none'"],
          'form-action': ["'self'"],
          'base-uri': ["'none'"],
          'object-src': ["'none'"],
          // Over plain http (a local install) this would send the page's own script to https and break it.
          'upgrade-insecure-requests': tls ? [] : null,
        },
      },
      // HSTS only means something over TLS; behind a TLS proxy the proxy's origin says so. Two
      // years and `preload`, as the browsers' preload list asks of a site that is submitted to it.
      strictTransportSecurity: tls ? { maxAge: 63_072_000, includeSubDomains: true, preload: true } : false,
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  app.use((_req, res, next) => {
    res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(jsonOnly());
  app.use(jsonBody(deps.config.maxBodyBytes));
  app.use(sessionAuth(deps.sessions, deps.config.sessionIdleMs));
  app.use(deviceAuth(deps.devices));
  app.use(originCheck(deps.origin));
  app.use('/api/v1/workspaces', writesPerUser(deps.config.writeRatePerUser));
  // A device's AI requests and decisions count against a budget of its own, as a person's do.
  app.use('/api/v1/device/ai', writesPerUser(deps.config.writeRatePerUser));

  app.use(systemRoutes(deps));
  app.use(authRoutes(deps));
  app.use(workspaceRoutes(deps));
  app.use(recordRoutes(deps));
  app.use(auditRoutes(deps));
  app.use(deviceRoutes(deps));
  app.use(aiRoutes(deps));
  app.use(deviceAiRoutes(deps));
  app.use(consoleRoutes(CONSOLE_DIST_DIR));

  app.use((_req, res) => sendError(res, 'not_found', 'No such endpoint'));
  app.use(errorHandler(deps.logger));
  return app;
}
