import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorBody,
  normalisePairingCode,
  pairingProofMessage,
  renewalProofMessage,
  type AccessToken,
  type ErrorCode,
  type DeviceSelf,
} from '@enclave/shared';
import { deriveKey, loadMasterKey } from '../../server/src/crypto/keys';
import { expectError } from '../../server/src/test-support/expect-error';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';
import {
  createPairing,
  pairDevice,
  RawSync,
  redeem,
  renewToken,
  type TestDevice,
} from '../../server/src/test-support/test-devices';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';

const AUDIENCE = 'enclave-device';
const MINUTE_S = 60;

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

/**
 * Attacks on the device bearer token and on its renewal. Every forged, stale or tampered token
 * is tried against a device route and against the sync upgrade: both must answer 401 in the one
 * error shape and say nothing about any device.
 */
describe('device tokens under attack', () => {
  let t: TestServer;
  let owner: TestClient;
  let wsA: string;
  let wsB: string;
  let alpha: TestDevice;
  let alpha2: TestDevice;
  let beta: TestDevice;
  /** The server's own signing key, re-derived from the master key: forgeries that pass the signature check. */
  let serverKey: KeyObject;
  let issuer: string;
  let kid: string;
  /** Everything a refusal must not mention. */
  let deviceData: string[];
  /** Every token, code and signature handed out or sent here: none may reach the logs. */
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_LOG_LEVEL: 'trace' } });
    owner = await createUser(t, { name: 'Token Owner' });
    const other = await createUser(t, { name: 'Other Owner' });
    wsA = await createWorkspace(owner, 'Alpha Vault');
    wsB = await createWorkspace(other, 'Beta Vault');
    await addMember(other, wsB, owner, ['member']);
    alpha = await pairDevice(t, owner, wsA, 'alpha laptop');
    alpha2 = await pairDevice(t, owner, wsA, 'alpha desktop');
    beta = await pairDevice(t, owner, wsB, 'beta laptop');
    for (const d of [alpha, alpha2, beta]) secrets.set(`token of ${d.paired.device.name}`, d.accessToken);

    const { tokens } = t.server.deps.devices;
    issuer = tokens.issuer;
    kid = tokens.keyId;
    const seed = deriveKey(
      loadMasterKey(t.config.masterKeyFile, { create: false, dataExists: true }),
      'device-token-signing',
    );
    serverKey = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
      format: 'der',
      type: 'pkcs8',
    });
    seed.fill(0);
    // The re-derived key is the server's: otherwise the claim checks below would prove nothing.
    expect(createPublicKey(serverKey).export({ format: 'pem', type: 'spki' })).toBe(tokens.publicKeyPem());
    deviceData = [
      wsA,
      wsB,
      'Alpha Vault',
      'Beta Vault',
      owner.userId,
      owner.email,
      ...[alpha, alpha2, beta].flatMap((d) => [d.deviceId, d.paired.device.name, d.keys.publicKey]),
    ];
  });
  afterAll(() => t.close());

  /** A client as the desktop app is: no cookie, no Origin. */
  function app(): TestClient {
    const client = t.client();
    client.origin = null;
    return client;
  }

  function claimsFor(device: TestDevice, overrides: JWTPayload = {}): JWTPayload {
    const iat = nowS();
    return {
      iss: issuer,
      aud: AUDIENCE,
      sub: device.deviceId,
      ws: device.workspaceId,
      iat,
      exp: iat + 15 * MINUTE_S,
      jti: randomUUID(),
      ...overrides,
    };
  }

  function without(claims: JWTPayload, name: string): JWTPayload {
    return Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name));
  }

  /** Signs exactly these claims (none added) with `key`, EdDSA, under the server's header unless told. */
  function sign(
    claims: JWTPayload,
    key: KeyObject = serverKey,
    header: Record<string, unknown> = { alg: 'EdDSA', typ: 'JWT', kid },
  ): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(key);
  }

  /** A token whose payload is swapped for `claims`, keeping the original header and signature. */
  function tampered(token: string, change: (claims: Record<string, unknown>) => void): string {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    change(claims);
    return `${header ?? ''}.${b64json(claims)}.${signature ?? ''}`;
  }

  function leakedDeviceData(text: string): string[] {
    return deviceData.filter((s) => text.includes(s));
  }

  /** Refused on a device route and at the sync upgrade, 401 with `code`, and nothing given away. */
  async function refusedEverywhere(
    authorization: string,
    label: string,
    code: ErrorCode = 'unauthorized',
  ): Promise<{ http: TestResponse; sync: { status: number; body: unknown } }> {
    const http = await app().get<DeviceSelf>('/api/v1/device', { authorization });
    expectError(http, 401, code, `${label} (HTTP)`);
    expect(leakedDeviceData(http.text), label).toEqual([]);

    const sync = await RawSync.open(t, null, { headers: { authorization } });
    if (sync instanceof RawSync) {
      sync.close();
      throw new Error(`${label}: the sync upgrade was accepted`);
    }
    expect(sync.status, `${label} (sync)`).toBe(401);
    expect(ErrorBody.strict().safeParse(sync.body).success, `${label} (sync)`).toBe(true);
    expect((sync.body as ErrorBody).error.code, `${label} (sync)`).toBe(code);
    expect(leakedDeviceData(JSON.stringify(sync.body)), label).toEqual([]);
    return { http, sync };
  }

  const bearer = (token: string) => `Bearer ${token}`;

  it('accepts the real token on both doors (so that the refusals below mean something)', async () => {
    const http = await app().get<DeviceSelf>('/api/v1/device', { authorization: bearer(alpha.accessToken) });
    expect(http.status, http.text).toBe(200);
    expect(http.body.device.id).toBe(alpha.deviceId);
    const sync = await RawSync.connect(t, alpha.accessToken);
    expect(sync.frames[0]).toMatchObject({ type: 'hello', workspaceId: wsA, deviceId: alpha.deviceId });
    sync.close();
    await sync.closed();
    // A token the test signs itself with the server's key and the server's claims is accepted
    // too: the forgeries below differ from it in one thing each.
    const own = await sign(claimsFor(alpha));
    expect((await app().get('/api/v1/device', { authorization: bearer(own) })).status).toBe(200);
  });

  describe('forged, stale and tampered tokens', () => {
    const attacks: [string, () => Promise<string> | string][] = [
      [
        'signed by another Ed25519 key',
        () => sign(claimsFor(alpha), generateKeyPairSync('ed25519').privateKey),
      ],
      [
        'from another Enclave server (its own key and issuer)',
        () =>
          sign(
            claimsFor(alpha, { iss: `urn:enclave:${randomUUID()}` }),
            generateKeyPairSync('ed25519').privateKey,
          ),
      ],
      [
        'expired (issued 16 minutes ago by the server itself)',
        async () =>
          (await t.server.deps.devices.tokens.issue(alpha.deviceId, wsA, new Date(Date.now() - 16 * 60_000)))
            .token,
      ],
      [
        'with a lifetime beyond 15 minutes (issued 20 minutes ago, expiring in an hour)',
        () => sign(claimsFor(alpha, { iat: nowS() - 20 * MINUTE_S, exp: nowS() + 60 * MINUTE_S })),
      ],
      [
        'issued in the future',
        () => sign(claimsFor(alpha, { iat: nowS() + 10 * MINUTE_S, exp: nowS() + 25 * MINUTE_S })),
      ],
      ['not valid before a time to come', () => sign(claimsFor(alpha, { nbf: nowS() + 10 * MINUTE_S }))],
      ['for another audience', () => sign(claimsFor(alpha, { aud: 'enclave-web' }))],
      ['for several audiences, ours not among them', () => sign(claimsFor(alpha, { aud: ['a', 'b'] }))],
      ['without an audience', () => sign(without(claimsFor(alpha), 'aud'))],
      ['from another issuer', () => sign(claimsFor(alpha, { iss: 'urn:enclave:someone-else' }))],
      ['without an issuer', () => sign(without(claimsFor(alpha), 'iss'))],
      ['of another token type', () => sign(claimsFor(alpha), serverKey, { typ: 'at+jwt', kid })],
      ['without jti', () => sign(without(claimsFor(alpha), 'jti'))],
      ['without exp', () => sign(without(claimsFor(alpha), 'exp'))],
      ['without iat', () => sign(without(claimsFor(alpha), 'iat'))],
      ['without sub', () => sign(without(claimsFor(alpha), 'sub'))],
      ['without ws', () => sign(without(claimsFor(alpha), 'ws'))],
      ['with a sub that is not a device id', () => sign(claimsFor(alpha, { sub: 'admin' }))],
      [
        'with exp as a string',
        () => sign(claimsFor(alpha, { exp: String(nowS() + 600) as unknown as number })),
      ],
      [
        'signed, naming a device of another workspace',
        () => sign(claimsFor(alpha, { sub: beta.deviceId, ws: wsA })),
      ],
      [
        'signed, naming a workspace its device is not in',
        () => sign(claimsFor(alpha, { sub: alpha.deviceId, ws: wsB })),
      ],
      ['signed, naming a device that does not exist', () => sign(claimsFor(alpha, { sub: randomUUID() }))],
      ['alg none, unsigned', () => `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(claimsFor(alpha))}.`],
      [
        'alg none, with a real signature left on',
        () =>
          `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(claimsFor(alpha))}.${alpha.accessToken.split('.')[2] ?? ''}`,
      ],
      [
        'HS256 with the server’s public key (PEM) as the HMAC secret',
        () => {
          const signingInput = `${b64json({ alg: 'HS256', typ: 'JWT', kid })}.${b64json(claimsFor(alpha))}`;
          const pem = t.server.deps.devices.tokens.publicKeyPem();
          return `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
        },
      ],
      [
        'HS256 with the server’s raw public key as the HMAC secret',
        () => {
          const signingInput = `${b64json({ alg: 'HS256', typ: 'JWT' })}.${b64json(claimsFor(alpha))}`;
          const raw = Buffer.from(createPublicKey(serverKey).export({ format: 'jwk' }).x ?? '', 'base64url');
          return `${signingInput}.${createHmac('sha256', raw).update(signingInput).digest('base64url')}`;
        },
      ],
      [
        'tampered: sub changed to another device of the same workspace',
        () => tampered(alpha.accessToken, (c) => (c.sub = alpha2.deviceId)),
      ],
      ['tampered: ws changed to another workspace', () => tampered(alpha.accessToken, (c) => (c.ws = wsB))],
      [
        'tampered: sub and ws changed to a device of another workspace',
        () =>
          tampered(alpha.accessToken, (c) => {
            c.sub = beta.deviceId;
            c.ws = wsB;
          }),
      ],
      [
        'tampered: expiry pushed back a day',
        () => tampered(alpha.accessToken, (c) => (c.exp = (c.exp as number) + 24 * 3600)),
      ],
      [
        'tampered: header changed to another kid',
        () => {
          const [, payload, signature] = alpha.accessToken.split('.');
          return `${b64json({ alg: 'EdDSA', typ: 'JWT', kid: 'other' })}.${payload ?? ''}.${signature ?? ''}`;
        },
      ],
      ['with its signature cut off', () => alpha.accessToken.split('.').slice(0, 2).join('.') + '.'],
      ['with a fourth segment', () => `${alpha.accessToken}.${alpha.accessToken.split('.')[2] ?? ''}`],
      [
        'one signature bit flipped',
        () => {
          const [h, p, s] = alpha.accessToken.split('.');
          const bytes = Buffer.from(s ?? '', 'base64url');
          bytes[10] = (bytes[10] ?? 0) ^ 1;
          return `${h ?? ''}.${p ?? ''}.${bytes.toString('base64url')}`;
        },
      ],
      ['garbage', () => 'garbage'],
      ['three garbage segments', () => 'a.b.c'],
      ['random base64url', () => randomBytes(300).toString('base64url')],
    ];

    for (const [label, build] of attacks) {
      it(`refuses a token ${label}`, async () => {
        const token = await build();
        secrets.set(`forged: ${label}`, token);
        await refusedEverywhere(bearer(token), label);
      });
    }

    it('tells a device whose signed token names a workspace that is gone to wipe, and nothing more', async () => {
      // Deleted or never there: the server cannot tell the two apart. Only its own key can sign
      // such a token, so this is what a device of a deleted workspace hears.
      const token = await sign(claimsFor(alpha, { ws: randomUUID() }));
      const { http, sync } = await refusedEverywhere(bearer(token), 'unknown workspace', 'device_revoked');
      expect((http.body as ErrorBody).error.details).toEqual({ wipe: true });
      expect((sync.body as ErrorBody).error.details).toEqual({ wipe: true });
    });

    it('refuses malformed Authorization headers', async () => {
      for (const header of [
        '',
        'Bearer',
        'Bearer ',
        `bearer ${alpha.accessToken}`,
        `Bearer  ${alpha.accessToken}`,
        `Bearer ${alpha.accessToken} extra`,
        `Basic ${Buffer.from(`${owner.email}:pw`).toString('base64')}`,
        `Bearer ${'a'.repeat(5000)}`,
        `Bearer ${alpha.accessToken.replaceAll('.', ' ')}`,
      ]) {
        await refusedEverywhere(header, JSON.stringify(header.slice(0, 40)));
      }
    });

    it('refuses the valid token of a revoked device with device_revoked, whatever its lifetime left', async () => {
      const doomed = await pairDevice(t, owner, wsA, 'doomed');
      expect((await app().get('/api/v1/device', { authorization: bearer(doomed.accessToken) })).status).toBe(
        200,
      );
      const revoked = await owner.post(`/api/v1/workspaces/${wsA}/devices/${doomed.deviceId}/revoke`, {});
      expect(revoked.status).toBe(200);
      const { http, sync } = await refusedEverywhere(bearer(doomed.accessToken), 'revoked', 'device_revoked');
      expect((http.body as ErrorBody).error.details).toEqual({ wipe: false });
      expect((sync.body as ErrorBody).error.details).toEqual({ wipe: false });
      // A fresh token for it, signed by the server, is refused just the same.
      const fresh = await t.server.deps.devices.tokens.issue(doomed.deviceId, wsA);
      await refusedEverywhere(bearer(fresh.token), 'revoked, fresh token', 'device_revoked');
    });
  });

  describe('renewal', () => {
    async function challengeFor(workspaceId: string, deviceId: string): Promise<string> {
      const res = await app().post<{ challenge: string; expiresAt: string }>('/api/v1/devices/challenge', {
        workspaceId,
        deviceId,
      });
      expect(res.status, res.text).toBe(200);
      const ttl = Date.parse(res.body.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      secrets.set(`challenge ${res.body.challenge}`, res.body.challenge);
      return res.body.challenge;
    }

    function renew(
      body: { workspaceId: string; deviceId: string; challenge: string; signature: string },
      headers: Record<string, string> = {},
    ): Promise<TestResponse<AccessToken>> {
      return app().post<AccessToken>('/api/v1/devices/token', body, headers);
    }

    function refusedRenewal(res: TestResponse, label: string, code: ErrorCode = 'unauthorized') {
      expectError(res, 401, code, label);
      expect(res.text, label).not.toMatch(/accessToken|eyJ/);
    }

    it('renews a device that signs a fresh challenge, with a token both doors accept', async () => {
      const res = await renewToken(t, alpha);
      expect(res.status, res.text).toBe(200);
      secrets.set('renewed token', res.body.accessToken);
      expect(res.body.accessToken).not.toBe(alpha.accessToken);
      const ttl = Date.parse(res.body.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(14 * 60_000);
      expect(ttl).toBeLessThanOrEqual(15 * 60_000);
      const self = await app().get<DeviceSelf>('/api/v1/device', {
        authorization: bearer(res.body.accessToken),
      });
      expect(self.status).toBe(200);
      expect(self.body.device.id).toBe(alpha.deviceId);
      const sync = await RawSync.connect(t, res.body.accessToken);
      sync.close();
    });

    it('does not renew on the strength of a token: the challenge must be signed by the device key', async () => {
      const challenge = await challengeFor(wsA, alpha.deviceId);
      // The stolen token in the header, and its own EdDSA signature (also 64 bytes) as the proof.
      const res = await renew(
        {
          workspaceId: wsA,
          deviceId: alpha.deviceId,
          challenge,
          signature: alpha.accessToken.split('.')[2] ?? '',
        },
        { authorization: bearer(alpha.accessToken) },
      );
      refusedRenewal(res, 'token signature as proof');
      // No challenge at all: the JWT is not accepted in its place.
      const noChallenge = await renew(
        {
          workspaceId: wsA,
          deviceId: alpha.deviceId,
          challenge: alpha.accessToken.slice(0, 200),
          signature: alpha.keys.sign(renewalProofMessage(alpha.deviceId, alpha.accessToken.slice(0, 200))),
        },
        { authorization: bearer(alpha.accessToken) },
      );
      refusedRenewal(noChallenge, 'token as challenge');
    });

    it('refuses a challenge signed by another key, and a made-up challenge', async () => {
      const challenge = await challengeFor(wsA, alpha.deviceId);
      refusedRenewal(
        await renew({
          workspaceId: wsA,
          deviceId: alpha.deviceId,
          challenge,
          signature: alpha2.keys.sign(renewalProofMessage(alpha.deviceId, challenge)),
        }),
        'signed by another device',
      );
      const madeUp = randomBytes(32).toString('base64url');
      refusedRenewal(
        await renew({
          workspaceId: wsA,
          deviceId: alpha.deviceId,
          challenge: madeUp,
          signature: alpha.keys.sign(renewalProofMessage(alpha.deviceId, madeUp)),
        }),
        'made-up challenge',
      );
    });

    it('refuses a signature over another message (the purposes are kept apart)', async () => {
      for (const message of [
        (c: string) => pairingProofMessage(c),
        (c: string) => c,
        (c: string) => renewalProofMessage(alpha2.deviceId, c),
      ]) {
        const challenge = await challengeFor(wsA, alpha.deviceId);
        refusedRenewal(
          await renew({
            workspaceId: wsA,
            deviceId: alpha.deviceId,
            challenge,
            signature: alpha.keys.sign(message(challenge)),
          }),
          message('<challenge>'),
        );
      }
    });

    it('uses a challenge once: a replayed signed challenge is refused, and so is one spent by a failure', async () => {
      const challenge = await challengeFor(wsA, alpha.deviceId);
      const body = {
        workspaceId: wsA,
        deviceId: alpha.deviceId,
        challenge,
        signature: alpha.keys.sign(renewalProofMessage(alpha.deviceId, challenge)),
      };
      const first = await renew(body);
      expect(first.status, first.text).toBe(200);
      refusedRenewal(await renew(body), 'replay');
      refusedRenewal(await renew(body), 'replay again');

      const spent = await challengeFor(wsA, alpha.deviceId);
      refusedRenewal(
        await renew({
          ...body,
          challenge: spent,
          signature: alpha2.keys.sign(renewalProofMessage(alpha.deviceId, spent)),
        }),
        'bad signature',
      );
      refusedRenewal(
        await renew({
          ...body,
          challenge: spent,
          signature: alpha.keys.sign(renewalProofMessage(alpha.deviceId, spent)),
        }),
        'good signature on a spent challenge',
      );
    });

    it('binds a challenge to the device and workspace it was issued for', async () => {
      const forAlpha = await challengeFor(wsA, alpha.deviceId);
      refusedRenewal(
        await renew({
          workspaceId: wsA,
          deviceId: alpha2.deviceId,
          challenge: forAlpha,
          signature: alpha2.keys.sign(renewalProofMessage(alpha2.deviceId, forAlpha)),
        }),
        'challenge of A for device B',
      );
      const forBetaInA = await challengeFor(wsA, beta.deviceId);
      refusedRenewal(
        await renew({
          workspaceId: wsB,
          deviceId: beta.deviceId,
          challenge: forBetaInA,
          signature: beta.keys.sign(renewalProofMessage(beta.deviceId, forBetaInA)),
        }),
        'challenge issued under another workspace',
      );
      // A device of B cannot be renewed as if it were in A: A has no such device, which is
      // answered exactly as a workspace id that does not exist (or no longer does) is.
      const crossed = await challengeFor(wsA, beta.deviceId);
      const crossedRes = await renew({
        workspaceId: wsA,
        deviceId: beta.deviceId,
        challenge: crossed,
        signature: beta.keys.sign(renewalProofMessage(beta.deviceId, crossed)),
      });
      refusedRenewal(crossedRes, 'device of B renewed in A', 'device_revoked');
      const ghostWs = randomUUID();
      const ghost = await challengeFor(ghostWs, beta.deviceId);
      const ghostRes = await renew({
        workspaceId: ghostWs,
        deviceId: beta.deviceId,
        challenge: ghost,
        signature: beta.keys.sign(renewalProofMessage(beta.deviceId, ghost)),
      });
      expect(ghostRes.status).toBe(crossedRes.status);
      expect(ghostRes.body).toEqual(crossedRes.body);
    });

    it('refuses a revoked device with device_revoked and whether to wipe', async () => {
      const lost = await pairDevice(t, owner, wsA, 'lost laptop');
      const revoked = await owner.post(`/api/v1/workspaces/${wsA}/devices/${lost.deviceId}/revoke`, {
        wipe: true,
      });
      expect(revoked.status).toBe(200);
      const res = await renewToken(t, lost);
      refusedRenewal(res, 'revoked', 'device_revoked');
      expect((res.body as unknown as ErrorBody).error.details).toEqual({ wipe: true });
    });
  });

  it('never writes a token, pairing code, challenge or signature to the logs', async () => {
    // One more pairing and renewal, with its code, so every kind of secret is in play.
    const created = await createPairing(owner, wsA);
    secrets.set('pairing code', created.code);
    secrets.set('pairing code, normalised', normalisePairingCode(created.code));
    secrets.set('pairing link', created.link);
    const { res, keys } = await redeem(t, created.code, 'logged laptop');
    expect(res.status).toBe(201);
    secrets.set('paired token', res.body.accessToken);
    secrets.set('pairing proof', keys.sign(pairingProofMessage(normalisePairingCode(created.code))));
    // A failed redeem of the same code goes to the logs at a louder level.
    expect((await redeem(t, created.code)).res.status).toBe(410);
    const device: TestDevice = {
      workspaceId: wsA,
      deviceId: res.body.device.id,
      accessToken: res.body.accessToken,
      keys,
      paired: res.body,
    };
    const renewed = await renewToken(t, device);
    expect(renewed.status).toBe(200);
    secrets.set('renewed token', renewed.body.accessToken);
    const sync = await RawSync.connect(t, renewed.body.accessToken);
    sync.close();
    await sync.closed();

    const logs = t.logs();
    // The capture works: the requests above are there.
    expect(logs).toContain('/api/v1/devices/pair');
    expect(logs).toContain('/api/v1/devices/token');
    expect(secrets.size).toBeGreaterThan(8);
    for (const [label, secret] of secrets) {
      if (secret.length < 8) continue;
      expect(logs.includes(secret), label).toBe(false);
      // Nor any part of a JWT that would let it be put together again.
      const signature = secret.split('.')[2];
      if (signature && signature.length >= 40)
        expect(logs.includes(signature), `${label}: signature`).toBe(false);
    }
  });
});
