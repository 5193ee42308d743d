import { randomUUID } from 'node:crypto';
import { hashToken, newToken } from '../crypto/tokens';
import type { ControlStore, SessionRow, UserRow } from '../store/types';

/** A session token is rotated once it is this old; the old one stays valid briefly for requests in flight. */
const ROTATE_AFTER_MS = 24 * 60 * 60 * 1000;
const ROTATION_GRACE_MS = 60 * 1000;
/** last_used_at is written at most this often per session, to keep reads from becoming writes. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface ClientMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface Authenticated {
  session: SessionRow;
  user: UserRow;
  /** Set when the token was rotated: the caller must send the new cookie. */
  newToken: string | null;
}

export class SessionService {
  constructor(
    private readonly control: ControlStore,
    private readonly idleMs: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(userId: string, meta: ClientMeta): Promise<{ token: string; session: SessionRow }> {
    const token = newToken();
    const now = this.clock().toISOString();
    const session: SessionRow = {
      id: randomUUID(),
      userId,
      tokenHash: hashToken(token),
      previousTokenHash: null,
      rotatedAt: now,
      createdAt: now,
      lastUsedAt: now,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 400) ?? null,
    };
    await this.control.createSession(session);
    return { token, session };
  }

  async authenticate(token: string, meta: ClientMeta): Promise<Authenticated | null> {
    const now = this.clock();
    const hash = hashToken(token);
    const session = await this.control.findSessionByTokenHash(
      hash,
      new Date(now.getTime() - ROTATION_GRACE_MS).toISOString(),
    );
    if (!session) return null;
    if (now.getTime() - Date.parse(session.lastUsedAt) > this.idleMs) {
      await this.control.deleteSession(session.id);
      return null;
    }
    const user = await this.control.getUserById(session.userId);
    if (!user) return null;
    if (now.getTime() - Date.parse(session.lastUsedAt) > TOUCH_EVERY_MS) {
      await this.control.touchSession(session.id, now.toISOString(), meta.ip);
    }
    let rotated: string | null = null;
    const current = session.tokenHash === hash;
    if (current && now.getTime() - Date.parse(session.rotatedAt) > ROTATE_AFTER_MS) {
      const candidate = newToken();
      // Parallel requests can all find the token due: only the one whose rotation lands hands out a
      // new cookie; the others go on with the old token, still valid for the grace period.
      if (await this.control.rotateSession(session.id, hashToken(candidate), hash, now.toISOString())) {
        rotated = candidate;
      }
    }
    return { session, user, newToken: rotated };
  }

  revoke(sessionId: string): Promise<void> {
    return this.control.deleteSession(sessionId);
  }

  revokeAllBut(userId: string, keepSessionId: string | null): Promise<void> {
    return this.control.deleteSessionsOfUser(userId, keepSessionId);
  }

  list(userId: string): Promise<SessionRow[]> {
    return this.control.listSessions(userId);
  }
}

/** A short, human name for a user agent string, for the session list. */
export function describeBrowser(userAgent: string | null): string {
  if (!userAgent) return 'Unknown client';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : /Enclave\//.test(userAgent)
            ? 'Enclave app'
            : null;
  const os = /Windows/.test(userAgent)
    ? 'Windows'
    : /Mac OS X|Macintosh/.test(userAgent)
      ? 'macOS'
      : /Android/.test(userAgent)
        ? 'Android'
        : /iPhone|iPad/.test(userAgent)
          ? 'iOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? userAgent.slice(0, 60);
}
