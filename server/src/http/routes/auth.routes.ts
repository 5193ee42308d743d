import { Router, type Request } from 'express';
import { routes, SessionList } from '@enclave/shared';
import type { z } from 'zod';
import { RESET_ACCEPTED, SIGNUP_ACCEPTED, toMe } from '../../auth/accounts.service';
import { describeBrowser } from '../../auth/sessions.service';
import { notFound } from '../../engine/errors';
import { clearSessionCookie, setSessionCookie } from '../cookies';
import type { AppDeps } from '../deps';
import { limiter } from '../middleware';
import { bind } from '../route';

const FIFTEEN_MINUTES = 15 * 60 * 1000;

export function authRoutes(deps: AppDeps): Router {
  const router = Router();
  const { accounts, sessions, config } = deps;

  // Limits run before any password is hashed: hashing is the expensive part an attacker wants.
  const perIp = limiter({ windowMs: 60_000, limit: config.authRatePerIp });
  const accountKey = (prefix: string) => (req: Request) =>
    `${prefix}:${String((req.body as { email?: unknown }).email)
      .trim()
      .toLowerCase()}`;
  const noEmail = (req: Request) => typeof (req.body as { email?: unknown } | undefined)?.email !== 'string';
  // Per account, sign-in counts failed attempts only, so that an owner's own successful sign-ins
  // never lock them out; sign-up counts every attempt (each one sends mail).
  const signInPerAccount = limiter({
    windowMs: FIFTEEN_MINUTES,
    limit: config.authRatePerAccount,
    keyGenerator: accountKey('signin'),
    skip: noEmail,
    skipSuccessfulRequests: true,
  });
  const signUpPerAccount = limiter({
    windowMs: FIFTEEN_MINUTES,
    limit: config.authRatePerAccount,
    keyGenerator: accountKey('signup'),
    skip: noEmail,
  });
  router.use(
    [
      '/api/v1/setup',
      '/api/v1/auth/signup',
      '/api/v1/auth/signin',
      '/api/v1/auth/verify-email',
      '/api/v1/auth/password',
      '/api/v1/auth/password-reset',
      '/api/v1/auth/password-reset/confirm',
    ],
    perIp,
  );
  // The session endpoints (me, sessions, sign-out) are polled by the console: limited too, generously.
  router.use(
    ['/api/v1/auth/me', '/api/v1/auth/sessions', '/api/v1/auth/signout'],
    limiter({ windowMs: 60_000, limit: config.authRatePerIp * 10 }),
  );
  router.use('/api/v1/auth/signin', signInPerAccount);
  router.use('/api/v1/auth/signup', signUpPerAccount);
  // Each request sends mail to the address: limited per address, like sign-up.
  router.use(
    '/api/v1/auth/password-reset',
    limiter({
      windowMs: FIFTEEN_MINUTES,
      limit: config.authRatePerAccount,
      keyGenerator: accountKey('reset'),
      skip: noEmail,
    }),
  );

  const startSession = async (
    userId: string,
    call: { meta: { ip: string | null; userAgent: string | null }; res: import('express').Response },
  ) => {
    const { token } = await sessions.create(userId, call.meta);
    setSessionCookie(call.res, token, config.sessionIdleMs);
  };

  bind(router, routes.setup, async (call) => {
    const user = await accounts.completeSetup(call.body);
    call.req.log.info({ userId: user.id }, 'first owner account created');
    await startSession(user.id, call);
    return toMe(user);
  });

  bind(router, routes.signUp, async (call) => {
    await accounts.signUp(call.body);
    return { message: SIGNUP_ACCEPTED };
  });

  bind(router, routes.verifyEmail, async (call) => {
    await accounts.verifyEmail(call.body.token);
  });

  bind(router, routes.requestPasswordReset, async (call) => {
    await accounts.requestPasswordReset(call.body.email);
    return { message: RESET_ACCEPTED };
  });

  bind(router, routes.resetPassword, async (call) => {
    const user = await accounts.resetPassword(call.body.token, call.body.newPassword);
    await sessions.revokeAllBut(user.id, null);
    call.req.log.info({ userId: user.id }, 'password reset');
  });

  bind(router, routes.signIn, async (call) => {
    const user = await accounts.checkCredentials(call.body);
    await startSession(user.id, call);
    return toMe(user);
  });

  bind(router, routes.signOut, async (call) => {
    await sessions.revoke(call.auth.session.id);
    clearSessionCookie(call.res);
  });

  bind(router, routes.me, async (call) => toMe(call.auth.user));

  bind(router, routes.changePassword, async (call) => {
    await accounts.changePassword(call.auth.user, call.body.currentPassword, call.body.newPassword);
    call.req.log.info({ userId: call.auth.user.id }, 'password changed');
    await sessions.revokeAllBut(call.auth.user.id, call.auth.session.id);
  });

  bind(router, routes.listSessions, async (call): Promise<z.infer<typeof SessionList>> => {
    const rows = await sessions.list(call.auth.user.id);
    return {
      items: rows.map((s) => ({
        id: s.id,
        browser: describeBrowser(s.userAgent),
        ip: s.ip,
        createdAt: s.createdAt,
        lastUsedAt: s.lastUsedAt,
        current: s.id === call.auth.session.id,
      })),
    };
  });

  bind(router, routes.revokeSession, async (call) => {
    const mine = await sessions.list(call.auth.user.id);
    if (!mine.some((s) => s.id === call.params.sessionId)) throw notFound('Session');
    await sessions.revoke(call.params.sessionId);
    if (call.params.sessionId === call.auth.session.id) clearSessionCookie(call.res);
  });

  bind(router, routes.revokeOtherSessions, async (call) => {
    const revoked = await sessions.revokeAllBut(call.auth.user.id, call.auth.session.id);
    call.req.log.info({ userId: call.auth.user.id, revoked }, 'other sessions revoked');
    return { revoked };
  });

  return router;
}
