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

/** Sessions that ended: one, or every session of a user but one (or all of them). */
export type SessionsEnded =
  { kind: 'session'; sessionId: string } | { kind: 'user'; userId: string; exceptSessionId: string | null };

export interface Authenticated {
  session: SessionRow;
  user: UserRow;
  /** Set when the token was rotated: the caller must send the new cookie. */
  newToken: string | null;
}

export class SessionService {
  private readonly endedListeners = new Set<(ended: SessionsEnded) => void>();

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

  /**
   * Told after sessions are deleted here (sign-out, revocation, password change or reset, idle
   * expiry found on use), so that what holds a session open — the live channel — ends with it.
   */
  onEnded(listener: (ended: SessionsEnded) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /**
   * `rotate: false` for a caller that cannot hand a new cookie back (a WebSocket upgrade): the
   * token is then left as it is, and the next HTTP request rotates it.
   */
  async authenticate(
    token: string,
    meta: ClientMeta,
    options: { rotate?: boolean } = {},
  ): Promise<Authenticated | null> {
    const now = this.clock();
    const hash = hashToken(token);
    const session = await this.control.findSessionByTokenHash(
      hash,
      new Date(now.getTime() - ROTATION_GRACE_MS).toISOString(),
    );
    if (!session) return null;
    if (this.idle(session, now)) {
      await this.control.deleteSession(session.id);
      this.ended({ kind: 'session', sessionId: session.id });
      return null;
    }
    const user = await this.control.getUserById(session.userId);
    if (!user) return null;
    if (now.getTime() - Date.parse(session.lastUsedAt) > TOUCH_EVERY_MS) {
      await this.control.touchSession(session.id, now.toISOString(), meta.ip);
    }
    let rotated: string | null = null;
    const current = session.tokenHash === hash;
    if (
      options.rotate !== false &&
      current &&
      now.getTime() - Date.parse(session.rotatedAt) > ROTATE_AFTER_MS
    ) {
      const candidate = newToken();
      // Parallel requests can all find the token due: only the one whose rotation lands hands out a
      // new cookie; the others go on with the old token, still valid for the grace period.
      if (await this.control.rotateSession(session.id, hashToken(candidate), hash, now.toISOString())) {
        rotated = candidate;
      }
    }
    return { session, user, newToken: rotated };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.control.deleteSession(sessionId);
    this.ended({ kind: 'session', sessionId });
  }

  /** Deletes every session of the user but `keepSessionId` (all with null); says how many. */
  async revokeAllBut(userId: string, keepSessionId: string | null): Promise<number> {
    const count = await this.control.deleteSessionsOfUser(userId, keepSessionId);
    this.ended({ kind: 'user', userId, exceptSessionId: keepSessionId });
    return count;
  }

  /**
   * Whether a session (by id) still stands: not deleted, not idle too long. Read without touching
   * it, for holders that are no requests (the live channel checks its session now and then).
   */
  async isLive(userId: string, sessionId: string): Promise<boolean> {
    const session = (await this.control.listSessions(userId)).find((s) => s.id === sessionId);
    return session !== undefined && !this.idle(session, this.clock());
  }

  list(userId: string): Promise<SessionRow[]> {
    return this.control.listSessions(userId);
  }

  private idle(session: SessionRow, now: Date): boolean {
    return now.getTime() - Date.parse(session.lastUsedAt) > this.idleMs;
  }

  private ended(ended: SessionsEnded): void {
    for (const listener of [...this.endedListeners]) listener(ended);
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
