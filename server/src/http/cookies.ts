import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'enclave_session';

export function readCookie(req: Request, name: string): string | null {
  return cookieFrom(req.headers.cookie, name);
}

/** A cookie's value from a `Cookie` header, for requests Express never sees (WebSocket upgrades). */
export function cookieFrom(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** HttpOnly (no script reads it), Secure (browsers treat localhost as secure too), SameSite=Lax. */
export function setSessionCookie(res: Response, token: string, maxAgeMs: number): void {
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: '/',
    maxAge: maxAgeMs,
  });
}

export function clearSessionCookie(res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
}
