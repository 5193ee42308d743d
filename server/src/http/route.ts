import type { NextFunction, Request, Response, Router } from 'express';
import { issuesOf, type RouteContract } from '@enclave/shared';
import type { z } from 'zod';
import type { Authenticated } from '../auth/sessions.service';
import type { AuthenticatedDevice } from '../devices/devices.service';
import type { RequestMeta } from '../engine/context';
import { AppError } from '../engine/errors';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Call<R extends RouteContract> {
  params: Out<R['params']>;
  query: Out<R['query']>;
  body: Out<R['body']>;
  auth: R['auth'] extends 'session' ? Authenticated : Authenticated | null;
  device: R['auth'] extends 'device' ? AuthenticatedDevice : null;
  meta: RequestMeta;
  req: Request;
  res: Response;
}

export function requestMeta(req: Request): RequestMeta {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 400) ?? null, requestId: req.id };
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new AppError(
      'validation_failed',
      `The request ${where} is not valid`,
      issuesOf(result.error).map((i) => ({ ...i, path: i.path ? `${where}.${i.path}` : where })),
    );
  }
  return result.data;
}

/**
 * Binds a handler to its contract from shared/: the route's params, query and body are parsed
 * (unknown fields refused) before the handler runs, and its result is sent with the contract's
 * status. A handler that returns undefined sends 204, or nothing if it already answered.
 */
export function bind<R extends RouteContract>(
  router: Router,
  contract: R,
  handler: (call: Call<R>) => Promise<unknown>,
): void {
  router[contract.method](contract.path, async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (contract.auth === 'session' && !req.auth) {
        throw new AppError('unauthorized', 'Sign in first');
      }
      if (contract.auth === 'device' && !req.device) {
        throw new AppError('unauthorized', 'Send the device access token (Authorization: Bearer)');
      }
      if (!contract.body && req.body !== undefined && Object.keys(req.body as object).length > 0) {
        throw new AppError('validation_failed', 'This request takes no body');
      }
      // Unknown query parameters are refused like unknown body fields: nothing is silently ignored.
      if (!contract.query && Object.keys(req.query).length > 0) {
        throw new AppError('validation_failed', 'This request takes no query parameters');
      }
      const call = {
        params: parse(contract.params, req.params, 'params'),
        query: parse(contract.query, req.query, 'query'),
        body: parse(contract.body, req.body, 'body'),
        auth: req.auth,
        device: contract.auth === 'device' ? req.device : null,
        meta: requestMeta(req),
        req,
        res,
      } as Call<R>;
      const result = await handler(call);
      if (res.headersSent) return;
      if (result === undefined) res.status(204).end();
      else res.status(contract.status).json(result);
    } catch (error) {
      next(error);
    }
  });
}
