import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pairingProofMessage, RedeemPairingBody, type DevicePaired } from '@enclave/shared';
import { signMessage } from './device-keys';
import { SyncError } from './errors';
import type { FetchImpl } from './http';
import { pairDevice } from './pairing';

const CODE = '7XKQ-M2PA-9RTV-B4WZ-HJ3N';
const NORMALISED = '7XKQM2PA9RTVB4WZHJ3N';

function paired(): DevicePaired {
  const now = new Date().toISOString();
  const deviceId = randomUUID();
  const userId = randomUUID();
  return {
    accessToken: 'token-1',
    expiresAt: new Date(Date.now() + 900_000).toISOString(),
    device: {
      id: deviceId,
      name: 'Laptop',
      platform: 'linux',
      appVersion: '0.1.0',
      ownerId: userId,
      pairedBy: userId,
      pairedAt: now,
      lastSeenAt: null,
      lastIp: null,
      status: 'active',
      revokedAt: null,
      wipe: false,
      keyFingerprint: '3f2a 9c01 77d4 e0b5 1a2b 3c4d 5e6f 7081',
      online: true,
      lastSyncedSeq: null,
      revokeClosedMs: null,
      wipeConfirmedAt: null,
    },
    workspace: { id: randomUUID(), name: 'Acme' },
  };
}

interface Sent {
  url: string;
  body: unknown;
}

function answering(status: number, body: unknown, sent: Sent[] = []): FetchImpl {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : input.toString();
    sent.push({ url, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
}

const options = { serverUrl: 'https://enclave.example/', code: CODE, name: 'Laptop', appVersion: '0.1.0' };

describe('pairDevice', () => {
  it('sends the normalised code with a proof made by the key it registers', async () => {
    const sent: Sent[] = [];
    const answer = paired();
    const credential = await pairDevice({
      ...options,
      platform: 'linux',
      fetch: answering(201, answer, sent),
    });

    expect(sent).toHaveLength(1);
    const request = sent[0]!;
    expect(request.url).toBe('https://enclave.example/api/v1/devices/pair');
    const body = RedeemPairingBody.parse(request.body);
    expect(body.code).toBe(NORMALISED);
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: body.publicKey }, format: 'jwk' });
    const message = Buffer.from(pairingProofMessage(NORMALISED), 'utf8');
    expect(verify(null, message, key, Buffer.from(body.proof, 'base64url'))).toBe(true);

    expect(credential).toMatchObject({
      workspaceId: answer.workspace.id,
      workspaceName: 'Acme',
      deviceId: answer.device.id,
      accessToken: 'token-1',
      accessTokenExpiresAt: answer.expiresAt,
    });
    // The stored key is the one whose public half was registered.
    const proofAgain = signMessage(credential.privateKey, 'check');
    expect(verify(null, Buffer.from('check'), key, Buffer.from(proofAgain, 'base64url'))).toBe(true);
  });

  it("throws the server's error for a used code", async () => {
    const fetch = answering(410, { error: { code: 'gone', message: 'This code was already used' } });
    const error = await pairDevice({ ...options, platform: 'linux', fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: 'gone', status: 410, network: false });
  });

  it('reports an unreachable server as a network error', async () => {
    const fetch: FetchImpl = () => Promise.reject(new TypeError('fetch failed'));
    const error = await pairDevice({ ...options, platform: 'linux', fetch }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'internal', network: true });
  });

  it('refuses a malformed code without asking the server', async () => {
    const sent: Sent[] = [];
    const error = await pairDevice({
      ...options,
      code: 'too-short',
      platform: 'linux',
      fetch: answering(201, paired(), sent),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'validation_failed' });
    expect(sent).toHaveLength(0);
  });

  it('refuses an answer that is not a DevicePaired', async () => {
    const error = await pairDevice({
      ...options,
      platform: 'linux',
      fetch: answering(201, { accessToken: 'x' }),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'internal', network: false });
  });
});
