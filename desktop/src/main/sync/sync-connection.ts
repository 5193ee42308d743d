import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { z } from 'zod';
import {
  SYNC_PROTOCOL_VERSION,
  SyncCloseCode,
  SyncCloseReason,
  syncSubprotocol,
  ServerFrame,
  type ClientFrame,
} from '@enclave/shared';
import { networkError, syncErrorOf } from './errors';
import { errorFromAnswer } from './http';
import { revocationOf } from './token-renewal';

export type HelloFrame = Extract<ServerFrame, { type: 'hello' }>;
export type SessionFrame = Exclude<ServerFrame, HelloFrame>;

/**
 * `ServerFrame` compiled ahead of time, for `z.validate`: the same checks, without building a
 * copy of the frame. A pull result carries thousands of documents, and copying each one cost more
 * than checking it.
 */
const CompiledServerFrame = z.compile(ServerFrame);

function serverFrameOf(value: unknown): ServerFrame | null {
  return z.validate(CompiledServerFrame, value) ? value : null;
}

/** How a connection ended, which decides what the client does next. */
export type ConnectionEnd =
  | { kind: 'revoked'; wipe: boolean }
  | { kind: 'update_required' }
  /** The token was refused or expired: renew it, then connect again. */
  | { kind: 'unauthorized' }
  | { kind: 'retry'; retryAfterMs: number | null }
  /** Closed by this side. */
  | { kind: 'closed' };

export interface ConnectionResult {
  end: ConnectionEnd;
  helloReceived: boolean;
}

export interface SyncConnectionOptions {
  url: string;
  token: string;
  WebSocketImpl: typeof WebSocket;
  /** How long the upgrade and the `hello` may take. */
  openTimeoutMs: number;
  expect: { workspaceId: string; deviceId: string };
  onHello(hello: HelloFrame): void;
  onFrame(frame: SessionFrame): void;
}

/** The server pings every heartbeat; this many heartbeats of silence means the link is dead. */
const DEAD_AFTER_HEARTBEATS = 2.5;
/** A close handshake the server does not finish is cut short after this long. */
const CLOSE_GRACE_MS = 1000;
const MAX_REFUSAL_BODY_BYTES = 16 * 1024;

/** One WebSocket to the sync endpoint, from the upgrade to the close. */
export class SyncConnection {
  readonly ended: Promise<ConnectionResult>;
  private readonly socket: WebSocket;
  private decided: ConnectionEnd | null = null;
  private helloReceived = false;
  private silenceLimitMs: number;
  private watchdog: NodeJS.Timeout | undefined;
  private closeGrace: NodeJS.Timeout | undefined;

  constructor(private readonly options: SyncConnectionOptions) {
    this.silenceLimitMs = options.openTimeoutMs;
    this.socket = new options.WebSocketImpl(options.url, syncSubprotocol(SYNC_PROTOCOL_VERSION), {
      headers: { Authorization: `Bearer ${options.token}` },
      handshakeTimeout: options.openTimeoutMs,
    });
    this.ended = new Promise((resolve) => {
      this.socket.on('close', (code: number, reason: Buffer) => {
        clearTimeout(this.watchdog);
        clearTimeout(this.closeGrace);
        resolve({ end: this.decided ?? endOfClose(code, reason), helloReceived: this.helloReceived });
      });
    });
    // Every failure also ends in 'close', which is where the outcome is read.
    this.socket.on('error', () => undefined);
    this.socket.on('unexpected-response', (_request, response) => {
      void readBody(response).then((text) => {
        this.decide(endOfRefusal(response, text));
        this.socket.terminate();
      });
    });
    this.socket.on('message', (data, isBinary) => {
      this.onMessage(data, isBinary);
    });
    this.socket.on('ping', () => {
      this.armWatchdog();
    });
    this.armWatchdog();
  }

  /** True once the server said hello and until the connection starts to close. */
  get ready(): boolean {
    return this.helloReceived && this.decided === null && this.socket.readyState === this.socket.OPEN;
  }

  send(frame: ClientFrame): void {
    if (!this.ready) throw networkError('Not connected to the server');
    this.socket.send(JSON.stringify(frame));
  }

  close(end: ConnectionEnd = { kind: 'closed' }): void {
    this.finish(end, 1000);
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.decided !== null) return;
    this.armWatchdog();
    const frame = isBinary ? null : serverFrameOf(parseJson(textOf(data)));
    if (frame === null) {
      this.protocolError();
      return;
    }
    if (frame.type === 'hello') {
      this.onHello(frame);
      return;
    }
    if (!this.helloReceived) {
      this.protocolError();
      return;
    }
    if (frame.type === 'error' && frame.id === null) {
      // The server says why before it closes; the close code alone would lose `wipe` if the reason were cut.
      const error = syncErrorOf(frame.error);
      const revoked = revocationOf(error);
      if (revoked) this.finish({ kind: 'revoked', ...revoked }, 1000);
      else if (error.code === 'update_required') this.finish({ kind: 'update_required' }, 1000);
      return;
    }
    this.options.onFrame(frame);
  }

  private onHello(hello: HelloFrame): void {
    const { expect } = this.options;
    if (
      this.helloReceived ||
      hello.protocol !== SYNC_PROTOCOL_VERSION ||
      hello.workspaceId !== expect.workspaceId ||
      hello.deviceId !== expect.deviceId
    ) {
      this.protocolError();
      return;
    }
    this.helloReceived = true;
    this.silenceLimitMs = hello.heartbeatMs * DEAD_AFTER_HEARTBEATS;
    this.armWatchdog();
    this.options.onHello(hello);
  }

  private protocolError(): void {
    this.finish(
      { kind: 'retry', retryAfterMs: null },
      SyncCloseCode.protocolError,
      JSON.stringify({ code: 'bad_request' }),
    );
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    if (this.decided !== null) return;
    this.watchdog = setTimeout(() => {
      this.decide({ kind: 'retry', retryAfterMs: null });
      this.socket.terminate();
    }, this.silenceLimitMs);
  }

  private decide(end: ConnectionEnd): void {
    this.decided ??= end;
  }

  private finish(end: ConnectionEnd, code: number, reason?: string): void {
    this.decide(end);
    clearTimeout(this.watchdog);
    if (this.socket.readyState !== this.socket.OPEN) {
      this.socket.terminate();
      return;
    }
    this.socket.close(code, reason);
    this.closeGrace ??= setTimeout(() => {
      this.socket.terminate();
    }, CLOSE_GRACE_MS);
  }
}

function endOfRefusal(response: IncomingMessage, text: string): ConnectionEnd {
  const error = errorFromAnswer(response.statusCode ?? 0, text);
  const revoked = revocationOf(error);
  if (revoked) return { kind: 'revoked', ...revoked };
  if (error.code === 'update_required') return { kind: 'update_required' };
  if (error.code === 'unauthorized') return { kind: 'unauthorized' };
  return { kind: 'retry', retryAfterMs: retryAfterOf(response.headers['retry-after']) };
}

function endOfClose(code: number, reason: Buffer): ConnectionEnd {
  if (code === SyncCloseCode.deviceRevoked) {
    const parsed = SyncCloseReason.safeParse(parseJson(reason.toString('utf8')));
    return { kind: 'revoked', wipe: parsed.success && parsed.data.wipe === true };
  }
  if (code === SyncCloseCode.tokenExpired) return { kind: 'unauthorized' };
  return { kind: 'retry', retryAfterMs: null };
}

function retryAfterOf(header: string | undefined): number | null {
  if (header === undefined || !/^\d+$/.test(header.trim())) return null;
  return Number(header) * 1000;
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    response.on('data', (chunk: Buffer) => {
      if (size >= MAX_REFUSAL_BODY_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    response.on('end', done);
    response.on('close', done);
    response.on('error', done);
  });
}

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
