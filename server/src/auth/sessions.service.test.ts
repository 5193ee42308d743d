import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../store/sqlite/embedded-store';
import { SessionService } from './sessions.service';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const IDLE_MS = 7 * DAY;
const META = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0' };

describe('SessionService over the encrypted control store', () => {
  let dir: string;
  let store: EmbeddedStore;
  let now: Date;
  let sessions: SessionService;
  let userId: string;

  const T0 = Date.parse('2030-03-01T09:00:00.000Z');
  /** Sets the injected clock to T0 + ms. */
  const at = (ms: number) => {
    now = new Date(T0 + ms);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enclave-sessions-'));
    store = new EmbeddedStore(dir, randomBytes(32), { cacheKiB: 2048 });
    now = new Date(T0);
    sessions = new SessionService(store.control, IDLE_MS, () => now);
    userId = randomUUID();
    await store.control.createUser({
      id: userId,
      email: `${userId}@example.com`,
      name: 'Session Owner',
      passwordHash: 'not used by these tests',
      emailVerifiedAt: now.toISOString(),
      instanceAdmin: false,
      createdAt: now.toISOString(),
    });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the token for the first 24 hours', async () => {
    const { token, session } = await sessions.create(userId, META);
    at(23 * HOUR);
    const auth = await sessions.authenticate(token, META);
    expect(auth?.session.id).toBe(session.id);
    expect(auth?.user.id).toBe(userId);
    expect(auth?.newToken).toBeNull();
  });

  it('rotates a token after 24 hours, accepts the old one for the 60 s grace only', async () => {
    const { token: original, session } = await sessions.create(userId, META);

    at(DAY + SECOND);
    const rotated = await sessions.authenticate(original, META);
    expect(rotated?.session.id).toBe(session.id);
    const fresh = rotated?.newToken;
    expect(fresh).toEqual(expect.any(String));
    expect(fresh).not.toBe(original);

    // A request sent with the old cookie just before the rotation is still served, and does not rotate again.
    at(DAY + 31 * SECOND);
    const inFlight = await sessions.authenticate(original, META);
    expect(inFlight?.session.id).toBe(session.id);
    expect(inFlight?.newToken).toBeNull();
    const withFresh = await sessions.authenticate(fresh!, META);
    expect(withFresh?.session.id).toBe(session.id);
    expect(withFresh?.newToken).toBeNull();

    at(DAY + SECOND + 61 * SECOND);
    expect(await sessions.authenticate(original, META)).toBeNull();
    // The session itself lives on under its new token.
    const later = await sessions.authenticate(fresh!, META);
    expect(later?.session.id).toBe(session.id);
    expect((await sessions.list(userId)).map((s) => s.id)).toEqual([session.id]);
  });

  it('rotates once when concurrent requests carry the same due token', async () => {
    const { token: original, session } = await sessions.create(userId, META);
    at(DAY + SECOND);
    const answers = await Promise.all([
      sessions.authenticate(original, META),
      sessions.authenticate(original, META),
      sessions.authenticate(original, META),
    ]);
    for (const answer of answers) expect(answer?.session.id).toBe(session.id);
    const issued = answers.map((a) => a?.newToken).filter((t): t is string => typeof t === 'string');
    // One new cookie: a second one would overwrite the first in the browser and leave it dead.
    expect(issued).toHaveLength(1);
    // The requests that got no new cookie go on with the old one during the grace...
    at(DAY + 30 * SECOND);
    expect((await sessions.authenticate(original, META))?.session.id).toBe(session.id);
    // ...and the cookie handed out keeps working once the grace is over.
    at(DAY + 2 * MINUTE);
    for (const token of issued) {
      expect((await sessions.authenticate(token, META))?.session.id).toBe(session.id);
    }
  });

  it('refuses and deletes a session idle for longer than the idle limit', async () => {
    const { token, session } = await sessions.create(userId, META);
    const { token: otherToken } = await sessions.create(userId, META);

    at(IDLE_MS + SECOND);
    expect(await sessions.authenticate(token, META)).toBeNull();
    const left = await sessions.list(userId);
    expect(left.map((s) => s.id)).not.toContain(session.id);
    expect(left).toHaveLength(1);

    // Gone for good: even a clock moving back does not bring it back.
    at(0);
    expect(await sessions.authenticate(token, META)).toBeNull();
    expect(await sessions.authenticate(otherToken, META)).not.toBeNull();
  });

  it('counts idleness from the last use, not from creation', async () => {
    const { token } = await sessions.create(userId, META);

    at(IDLE_MS - HOUR);
    const used = await sessions.authenticate(token, { ip: '198.51.100.9', userAgent: META.userAgent });
    expect(used).not.toBeNull();
    // The token was due for rotation too; carry on with the one the server issued.
    const current = used?.newToken ?? token;
    const [row] = await sessions.list(userId);
    expect(row?.lastUsedAt).toBe(new Date(T0 + IDLE_MS - HOUR).toISOString());
    expect(row?.ip).toBe('198.51.100.9');

    at(2 * IDLE_MS - 2 * HOUR);
    const stillAlive = await sessions.authenticate(current, META);
    expect(stillAlive).not.toBeNull();
    const next = stillAlive?.newToken ?? current;

    at(3 * IDLE_MS);
    expect(await sessions.authenticate(next, META)).toBeNull();
    expect(await sessions.list(userId)).toEqual([]);
  });

  it('refuses an unknown token and a revoked session', async () => {
    const { token, session } = await sessions.create(userId, META);
    expect(await sessions.authenticate(randomBytes(32).toString('base64url'), META)).toBeNull();
    await sessions.revoke(session.id);
    expect(await sessions.authenticate(token, META)).toBeNull();
  });
});
