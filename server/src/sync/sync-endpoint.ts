import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  httpStatusOf,
  SYNC_PATH,
  SYNC_PROTOCOL_VERSION,
  syncSubprotocol,
  type ErrorBody,
} from '@enclave/shared';
import type { DevicesService } from '../devices/devices.service';
import { AppError } from '../engine/errors';
import { clientAddress, type ProxyTrust } from '../http/proxy-trust';
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

/** Answers a refused upgrade in plain HTTP with the one error shape, and hangs up. */
function refuse(socket: Duplex, error: AppError): void {
  const status = httpStatusOf[error.code];
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${String(status)} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${String(Buffer.byteLength(text))}\r\n` +
      'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
      text,
  );
}

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
 * The sync endpoint on the HTTP server: the device's token and the protocol version are checked
 * at upgrade, before a WebSocket exists; then the hub takes the connection.
 */
export function attachSyncEndpoint(
  http: Server,
  hub: SyncHub,
  devices: DevicesService,
  logger: Logger,
  options: SyncEndpointOptions,
): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(OURS) ? OURS : false),
  });
  const attempts = new Map<string, { count: number; windowStart: number }>();

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug({ err }, 'sync upgrade socket error'));
    void (async () => {
      const path = (request.url ?? '').split('?')[0];
      if (path !== SYNC_PATH) throw new AppError('not_found', 'No such endpoint');
      const ip = clientAddress(request, options.trustProxy);
      const now = Date.now();
      const entry = attempts.get(ip ?? '');
      if (!entry || now - entry.windowStart > 60_000) attempts.set(ip ?? '', { count: 1, windowStart: now });
      else if (++entry.count > options.upgradesPerMinute) {
        throw new AppError('rate_limited', 'Too many connection attempts; try again in a minute');
      }
      if (attempts.size > 10_000) attempts.clear();

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
    })().catch((error: unknown) => {
      if (error instanceof AppError) refuse(socket, error);
      else {
        logger.error({ err: error }, 'sync upgrade failed');
        refuse(socket, new AppError('internal', 'Something went wrong on the server'));
      }
    });
  });
  return wss;
}
