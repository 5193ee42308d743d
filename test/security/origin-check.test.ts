import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionList } from '@enclave/shared';
import { TestClient } from '../../server/src/test-support/test-client';
import { startTestServer, type TestServer } from '../../server/src/test-support/test-server';
import {
  allRoutes,
  expectError,
  idsFor,
  makeTenant,
  pathFor,
  requestFor,
  snapshot,
  type ApiRequest,
  type Tenant,
} from './attack-support';

const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);
const FOREIGN_ORIGIN = 'https://attacker.example';

/**
 * The route's sample request where the attack suites have one; the public account routes (setup,
 * sign-up, reset…) have none, and get an empty object: the Origin is checked before any body is read.
 */
function attempt(name: string, route: (typeof allRoutes)[number][1], tn: Tenant): ApiRequest {
  try {
    return requestFor(name, route, idsFor(tn, name));
  } catch {
    return { method: route.method.toUpperCase(), path: pathFor(route, idsFor(tn, name)), body: {} };
  }
}

/**
 * Cross-site request forgery, attacked through every state-changing route of the contract in
 * shared/ (read from the table, so a route added later is attacked too): a request carrying the
 * session cookie from any origin but the server's own — another site, an opaque "null" origin, or
 * none at all — is refused before it does anything.
 */
describe('the Origin check on every state change', () => {
  let t: TestServer;
  let a: Tenant;
  const unsafe = allRoutes.filter(([, r]) => UNSAFE.has(r.method));

  beforeAll(async () => {
    t = await startTestServer();
    a = await makeTenant(t, 'Alpha');
  });
  afterAll(() => t.close());

  it('covers every state-changing route, revoke-others and sign-out among them', () => {
    const names = unsafe.map(([name]) => name);
    expect(names).toEqual(expect.arrayContaining(['revokeOtherSessions', 'signOut', 'deleteWorkspace']));
    expect(unsafe.length).toBeGreaterThanOrEqual(25);
  });

  it('refuses each of them with the owner’s cookie from a foreign, "null" or missing Origin, changing nothing', async () => {
    // A second session of the owner: "sign out everywhere else" must not reach it.
    const second = t.client();
    const signIn = await second.post('/api/v1/auth/signin', {
      email: a.owner.email,
      password: a.owner.password,
    });
    expect(signIn.status).toBe(200);
    const before = await snapshot(a);
    const sessionsBefore = SessionList.parse((await a.owner.get('/api/v1/auth/sessions')).body).items.map(
      (s) => s.id,
    );

    for (const origin of [FOREIGN_ORIGIN, 'null', null]) {
      const forged = new TestClient(t.url);
      forged.cookie = a.owner.cookie;
      forged.origin = origin;
      for (const [name, route] of unsafe) {
        const req = attempt(name, route, a);
        const res = await forged.request(req.method, req.path, req.body);
        expectError(res, 403, 'origin_mismatch', `${String(origin)}: ${name} ${req.method} ${req.path}`);
      }
    }

    expect(await snapshot(a)).toEqual(before);
    const sessionsAfter = SessionList.parse((await a.owner.get('/api/v1/auth/sessions')).body).items.map(
      (s) => s.id,
    );
    expect(sessionsAfter.sort()).toEqual(sessionsBefore.sort());
    expect((await second.get('/api/v1/auth/me')).status).toBe(200);
    expect((await a.owner.get('/api/v1/auth/me')).status).toBe(200);
  });
});
