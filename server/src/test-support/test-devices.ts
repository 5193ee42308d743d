import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import {
  normalisePairingCode,
  pairingProofMessage,
  renewalProofMessage,
  SYNC_PATH,
  SYNC_PROTOCOL_VERSION,
  syncSubprotocol,
  type ClientFrame,
  type DevicePaired,
  type PairingCreated,
  type ServerFrame,
} from '@enclave/shared';
import type { TestClient } from './test-client';
import type { TestServer } from './test-server';

export interface DeviceKeys {
  publicKey: string;
  privateKey: KeyObject;
  sign(message: string): string;
}

export function newDeviceKeys(): DeviceKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    publicKey: jwk.x as string,
    privateKey,
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64url'),
  };
}

export interface TestDevice {
  workspaceId: string;
  deviceId: string;
  accessToken: string;
  keys: DeviceKeys;
  paired: DevicePaired;
}

/** Makes a pairing code as `user` (for `forUserId`, default themselves). */
export async function createPairing(
  user: TestClient,
  workspaceId: string,
  body: { forUserId?: string; ttlSeconds?: number } = {},
): Promise<PairingCreated> {
  const res = await user.post<PairingCreated>(`/api/v1/workspaces/${workspaceId}/pairings`, body);
  if (res.status !== 201) throw new Error(`pairing failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Redeems a code as a new device would, with fresh keys. */
export async function redeem(t: TestServer, code: string, name = 'Test laptop') {
  const keys = newDeviceKeys();
  // A desktop app is not a browser: it sends no Origin.
  const client = t.client();
  client.origin = null;
  const res = await client.post<DevicePaired>('/api/v1/devices/pair', {
    code,
    publicKey: keys.publicKey,
    proof: keys.sign(pairingProofMessage(normalisePairingCode(code))),
    name,
    platform: 'linux',
    appVersion: '0.1.0',
  });
  return { res, keys };
}

/** Pairs a device for `user` in one go. */
export async function pairDevice(
  t: TestServer,
  user: TestClient,
  workspaceId: string,
  name = 'Test laptop',
): Promise<TestDevice> {
  const { code } = await createPairing(user, workspaceId);
  const { res, keys } = await redeem(t, code, name);
  if (res.status !== 201) throw new Error(`redeem failed: ${res.status} ${res.text}`);
  return {
    workspaceId,
    deviceId: res.body.device.id,
    accessToken: res.body.accessToken,
    keys,
    paired: res.body,
  };
}

/** Renews a device's token by challenge and signature. */
export async function renewToken(t: TestServer, device: TestDevice) {
  const client = t.client();
  client.origin = null;
  const challenge = await client.post<{ challenge: string }>('/api/v1/devices/challenge', {
    workspaceId: device.workspaceId,
    deviceId: device.deviceId,
  });
  return client.post<{ accessToken: string; expiresAt: string }>('/api/v1/devices/token', {
    workspaceId: device.workspaceId,
    deviceId: device.deviceId,
    challenge: challenge.body.challenge,
    signature: device.keys.sign(renewalProofMessage(device.deviceId, challenge.body.challenge)),
  });
}

export function syncUrl(t: TestServer): string {
  return t.url.replace(/^http/, 'ws') + SYNC_PATH;
}

/** A client frame without its id (the connection numbers requests itself). */
export type FrameInput = ClientFrame extends infer F
  ? F extends ClientFrame
    ? Omit<F, 'id'> & { id?: string }
    : never
  : never;

export interface Refusal {
  status: number;
  body: unknown;
}

/**
 * A raw sync connection for protocol tests: sends frames, collects every frame received, and
 * resolves requests by id.
 */
export class RawSync {
  readonly frames: ServerFrame[] = [];
  closeCode: number | null = null;
  closeReason = '';
  closedAt: number | null = null;
  private readonly waiters: { test: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  private readonly closeWaiters: (() => void)[] = [];
  private seq = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
      this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.test(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString('utf8');
      this.closedAt = Date.now();
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  /** Opens a connection; resolves once the server's hello arrived, or with the refusal. */
  static async open(
    t: TestServer,
    token: string | null,
    options: { protocols?: string[]; headers?: Record<string, string> } = {},
  ): Promise<RawSync | Refusal> {
    const headers: Record<string, string> = { ...options.headers };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const socket = new WebSocket(syncUrl(t), options.protocols ?? [syncSubprotocol(SYNC_PROTOCOL_VERSION)], {
      headers,
      maxPayload: 256 * 1024 * 1024,
    });
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null }),
        );
      });
      socket.once('error', reject);
      const raw = new RawSync(socket);
      raw
        .next((f) => f.type === 'hello')
        .then(() => resolve(raw))
        .catch(reject);
    });
  }

  static async connect(t: TestServer, token: string): Promise<RawSync> {
    const result = await RawSync.open(t, token);
    if (!(result instanceof RawSync))
      throw new Error(`sync refused: ${result.status} ${JSON.stringify(result.body)}`);
    return result;
  }

  next(test: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return this.wait(test, timeoutMs);
  }

  /** The next matching frame received from now on. */
  wait(test: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
      this.waiters.push({
        test,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Sends a request frame and waits for the answer (or error) with its id. */
  async request<T extends ServerFrame = ServerFrame>(frame: FrameInput): Promise<T> {
    const id = frame.id ?? `r${String(++this.seq)}`;
    const answer = this.wait((f) => 'id' in f && f.id === id);
    this.socket.send(JSON.stringify({ ...frame, id }));
    return (await answer) as T;
  }

  closed(timeoutMs = 10_000): Promise<void> {
    if (this.closeCode !== null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for close')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}
