import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ClientFrame,
  RenewTokenBody,
  renewalProofMessage,
  SYNC_PATH,
  SYNC_PROTOCOL_VERSION,
  syncSubprotocol,
  type ErrorBody,
  type ServerFrame,
} from '@enclave/shared';

export interface Refusal {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

export interface RenewalAccount {
  deviceId: string;
  /** The device's raw Ed25519 public key, base64url. */
  publicKey: string;
  /** What a valid renewal answers; a revoked device gets `device_revoked` instead. */
  next: { accessToken: string; expiresAt: string } | { revoked: { wipe: boolean } };
}

export class FakeConnection {
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly frames: ClientFrame[] = [];
  private readonly frameWaiters: ((frame: ClientFrame) => void)[] = [];

  constructor(
    readonly socket: WebSocket,
    /** The bearer token of the upgrade. */
    readonly token: string | null,
  ) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
      });
    });
    socket.on('message', (data: Buffer) => {
      const frame = ClientFrame.parse(JSON.parse(data.toString('utf8')));
      const waiter = this.frameWaiters.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
  }

  hello(
    overrides: Partial<Extract<ServerFrame, { type: 'hello' }>> & { workspaceId: string; deviceId: string },
  ) {
    this.send({
      type: 'hello',
      protocol: SYNC_PROTOCOL_VERSION,
      heartbeatMs: 30_000,
      maxFrameBytes: 1024 * 1024,
      headSeq: 0,
      ...overrides,
    });
  }

  send(frame: ServerFrame | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }

  nextFrame(): Promise<ClientFrame> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    return new Promise((resolve) => this.frameWaiters.push(resolve));
  }
}

/**
 * For the client's unit tests only: a stand-in for the server's side of sync (the upgrade, frames,
 * token renewal), scripted by each test. The real server is tested end to end elsewhere.
 */
export class FakeSyncServer {
  readonly connections: FakeConnection[] = [];
  /** Upgrades to refuse, in order, before accepting again. */
  readonly refusals: Refusal[] = [];
  renewal: RenewalAccount | null = null;
  readonly renewals: string[] = [];
  private readonly connectionWaiters: ((connection: FakeConnection) => void)[] = [];
  private readonly unclaimed: FakeConnection[] = [];
  private readonly challenges = new Set<string>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => {
      const wanted = syncSubprotocol(SYNC_PROTOCOL_VERSION);
      return protocols.has(wanted) ? wanted : false;
    },
  });

  private constructor(private readonly server: Server) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void this.onRequest(req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.onUpgrade(req, socket, head);
    });
  }

  static async start(): Promise<FakeSyncServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeSyncServer(server);
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${String(port)}`;
  }

  /** The next accepted connection (or one already accepted and not yet taken). */
  nextConnection(): Promise<FakeConnection> {
    const connection = this.unclaimed.shift();
    if (connection) return Promise.resolve(connection);
    return new Promise((resolve) => this.connectionWaiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const refusal = this.refusals.shift();
    if (refusal) {
      const body = JSON.stringify(refusal.body);
      const headers = {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        Connection: 'close',
        ...refusal.headers,
      };
      socket.end(
        `HTTP/1.1 ${String(refusal.status)} Refused\r\n` +
          Object.entries(headers)
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('') +
          `\r\n${body}`,
      );
      return;
    }
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== SYNC_PATH) {
      socket.destroy();
      return;
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new FakeConnection(ws, token);
      this.connections.push(connection);
      const waiter = this.connectionWaiters.shift();
      if (waiter) waiter(connection);
      else this.unclaimed.push(connection);
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body: unknown = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const account = this.renewal;
    if (req.url === '/api/v1/devices/challenge' && account) {
      const challenge = randomBytes(16).toString('base64url');
      this.challenges.add(challenge);
      reply(200, { challenge, expiresAt: new Date(Date.now() + 60_000).toISOString() });
      return;
    }
    if (req.url === '/api/v1/devices/token' && account) {
      const parsed = RenewTokenBody.safeParse(body);
      const key = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: account.publicKey },
        format: 'jwk',
      });
      const valid =
        parsed.success &&
        parsed.data.deviceId === account.deviceId &&
        this.challenges.delete(parsed.data.challenge) &&
        verify(
          null,
          Buffer.from(renewalProofMessage(parsed.data.deviceId, parsed.data.challenge), 'utf8'),
          key,
          Buffer.from(parsed.data.signature, 'base64url'),
        );
      if (!valid) {
        reply(400, {
          error: { code: 'validation_failed', message: 'The proof does not match the public key' },
        });
        return;
      }
      if ('revoked' in account.next) {
        reply(401, { error: { code: 'device_revoked', message: 'revoked', details: account.next.revoked } });
        return;
      }
      this.renewals.push(account.next.accessToken);
      reply(200, account.next);
      return;
    }
    reply(404, { error: { code: 'not_found', message: 'not found' } });
  }
}
