import { BehaviorSubject, ReplaySubject, Subject } from 'rxjs';
import WebSocket from 'ws';
import {
  ClientFrame,
  issuesOf,
  SYNC_PATH,
  type DeviceRevokedDetails,
  type PushRow,
  type RejectedRow,
  type SyncCheckpoint,
  type SyncPullResult,
  type SyncPushResult,
  type SyncStatus,
  type SyncStreamItem,
} from '@enclave/shared';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import type { CredentialStore, DeviceCredential } from './credential';
import { networkError, SyncError, syncErrorOf } from './errors';
import { webSocketUrl, type FetchImpl } from './http';
import { PendingRequests } from './pending-requests';
import { chunkPushRows } from './push-chunks';
import {
  SyncConnection,
  type ConnectionEnd,
  type ConnectionResult,
  type HelloFrame,
  type SessionFrame,
} from './sync-connection';
import { renewAccessToken, renewalDueAt, revocationOf } from './token-renewal';

export type { SyncStatus, SyncStreamItem };
export type PullResult = SyncPullResult;
export type PushResult = SyncPushResult;

export interface SyncClientOptions {
  credential: DeviceCredential;
  /** Receives every renewed token. */
  store?: CredentialStore;
  WebSocketImpl?: typeof WebSocket;
  fetch?: FetchImpl;
  clock?: () => Date;
  random?: () => number;
  backoff?: Partial<BackoffOptions>;
  /** Renew this long before expiry instead of the default rule (see `renewalDueAt`). */
  renewBeforeMs?: number;
  /** How long a request waits for a connection, and then for its answer. */
  requestTimeoutMs?: number;
}

type ResponseFrame = Extract<SessionFrame, { type: 'pull.result' | 'push.result' | 'auth.result' }>;

interface OnlineWaiter {
  resolve(connection: SyncConnection): void;
  reject(error: SyncError): void;
  timer: NodeJS.Timeout;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** A renewal timer never fires sooner than this, so a token that is always "due" cannot spin. */
const MIN_RENEWAL_DELAY_MS = 1000;

/**
 * The device's end of the sync protocol: one WebSocket, kept open with reconnects and token
 * renewal, carrying RxDB's pull, push and live stream.
 */
export class SyncClient {
  readonly status$ = new BehaviorSubject<SyncStatus>('offline');
  /** Live changes (the device's own writes come back too) and 'RESYNC' after every reconnect. */
  readonly stream$ = new Subject<SyncStreamItem>();
  /** Emits once if the device is revoked; `wipe` asks for the local replica to be deleted. */
  readonly revoked$ = new ReplaySubject<DeviceRevokedDetails>(1);
  /** Rows the server refused in a push (their server state came back as conflicts). */
  readonly rejected$ = new Subject<RejectedRow>();
  /** The workspace's sequence when the server last said hello (null until it has). */
  headSeq: number | null = null;

  private current: DeviceCredential;
  private readonly store: CredentialStore | undefined;
  private readonly WebSocketImpl: typeof WebSocket;
  private readonly fetchImpl: FetchImpl | undefined;
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly renewBeforeMs: number | undefined;
  private readonly requestTimeoutMs: number;

  private running = false;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private connection: SyncConnection | null = null;
  private maxFrameBytes = Number.POSITIVE_INFINITY;
  private attempt = 0;
  private everOnline = false;
  private tokenRefused = false;
  private renewing: Promise<void> | null = null;
  private renewalTimer: NodeJS.Timeout | undefined;
  private renewalFailures = 0;
  private sleeping: { timer: NodeJS.Timeout; wake(): void } | null = null;
  private nextRequestId = 0;
  private readonly pending = new PendingRequests<ResponseFrame>();
  private readonly waiters = new Set<OnlineWaiter>();

  constructor(options: SyncClientOptions) {
    this.current = { ...options.credential };
    this.store = options.store;
    this.WebSocketImpl = options.WebSocketImpl ?? WebSocket;
    this.fetchImpl = options.fetch;
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.renewBeforeMs = options.renewBeforeMs;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The credential with the latest token (it holds secrets: never log it). */
  get credential(): Readonly<DeviceCredential> {
    return this.current;
  }

  get status(): SyncStatus {
    return this.status$.value;
  }

  /** Connects, and keeps reconnecting until `stop()` or a revocation or a required update. */
  start(): void {
    if (this.running || this.loop !== null || this.isFinal()) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /** Closes the connection and cancels every timer; requests still waiting are rejected. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    this.connection?.close();
    this.sleeping?.wake();
    clearTimeout(this.renewalTimer);
    await this.loop;
    this.loop = null;
    clearTimeout(this.renewalTimer);
    if (!this.isFinal()) this.setStatus('stopped');
    const error = this.refusal() ?? new SyncError('internal', 'Sync is stopped');
    this.rejectWaiters(error);
    this.pending.rejectAll(error);
  }

  /** Ends a backoff wait at once (e.g. the network is back); does nothing while connected. */
  reconnectNow(): void {
    this.attempt = 0;
    this.sleeping?.wake();
  }

  async pull(checkpoint: SyncCheckpoint | null, batchSize: number): Promise<PullResult> {
    const frame = await this.request((id) => ({ type: 'pull', id, checkpoint, batchSize }));
    if (frame.type !== 'pull.result') throw unexpectedAnswer();
    return { documents: frame.documents, checkpoint: frame.checkpoint };
  }

  /** Pushes in as many frames as the server's limits need; the results are merged. */
  async push(rows: readonly PushRow[]): Promise<PushResult> {
    const result: PushResult = { conflicts: [], rejected: [] };
    if (rows.length === 0) return result;
    // The frame size limit comes with the server's hello.
    await this.waitUntilOnline();
    for (const chunk of chunkPushRows(rows, this.maxFrameBytes)) {
      const frame = await this.request((id) => ({ type: 'push', id, rows: chunk }));
      if (frame.type !== 'push.result') throw unexpectedAnswer();
      result.conflicts.push(...frame.conflicts);
      result.rejected.push(...frame.rejected);
    }
    // Only once every chunk went through: on a failure RxDB pushes all rows again.
    for (const row of result.rejected) this.rejected$.next(row);
    return result;
  }

  private async run(): Promise<void> {
    let refusedInARow = 0;
    while (this.running) {
      this.setStatus('connecting');
      const { end, helloReceived } = await this.session();
      if (!this.running || end.kind === 'closed') return;
      if (end.kind === 'revoked') {
        this.finishForGood('revoked');
        this.revoked$.next({ wipe: end.wipe });
        return;
      }
      if (end.kind === 'update_required') {
        this.finishForGood('update_required');
        return;
      }
      this.setStatus('offline');
      if (end.kind !== 'unauthorized') refusedInARow = 0;
      else refusedInARow = helloReceived ? 1 : refusedInARow + 1;
      if (end.kind === 'unauthorized') this.tokenRefused = true;
      // A refused token is renewed and tried again at once; a second refusal in a row backs off.
      const delay =
        refusedInARow === 1
          ? 0
          : Math.max(
              backoffDelay(this.attempt++, this.backoff, this.random),
              retryAfterOf(end, this.backoff),
            );
      await this.sleep(delay);
    }
  }

  /** One connection, from renewing the token if needed to the close. */
  private async session(): Promise<ConnectionResult> {
    if (this.tokenRefused || this.now() >= this.renewalDue()) {
      try {
        await this.renew();
      } catch (error) {
        const revoked = error instanceof SyncError ? revocationOf(error) : null;
        const end: ConnectionEnd = revoked
          ? { kind: 'revoked', ...revoked }
          : { kind: 'retry', retryAfterMs: null };
        return { end, helloReceived: false };
      }
    }
    if (!this.running) return { end: { kind: 'closed' }, helloReceived: false };
    let connection: SyncConnection;
    try {
      connection = new SyncConnection({
        url: webSocketUrl(this.current.serverUrl, SYNC_PATH),
        token: this.current.accessToken,
        WebSocketImpl: this.WebSocketImpl,
        openTimeoutMs: this.requestTimeoutMs,
        expect: { workspaceId: this.current.workspaceId, deviceId: this.current.deviceId },
        onHello: (hello) => {
          this.onHello(hello);
        },
        onFrame: (frame) => {
          this.onFrame(frame);
        },
      });
    } catch {
      return { end: { kind: 'retry', retryAfterMs: null }, helloReceived: false };
    }
    this.connection = connection;
    const result = await connection.ended;
    this.connection = null;
    clearTimeout(this.renewalTimer);
    this.pending.rejectAll(networkError('The connection to the server was lost'));
    return result;
  }

  private onHello(hello: HelloFrame): void {
    const connection = this.connection;
    if (connection === null) return;
    this.attempt = 0;
    this.maxFrameBytes = hello.maxFrameBytes;
    this.headSeq = hello.headSeq;
    this.setStatus('online');
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(connection);
    }
    // Changes made while this device was away were not streamed to it.
    if (this.everOnline) this.stream$.next('RESYNC');
    this.everOnline = true;
    this.renewalFailures = 0;
    this.scheduleRenewal();
  }

  private onFrame(frame: SessionFrame): void {
    switch (frame.type) {
      case 'pull.result':
      case 'push.result':
      case 'auth.result':
        this.pending.resolve(frame.id, frame);
        return;
      case 'error':
        if (frame.id !== null) {
          this.pending.reject(frame.id, syncErrorOf(frame.error));
        }
        return;
      case 'stream':
        this.stream$.next({ documents: frame.documents, checkpoint: frame.checkpoint });
        return;
      case 'resync':
        this.stream$.next('RESYNC');
        return;
    }
  }

  private async request(build: (id: string) => ClientFrame): Promise<ResponseFrame> {
    const frame = build(String(++this.nextRequestId));
    const checked = ClientFrame.safeParse(frame);
    if (!checked.success) {
      throw new SyncError('validation_failed', 'The request is not valid', {
        details: issuesOf(checked.error),
      });
    }
    const connection = await this.waitUntilOnline();
    const answer = this.pending.add(frame.id, this.requestTimeoutMs);
    try {
      connection.send(frame);
    } catch (error) {
      this.pending.reject(
        frame.id,
        error instanceof SyncError ? error : networkError('Sending failed', error),
      );
    }
    return answer;
  }

  private waitUntilOnline(): Promise<SyncConnection> {
    const connection = this.connection;
    if (connection?.ready) return Promise.resolve(connection);
    const refusal =
      this.refusal() ?? (this.status === 'stopped' ? new SyncError('internal', 'Sync is stopped') : null);
    if (refusal) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      const waiter: OnlineWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(networkError('Not connected to the server'));
        }, this.requestTimeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private rejectWaiters(error: SyncError): void {
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  private renew(): Promise<void> {
    this.renewing ??= this.renewNow().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async renewNow(): Promise<void> {
    const token = await renewAccessToken(this.current, {
      fetch: this.fetchImpl,
      signal: this.abort?.signal,
    });
    this.current = { ...this.current, accessToken: token.accessToken, accessTokenExpiresAt: token.expiresAt };
    this.tokenRefused = false;
    try {
      await this.store?.save(this.current);
    } catch {
      // The token in memory works; the next start renews from the device key if the stored one is stale.
    }
  }

  private scheduleRenewal(delayMs?: number): void {
    clearTimeout(this.renewalTimer);
    if (!this.running) return;
    const delay = delayMs ?? Math.max(this.renewalDue() - this.now(), MIN_RENEWAL_DELAY_MS);
    this.renewalTimer = setTimeout(() => void this.renewLive(), delay);
  }

  /** Renews while connected and hands the new token to the live connection. */
  private async renewLive(): Promise<void> {
    const connection = this.connection;
    if (!connection?.ready) return;
    try {
      await this.renew();
    } catch (error) {
      const revoked = error instanceof SyncError ? revocationOf(error) : null;
      if (revoked) connection.close({ kind: 'revoked', ...revoked });
      else if (this.connection === connection) {
        this.scheduleRenewal(backoffDelay(this.renewalFailures++, this.backoff, this.random));
      }
      return;
    }
    this.renewalFailures = 0;
    if (this.connection !== connection) return;
    try {
      await this.request((id) => ({ type: 'auth', id, token: this.current.accessToken }));
    } catch {
      // If the connection's token then runs out, the server closes it and the reconnect uses the new one.
    }
    if (this.connection === connection) this.scheduleRenewal();
  }

  private renewalDue(): number {
    return renewalDueAt(this.current.accessToken, this.current.accessTokenExpiresAt, this.renewBeforeMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping = { timer, wake };
    });
  }

  private finishForGood(status: 'revoked' | 'update_required'): void {
    this.running = false;
    clearTimeout(this.renewalTimer);
    this.setStatus(status);
    const error = this.refusal();
    if (error) {
      this.rejectWaiters(error);
      this.pending.rejectAll(error);
    }
  }

  /** Why this client refuses every request for good (revoked, an update required); null while it syncs. */
  refusal(): SyncError | null {
    if (this.status === 'revoked') return new SyncError('device_revoked', 'This device was revoked');
    if (this.status === 'update_required') {
      return new SyncError('update_required', 'This app must be updated to sync with the server');
    }
    return null;
  }

  private isFinal(): boolean {
    return this.status === 'revoked' || this.status === 'update_required';
  }

  private setStatus(status: SyncStatus): void {
    if (this.status$.value !== status) this.status$.next(status);
  }

  private now(): number {
    return this.clock().getTime();
  }
}

function retryAfterOf(end: ConnectionEnd, backoff: BackoffOptions): number {
  return end.kind === 'retry' && end.retryAfterMs !== null ? Math.min(end.retryAfterMs, backoff.maxMs) : 0;
}

const unexpectedAnswer = (): SyncError =>
  new SyncError('internal', 'The server answered a request with the wrong kind of frame');
