import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit, type Options } from 'express-rate-limit';
import type { SessionService } from '../auth/sessions.service';
import type { DevicesService } from '../devices/devices.service';
import { AppError } from '../engine/errors';
import { readCookie, SESSION_COOKIE, setSessionCookie } from './cookies';
import { sendError } from './errors';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Each request gets an id, echoed in X-Request-Id and carried by its log lines and audit events. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    next();
  };
}

/** Bodies are JSON or nothing: anything else is refused before a parser sees it. */
export function jsonOnly(): RequestHandler {
  return (req, res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      sendError(res, 'unsupported_media_type', 'Send the request body as application/json');
      return;
    }
    next();
  };
}

/** Resolves the session cookie, if any; a rotated token goes back as a fresh cookie. */
export function sessionAuth(sessions: SessionService, idleMs: number): RequestHandler {
  return async (req, res, next) => {
    req.auth = null;
    const token = readCookie(req, SESSION_COOKIE);
    if (!token || token.length > 200) return next();
    try {
      req.auth = await sessions.authenticate(token, {
        ip: req.ip ?? null,
        userAgent: req.get('user-agent') ?? null,
      });
      if (req.auth?.newToken) setSessionCookie(res, req.auth.newToken, idleMs);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Resolves a device's bearer token, if one is sent. Only device routes act on it; a refused token
 * (revoked device, deleted workspace, bad signature) is refused on any route, so a device learns
 * of its revocation whatever it calls.
 */
export function deviceAuth(devices: DevicesService): RequestHandler {
  return async (req, _res, next) => {
    req.device = null;
    const header = req.get('authorization');
    if (header === undefined) return next();
    const match = /^Bearer ([A-Za-z0-9._-]{1,4096})$/.exec(header);
    try {
      if (!match?.[1]) throw new AppError('unauthorized', 'Send the device access token as "Bearer <token>"');
      req.device = await devices.authenticate(match[1], req.ip ?? null);
      next();
    } catch (error) {
      next(error);
    }
  };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF defence on top of SameSite=Lax: a state-changing request that carries our cookie must come
 * from our own origin. Requests without the cookie are checked too when they say where they come
 * from, which stops login CSRF.
 */
export function originCheck(origin: () => string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!UNSAFE.has(req.method)) return next();
    const sent = req.get('origin');
    const hasCookie = readCookie(req, SESSION_COOKIE) !== null;
    if ((hasCookie && sent !== origin()) || (sent !== undefined && sent !== origin())) {
      sendError(res, 'origin_mismatch', 'This request must come from the Enclave web app');
      return;
    }
    next();
  };
}

/** A rate limiter answering in the one error shape, with Retry-After. */
export function limiter(options: Partial<Options> & Pick<Options, 'windowMs' | 'limit'>): RequestHandler {
  return rateLimit({
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    ...options,
    handler: (req, res, _next, opts) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset
        ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000))
        : Math.ceil(opts.windowMs / 1000);
      res.setHeader('Retry-After', String(seconds));
      sendError(res, 'rate_limited', `Too many requests; try again in ${seconds} seconds`);
    },
  });
}

/**
 * Writes per user (or per device, for device-authenticated calls) per minute, whatever the address
 * they come from: one account cannot flood a workspace's database and audit log. Reads and
 * unauthenticated requests (refused later) are not counted.
 */
export function writesPerUser(perMinute: number): RequestHandler {
  return limiter({
    windowMs: 60_000,
    limit: perMinute,
    skip: (req) => !UNSAFE.has(req.method) || (!req.auth && !req.device),
    keyGenerator: (req) =>
      req.auth ? `write:user:${req.auth.user.id}` : `write:device:${req.device?.device.id ?? ''}`,
  });
}
