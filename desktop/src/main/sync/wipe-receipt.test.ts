import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WipeReceiptBody, wipeReceiptMessage } from '@enclave/shared';
import type { DeviceCredential } from './credential';
import { generateDeviceKeys } from './device-keys';
import {
  deliverWipeReceipt,
  WIPE_RECEIPT_PATH,
  WipeReceiptSigner,
  type PendingWipeReceipt,
} from './wipe-receipt';

function credentialWith(privateKey: string): DeviceCredential {
  return {
    serverUrl: 'http://127.0.0.1:1',
    workspaceId: randomUUID(),
    deviceId: randomUUID(),
    workspaceName: 'Acme',
    privateKey,
    accessToken: 'token',
    accessTokenExpiresAt: new Date().toISOString(),
  };
}

describe('WipeReceiptSigner', () => {
  it('signs the receipt message with the device key, in the shape the server takes', () => {
    const keys = generateDeviceKeys();
    const credential = credentialWith(keys.privateKey);
    const wipedAt = new Date().toISOString();
    const receipt = WipeReceiptSigner.from(credential).sign(wipedAt);
    expect(receipt.serverUrl).toBe(credential.serverUrl);
    const body = WipeReceiptBody.parse(receipt.body);
    expect(body).toMatchObject({
      workspaceId: credential.workspaceId,
      deviceId: credential.deviceId,
      wipedAt,
    });
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: keys.publicKey }, format: 'jwk' });
    const message = wipeReceiptMessage(credential.workspaceId, credential.deviceId, wipedAt);
    expect(verify(null, Buffer.from(message), key, Buffer.from(body.signature, 'base64url'))).toBe(true);
  });

  it('signs once: the key is gone afterwards, and after discard()', () => {
    const signer = WipeReceiptSigner.from(credentialWith(generateDeviceKeys().privateKey));
    signer.sign(new Date().toISOString());
    expect(() => signer.sign(new Date().toISOString())).toThrow(/signed already/);
    const discarded = WipeReceiptSigner.from(credentialWith(generateDeviceKeys().privateKey));
    discarded.discard();
    discarded.discard();
    expect(() => discarded.sign(new Date().toISOString())).toThrow(/signed already/);
  });
});

describe('deliverWipeReceipt', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = null;
  });

  /** A real HTTP server answering each receipt with the next status of `statuses` (the last one repeats). */
  async function answering(
    statuses: number[],
  ): Promise<{ url: string; seen: { path: string; body: unknown }[] }> {
    const seen: { path: string; body: unknown }[] = [];
    server = createServer((req: IncomingMessage, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', body: JSON.parse(text) as unknown });
        const status = statuses[Math.min(seen.length, statuses.length) - 1] ?? 500;
        if (status === 204) return res.writeHead(204).end();
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: codeOf(status), message: 'no' } }));
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${String(port)}`, seen };
  }

  const codeOf = (status: number) =>
    ({ 401: 'unauthorized', 409: 'conflict', 429: 'rate_limited', 503: 'workspace_unavailable' })[status] ??
    'internal';

  const receiptFor = (serverUrl: string): PendingWipeReceipt =>
    WipeReceiptSigner.from({ ...credentialWith(generateDeviceKeys().privateKey), serverUrl }).sign(
      new Date().toISOString(),
    );

  const quick = { backoff: { baseMs: 5, maxMs: 10 } };

  it('posts the receipt, and tries again while the server asks to wait or fails', async () => {
    const { url, seen } = await answering([503, 429, 500, 204]);
    const receipt = receiptFor(url);
    expect(await deliverWipeReceipt(receipt, { ...quick, attempts: 5 })).toEqual({
      kind: 'accepted',
      attempts: 4,
    });
    expect(seen).toHaveLength(4);
    for (const request of seen) expect(request).toEqual({ path: WIPE_RECEIPT_PATH, body: receipt.body });
  });

  it('takes a refusal as final', async () => {
    for (const status of [401, 409]) {
      const { url, seen } = await answering([status]);
      expect(await deliverWipeReceipt(receiptFor(url), { ...quick, attempts: 5 })).toEqual({
        kind: 'refused',
        code: codeOf(status),
        status,
        attempts: 1,
      });
      expect(seen).toHaveLength(1);
      await new Promise((resolve) => server?.close(resolve));
      server = null;
    }
  });

  it('gives up after the attempts it was given when nothing answers', async () => {
    const { url } = await answering([204]);
    await new Promise((resolve) => server?.close(resolve));
    server = null;
    expect(await deliverWipeReceipt(receiptFor(url), { ...quick, attempts: 3 })).toEqual({
      kind: 'unreachable',
      attempts: 3,
    });
  });

  it('gives up on a server that never answers after the request timeout', async () => {
    const hanging = createServer(() => undefined);
    server = hanging;
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((hanging.address() as AddressInfo).port)}`;
    const started = Date.now();
    expect(
      await deliverWipeReceipt(receiptFor(url), { ...quick, attempts: 2, requestTimeoutMs: 100 }),
    ).toEqual({ kind: 'unreachable', attempts: 2 });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops when cancelled, and sends nothing more', async () => {
    const { url, seen } = await answering([503]);
    const controller = new AbortController();
    const delivery = deliverWipeReceipt(receiptFor(url), {
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      attempts: 5,
      signal: controller.signal,
    });
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(await delivery).toEqual({ kind: 'cancelled' });
    const sent = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toHaveLength(sent);
  });
});
