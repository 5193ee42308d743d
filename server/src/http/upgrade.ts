import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { httpStatusOf, type ErrorBody } from '@enclave/shared';
import { AppError } from '../engine/errors';
import type { Logger } from '../logger';

/** Takes over an upgrade request for its path; throws an `AppError` to refuse it. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>;

/** Answers a refused upgrade in plain HTTP with the one error shape, and hangs up. */
export function refuseUpgrade(socket: Duplex, error: AppError): void {
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

/**
 * Sends each WebSocket upgrade of the HTTP server to the endpoint of its path (sync, live); any
 * other path is refused with 404. One listener for all, so that no endpoint answers another's.
 */
export function routeUpgrades(http: Server, handlers: Record<string, UpgradeHandler>, logger: Logger): void {
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug({ err }, 'upgrade socket error'));
    const path = (request.url ?? '').split('?')[0] ?? '';
    const handler = Object.hasOwn(handlers, path) ? handlers[path] : undefined;
    (handler
      ? handler(request, socket, head)
      : Promise.reject(new AppError('not_found', 'No such endpoint'))
    ).catch((error: unknown) => {
      if (error instanceof AppError) refuseUpgrade(socket, error);
      else {
        logger.error({ err: error, path }, 'upgrade failed');
        refuseUpgrade(socket, new AppError('internal', 'Something went wrong on the server'));
      }
    });
  });
}

/** Upgrade attempts per client address per minute, counted in memory. */
export class UpgradeLimiter {
  private readonly attempts = new Map<string, { count: number; windowStart: number }>();

  constructor(private readonly perMinute: number) {}

  /** Counts an attempt from `ip`; throws `rate_limited` once the minute's allowance is spent. */
  take(ip: string | null, now = Date.now()): void {
    const entry = this.attempts.get(ip ?? '');
    if (!entry || now - entry.windowStart > 60_000)
      this.attempts.set(ip ?? '', { count: 1, windowStart: now });
    else if (++entry.count > this.perMinute) {
      throw new AppError('rate_limited', 'Too many connection attempts; try again in a minute');
    }
    if (this.attempts.size > 10_000) this.attempts.clear();
  }
}
