import { randomUUID } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import {
  ClientFrame,
  issuesOf,
  SyncCloseCode,
  SYNC_PROTOCOL_VERSION,
  type ErrorBody,
  type ServerFrame,
  type SyncCloseReason,
  type WorkspaceRecord,
} from '@enclave/shared';
import type { SyncLimits } from '../config';
import type { DevicePresence } from '../devices/device-presence';
import type { AuthenticatedDevice, DevicesService } from '../devices/devices.service';
import { InvalidDeviceToken } from '../devices/device-tokens';
import type { RequestMeta } from '../engine/context';
import type { CommandEngine } from '../engine/engine';
import { AppError } from '../engine/errors';
import { JsonInputError, parseJson } from '../json/parse-json';
import type { Logger } from '../logger';
import { canRecord, type Permissions } from '../policy/policy';
import { pullPage } from './sync-pull';
import { applyPush } from './sync-push';
import { toSyncDocument } from './sync-documents';

export interface ConnectionDeps {
  engine: CommandEngine;
  devices: DevicesService;
  logger: Logger;
  limits: SyncLimits;
  presence: DevicePresence;
}

/** Largest pull page in bytes; well under any client's frame limit. */
const PULL_PAGE_BYTES = 8 * 1024 * 1024;
/** Frames queued unprocessed before the socket stops reading (TCP then slows the client down). */
const QUEUE_PAUSE_AT = 32;

type ErrorShape = ErrorBody['error'];

/** The first bytes of a frame as text, without decoding the rest of it. */
function headOf(data: RawData, bytes: number): string {
  const first = Array.isArray(data) ? data[0] : data;
  if (first === undefined) return '';
  return Buffer.from(first instanceof ArrayBuffer ? new Uint8Array(first) : first)
    .subarray(0, bytes)
    .toString('utf8');
}

/** A frame's request id when it is plain to see in its first bytes, for frames that are never parsed. */
function plainId(data: RawData): string | null {
  return /"id"\s*:\s*"([A-Za-z0-9._:/-]{1,64})"/.exec(headOf(data, 256))?.[1] ?? null;
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function errorShape(error: unknown): ErrorShape {
  if (error instanceof AppError) {
    const shape: ErrorShape = { code: error.code, message: error.message };
    if (error.details !== undefined) shape.details = error.details;
    return shape;
  }
  return { code: 'internal', message: 'Something went wrong on the server' };
}

/**
 * One device's live sync connection. Frames are handled one at a time in arrival order; a bad
 * frame gets an error frame and changes nothing, and the connection carries on.
 */
export class SyncConnection {
  readonly id = randomUUID();
  readonly deviceId: string;
  readonly workspaceId: string;
  alive = true;
  /** Live events were dropped because the client is not reading: it must pull again once it is. */
  behind = false;
  private closed = false;
  private revoked = false;
  private perms: Permissions;
  private readonly queue: RawData[] = [];
  private draining = false;
  private tokens: number;
  private lastRefill = Date.now();
  private expiryTimer: NodeJS.Timeout | undefined;
  /**
   * How far the device has synced, in workspace sequence numbers, from three parts: what its pulls
   * cover without a gap (the checkpoint it pulls from, the page's, or the head when a page reached
   * the end of the records); the live stream, which carries every change after `streamIntactFrom`
   * (the head at hello, or the last change dropped for a client that did not read); and the last
   * change the stream was handed. Once the pulls reach the stream's start, the device has both.
   */
  private pulledThrough: number | null = null;
  private streamIntactFrom = 0;
  private publishedThrough = 0;
  private syncedSeq: number | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly auth: AuthenticatedDevice,
    perms: Permissions,
    private readonly meta: RequestMeta,
    private readonly deps: ConnectionDeps,
    private readonly onClose: (connection: SyncConnection) => void,
  ) {
    this.deviceId = auth.device.id;
    this.workspaceId = auth.ws.workspaceId;
    this.perms = perms;
    this.tokens = deps.limits.framesPerSecond * 2;
  }

  start(headSeq: number): void {
    this.socket.on('message', (data) => this.enqueue(data));
    this.socket.on('pong', () => {
      this.alive = true;
    });
    this.socket.on('close', () => this.dispose());
    this.socket.on('error', (err) => {
      this.deps.logger.debug({ err, deviceId: this.deviceId }, 'sync socket error');
    });
    this.armExpiry(this.auth.token.expiresAt);
    this.streamIntactFrom = headSeq;
    this.publishedThrough = headSeq;
    this.send({
      type: 'hello',
      protocol: SYNC_PROTOCOL_VERSION,
      workspaceId: this.workspaceId,
      deviceId: this.deviceId,
      heartbeatMs: this.deps.limits.heartbeatMs,
      maxFrameBytes: this.deps.limits.maxFrameBytes,
      headSeq,
    });
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  setPermissions(perms: Permissions): void {
    this.perms = perms;
  }

  ping(): void {
    if (!this.alive) {
      // No pong since the last ping: the peer is gone (or hopelessly stuck); free its resources.
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  /**
   * Sends the records of a committed change that this device may read. A change it may read none
   * of has reached it too, as far as syncing goes: there was nothing to send.
   */
  publish(records: readonly WorkspaceRecord[], seq: number): void {
    if (this.closed || this.revoked) return;
    const documents = records.filter((r) => canRecord(this.perms, 'read', r.type)).map(toSyncDocument);
    if (documents.length > 0) {
      if (this.behind || this.socket.bufferedAmount > this.deps.limits.maxBufferedBytes) {
        // A client that does not read must not grow our memory: drop, and have it pull later.
        this.behind = true;
        this.streamIntactFrom = Math.max(this.streamIntactFrom, seq);
        return;
      }
      this.send({ type: 'stream', documents, checkpoint: { seq } });
    }
    this.publishedThrough = Math.max(this.publishedThrough, seq);
    this.reportSynced();
  }

  /** Tells the presence how far the device is now; it may also go back (a replica reset pulls from 0). */
  private reportSynced(): void {
    if (this.pulledThrough === null) return;
    const seq =
      this.pulledThrough >= this.streamIntactFrom
        ? Math.max(this.pulledThrough, this.publishedThrough)
        : this.pulledThrough;
    if (seq === this.syncedSeq) return;
    this.syncedSeq = seq;
    this.deps.presence.progress(this.workspaceId, this.deviceId, seq);
  }

  /** Called periodically: a client that fell behind and has caught up is told to pull again. */
  catchUp(): void {
    if (this.behind && this.socket.bufferedAmount < this.deps.limits.maxBufferedBytes / 4) {
      this.behind = false;
      this.send({ type: 'resync' });
    }
  }

  /** Ends the connection because the device was revoked; the app learns whether to wipe. */
  revoke(wipe: boolean): void {
    if (this.revoked) return;
    this.revoked = true;
    this.send({
      type: 'error',
      id: null,
      error: {
        code: 'device_revoked',
        message: 'This device was removed from the workspace',
        details: { wipe },
      },
    });
    this.close(SyncCloseCode.deviceRevoked, { code: 'device_revoked', wipe });
  }

  close(code: number, reason: SyncCloseReason): void {
    if (this.closed) return;
    this.socket.close(code, JSON.stringify(reason));
    // A client that does not answer the close handshake is cut off rather than waited for.
    setTimeout(() => this.socket.terminate(), 1000).unref();
    this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    this.queue.length = 0;
    this.onClose(this);
  }

  private armExpiry(expiresAt: number): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => this.close(SyncCloseCode.tokenExpired, { code: 'unauthorized' }),
      Math.max(0, expiresAt - Date.now()),
    );
    this.expiryTimer.unref();
  }

  private enqueue(data: RawData): void {
    if (this.closed) return;
    if (!this.takeToken()) {
      // Refused unparsed (parsing is the work being limited), but answered under the request's
      // id when it is plain to see, so the client's request fails now rather than at its timeout.
      this.send({
        type: 'error',
        id: plainId(data),
        error: { code: 'rate_limited', message: 'Too many frames; slow down' },
      });
      return;
    }
    this.queue.push(data);
    if (this.queue.length >= QUEUE_PAUSE_AT) this.socket.pause();
    if (!this.draining) void this.drain();
  }

  private takeToken(): boolean {
    const now = Date.now();
    const { framesPerSecond } = this.deps.limits;
    this.tokens = Math.min(
      framesPerSecond * 2,
      this.tokens + ((now - this.lastRefill) / 1000) * framesPerSecond,
    );
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (!this.closed) {
        const next = this.queue.shift();
        if (next === undefined) break;
        // Answers wait while the client is not reading them.
        while (!this.closed && this.socket.bufferedAmount > this.deps.limits.maxBufferedBytes) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await this.handle(next);
        if (this.queue.length < QUEUE_PAUSE_AT / 4) this.socket.resume();
      }
    } finally {
      this.draining = false;
    }
  }

  private async handle(data: RawData): Promise<void> {
    let raw: unknown;
    try {
      raw = parseJson(textOf(data));
    } catch (error) {
      const message =
        error instanceof JsonInputError && error.reason !== 'syntax'
          ? `The frame is not accepted: ${error.message}`
          : 'A frame must be JSON';
      this.send({ type: 'error', id: plainId(data), error: { code: 'bad_request', message } });
      return;
    }
    const parsed = ClientFrame.safeParse(raw);
    if (!parsed.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      this.send({
        type: 'error',
        id: typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null,
        error: {
          code: 'validation_failed',
          message: 'The frame is not valid',
          details: issuesOf(parsed.error),
        },
      });
      return;
    }
    const frame = parsed.data;
    try {
      if (this.revoked) throw new AppError('device_revoked', 'This device was removed from the workspace');
      switch (frame.type) {
        case 'pull': {
          // The checkpoint the device pulls from is what it says it has.
          this.pulledThrough = frame.checkpoint?.seq ?? 0;
          this.reportSynced();
          // Read first: a page that reaches the end of the records then covers everything up to it.
          const { seq: headBefore } = await this.auth.ws.head();
          const page = await pullPage(
            this.auth.ws,
            this.perms,
            frame.checkpoint,
            frame.batchSize,
            PULL_PAGE_BYTES,
          );
          this.sendRaw(
            `{"type":"pull.result","id":${JSON.stringify(frame.id)},"documents":[${page.documents.join(',')}],"checkpoint":${JSON.stringify(page.checkpoint)}}`,
          );
          const reached = Math.max(page.checkpoint?.seq ?? 0, page.complete ? headBefore : 0);
          this.pulledThrough = Math.max(this.pulledThrough, reached);
          this.reportSynced();
          break;
        }
        case 'push': {
          const ctx = this.auth.ctx({ ...this.meta, requestId: `${this.id.slice(0, 8)}/${frame.id}` });
          const outcome = await applyPush(this.deps.engine, this.auth.ws, ctx, frame.rows, () =>
            this.deps.devices.standingOf(this.auth.ws, this.deviceId),
          );
          this.send({ type: 'push.result', id: frame.id, ...outcome });
          break;
        }
        case 'auth': {
          const verified = await this.deps.devices.tokens.verify(frame.token).catch((error: unknown) => {
            if (error instanceof InvalidDeviceToken)
              throw new AppError('unauthorized', 'The token is not valid');
            throw error;
          });
          if (verified.deviceId !== this.deviceId || verified.workspaceId !== this.workspaceId) {
            throw new AppError('unauthorized', 'The token is for another device');
          }
          this.armExpiry(verified.expiresAt);
          this.send({
            type: 'auth.result',
            id: frame.id,
            expiresAt: new Date(verified.expiresAt).toISOString(),
          });
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof AppError))
        this.deps.logger.error({ err: error, deviceId: this.deviceId }, 'sync frame failed');
      this.send({ type: 'error', id: frame.id, error: errorShape(error) });
    }
  }

  private send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  private sendRaw(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(text);
  }
}
