import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import { issuesOf, LiveQuery } from '@enclave/shared';
import { AppError } from '../engine/errors';
import { cookieFrom, SESSION_COOKIE } from '../http/cookies';
import type { AppDeps } from '../http/deps';
import { clientAddress, type ProxyTrust } from '../http/proxy-trust';
import { UpgradeLimiter, type UpgradeHandler } from '../http/upgrade';
import { workspaceAccess } from '../http/workspace-access';
import type { Logger } from '../logger';
import type { LiveHub } from './live-hub';

export interface LiveEndpointOptions {
  /** Upgrades per client address per minute. */
  upgradesPerMinute: number;
  /** The same compiled function Express uses for 'trust proxy'. */
  trustProxy: ProxyTrust;
}

/** The browser sends nothing; a frame this large is not even read before the channel closes. */
const MAX_CLIENT_FRAME_BYTES = 4096;

/** The query string as the HTTP API's "simple" parser sees it: a repeated key is an array (and refused). */
function queryOf(request: IncomingMessage): Record<string, string | string[]> {
  const params = new URL(request.url ?? '/', 'http://localhost').searchParams;
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return query;
}

/**
 * The console's live channel (`LIVE_PATH`, routed by `routeUpgrades`). Everything is checked
 * before a WebSocket exists, in the order the HTTP API checks a request: the Origin must be the
 * server's own (a WebSocket is not bound by CORS, so this is what stops another site's page from
 * opening it with the user's cookie), then the session cookie, the query, and the membership —
 * each refusal a plain HTTP answer in the one error shape.
 */
export function liveEndpoint(
  hub: LiveHub,
  deps: AppDeps,
  logger: Logger,
  options: LiveEndpointOptions,
): { wss: WebSocketServer; handle: UpgradeHandler } {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
  });
  const limiter = new UpgradeLimiter(options.upgradesPerMinute);

  const handle: UpgradeHandler = async (request, socket, head) => {
    const ip = clientAddress(request, options.trustProxy);
    limiter.take(ip);
    if (request.headers.origin !== deps.origin()) {
      throw new AppError('origin_mismatch', 'The live channel opens only from the Enclave web console');
    }
    const token = cookieFrom(request.headers.cookie, SESSION_COOKIE);
    const userAgent = request.headers['user-agent']?.slice(0, 400) ?? null;
    // No rotation: a new cookie could not be handed back on this answer.
    const auth =
      token && token.length <= 200
        ? await deps.sessions.authenticate(token, { ip, userAgent }, { rotate: false })
        : null;
    if (!auth) throw new AppError('unauthorized', 'Sign in first');
    const parsed = LiveQuery.safeParse(queryOf(request));
    if (!parsed.success) {
      throw new AppError(
        'validation_failed',
        'The request query is not valid',
        issuesOf(parsed.error).map((i) => ({ ...i, path: i.path ? `query.${i.path}` : 'query' })),
      );
    }
    const { workspaceId } = parsed.data;
    const access = await workspaceAccess(deps, auth, workspaceId, { ip, userAgent, requestId: null });
    wss.handleUpgrade(request, socket, head, (ws) => {
      try {
        hub.accept(ws, {
          workspaceId,
          userId: auth.user.id,
          sessionId: auth.session.id,
          perms: access.perms,
        });
      } catch (err) {
        logger.error({ err }, 'live channel setup failed');
        ws.terminate();
      }
    });
  };
  return { wss, handle };
}
