import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import { SYNC_PROTOCOL_VERSION, syncSubprotocol } from '@enclave/shared';
import type { DevicesService } from '../devices/devices.service';
import { AppError } from '../engine/errors';
import { clientAddress, type ProxyTrust } from '../http/proxy-trust';
import { UpgradeLimiter, type UpgradeHandler } from '../http/upgrade';
import type { Logger } from '../logger';
import type { SyncHub } from './sync-hub';

export interface SyncEndpointOptions {
  maxFrameBytes: number;
  /** Upgrades per client address per minute. */
  upgradesPerMinute: number;
  /** The same compiled function Express uses for 'trust proxy'. */
  trustProxy: ProxyTrust;
}

const OURS = syncSubprotocol(SYNC_PROTOCOL_VERSION);

/** The protocol versions a client offers, from its `Sec-WebSocket-Protocol` header. */
function offeredVersions(request: IncomingMessage): number[] {
  const header = request.headers['sec-websocket-protocol'] ?? '';
  return header
    .split(',')
    .map((p) => /^enclave-sync\.(\d{1,4})$/.exec(p.trim())?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
}

/**
 * The sync endpoint (`SYNC_PATH`, routed by `routeUpgrades`): the device's token and the protocol
 * version are checked at upgrade, before a WebSocket exists; then the hub takes the connection.
 */
export function syncEndpoint(
  hub: SyncHub,
  devices: DevicesService,
  logger: Logger,
  options: SyncEndpointOptions,
): { wss: WebSocketServer; handle: UpgradeHandler } {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(OURS) ? OURS : false),
  });
  const limiter = new UpgradeLimiter(options.upgradesPerMinute);

  const handle: UpgradeHandler = async (request, socket, head) => {
    const ip = clientAddress(request, options.trustProxy);
    limiter.take(ip);
    const versions = offeredVersions(request);
    if (!versions.includes(SYNC_PROTOCOL_VERSION)) {
      throw new AppError(
        'update_required',
        'This app speaks a sync protocol this server does not; update the app',
        {
          supported: [SYNC_PROTOCOL_VERSION],
          offered: versions,
        },
      );
    }
    const header = request.headers.authorization ?? '';
    const token = /^Bearer ([A-Za-z0-9._-]{1,4096})$/.exec(header)?.[1];
    if (!token) throw new AppError('unauthorized', 'Send the device access token (Authorization: Bearer)');
    const auth = await devices.authenticate(token, ip);
    const userAgent = request.headers['user-agent']?.slice(0, 400) ?? null;
    wss.handleUpgrade(request, socket, head, (ws) => {
      hub.accept(ws, auth, { ip, userAgent, requestId: null }).catch((err: unknown) => {
        logger.error({ err }, 'sync connection setup failed');
        ws.terminate();
      });
    });
  };
  return { wss, handle };
}
