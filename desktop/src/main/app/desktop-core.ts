import { Subject, type Subscription } from 'rxjs';
import type WebSocket from 'ws';
import type {
  AppState,
  DevicePlatform,
  IpcEvent,
  IpcEventChannel,
  PairingLink,
  PairRequest,
  ReplicaFillOutcome,
  SyncStatusEvent,
} from '@enclave/shared';
import { DeviceKeychain, KeychainUnavailableError, type SecretStore } from '../keychain';
import type { IpcHandlers } from '../ipc/ipc-dispatch';
import type { DeviceCredential } from '../sync/credential';
import {
  approveProposal,
  fetchDeviceActivity,
  fetchDeviceSelf,
  fetchProposals,
  rejectProposal,
  requestAi,
  unpairDevice,
} from '../sync/device-api';
import { SyncError } from '../sync/errors';
import { fillFromServer } from '../sync/initial-fill';
import type { FetchImpl } from '../sync/http';
import { pairDevice } from '../sync/pairing';
import { SyncClient, type SyncClientOptions } from '../sync/sync-client';
import { renewAccessToken, revocationOf } from '../sync/token-renewal';
import {
  deliverWipeReceipt,
  WipeReceiptSigner,
  type PendingWipeReceipt,
  type WipeReceiptDelivery,
} from '../sync/wipe-receipt';
import { AppError } from './app-error';
import { parsePairingLink } from './pairing-link';
import { pairingErrorOf } from './pairing-errors';
import { ReplicaHost } from './replica-host';
import { EMPTY_STATE, newReplicaName, StateFile } from './state-file';

export type CoreEvent = { [E in IpcEventChannel]: { channel: E; payload: IpcEvent<E> } }[IpcEventChannel];

/** Where the core reports what it does; nothing passed to it is secret. */
export interface CoreLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface DesktopCoreOptions {
  /** The app's own folder (Electron's userData): the state file and the replica live here. */
  dataDir: string;
  /** The OS keychain in the app (keytar). */
  secrets: SecretStore;
  appVersion: string;
  platform: DevicePlatform;
  fetch?: FetchImpl;
  WebSocketImpl?: typeof WebSocket;
  sync?: Pick<SyncClientOptions, 'backoff' | 'requestTimeoutMs' | 'renewBeforeMs'>;
  replicaCacheKiB?: number;
  /** How hard to try to tell the server about a remote wipe (defaults: a few tries over half a minute). */
  wipeReceipt?: WipeReceiptDelivery;
  log?: CoreLog;
}

const silent: CoreLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The desktop app's main process without Electron: it decides what state the app is in, pairs,
 * keeps the replica and the sync connection, and wipes when told to. The Electron shell and the
 * browser harness both drive this same object through the IPC table.
 */
export class DesktopCore {
  /** Everything main tells the renderer. */
  readonly events = new Subject<CoreEvent>();
  readonly replica: ReplicaHost;
  readonly handlers: IpcHandlers;

  private readonly keychain: DeviceKeychain;
  private readonly stateFile: StateFile;
  private readonly log: CoreLog;
  private current: AppState = { kind: 'starting' };
  private sync: SyncClient | null = null;
  private filling: Promise<ReplicaFillOutcome> | null = null;
  private subscriptions: Subscription[] = [];
  private pendingLink: PairingLink | null = null;
  /** One state change at a time: pairing, wiping and resets never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Wipe receipts on their way to the server; `stop()` cancels them (they stay pending in the state file). */
  private readonly receiptDeliveries = new Set<AbortController>();

  constructor(private readonly options: DesktopCoreOptions) {
    this.keychain = new DeviceKeychain(options.secrets);
    this.stateFile = new StateFile(options.dataDir);
    this.replica = new ReplicaHost(options.dataDir, options.replicaCacheKiB);
    this.log = options.log ?? silent;
    this.handlers = {
      'app:state': async () => this.current,
      'app:info': async () => ({ version: options.appVersion, platform: options.platform }),
      'pairing:pair': (request) => this.serialised(() => this.pair(request)),
      'sync:pull': (request) => this.requireSync().pull(request.checkpoint, request.batchSize),
      'sync:push': (request) => this.requireSync().push(request.rows),
      'sync:status': async () => this.syncStatus(),
      'device:self': () => this.withToken((credential) => fetchDeviceSelf(credential, this.http())),
      'activity:list': (request) =>
        this.withToken((credential) => fetchDeviceActivity(credential, request, this.http())),
      'ai:request': (request) => this.withToken((credential) => requestAi(credential, request, this.http())),
      'ai:proposals': (request) =>
        this.withToken((credential) => fetchProposals(credential, request, this.http())),
      'ai:approve': ({ proposalId, operation }) =>
        this.withToken((credential) => approveProposal(credential, proposalId, operation, this.http())),
      'ai:reject': ({ proposalId, ...body }) =>
        this.withToken((credential) => rejectProposal(credential, proposalId, body, this.http())),
      'device:unpair': (request) => this.serialised(() => this.unpair(request.evenIfOffline)),
      'replica:reset': () => this.serialised(() => this.reset()),
      'replica:fill': () => this.fillReplica(),
    };
  }

  get state(): AppState {
    return this.current;
  }

  /** The device credential of the running sync (secrets: for tests and main only, never the renderer). */
  get credential(): Readonly<DeviceCredential> | null {
    return this.sync?.credential ?? null;
  }

  /** Opens the keychain and the replica and, if paired, starts syncing. */
  start(): Promise<void> {
    return this.serialised(() => this.boot());
  }

  /** Stops syncing and closes the replica; the app can be started again. */
  async stop(): Promise<void> {
    for (const delivery of this.receiptDeliveries) delivery.abort();
    await this.serialised(async () => {
      await this.stopSync();
      await this.replica.close();
    });
  }

  /** A pairing link the app was opened with: offered to the user on the pairing screen. */
  openLink(raw: string): boolean {
    const link = parsePairingLink(raw);
    if (link === null) {
      this.log.warn('ignored a link that is not a pairing link');
      return false;
    }
    this.pendingLink = link;
    if (this.current.kind === 'unpaired') this.setState({ kind: 'unpaired', link });
    else
      this.log.info('a pairing link arrived while the app is not waiting to pair', {
        state: this.current.kind,
      });
    return true;
  }

  /** Try to reconnect now (e.g. the OS says the network is back), instead of waiting out a backoff. */
  reconnectNow(): void {
    this.sync?.reconnectNow();
  }

  private async boot(): Promise<void> {
    try {
      await this.keychain.probe();
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error;
      this.log.warn('the keychain is unavailable');
      this.setState({ kind: 'keychain_unavailable', message: error.message });
      return;
    }
    const saved = this.stateFile.read();
    if (saved.revoked !== null) {
      this.setState({ kind: 'revoked', wiped: saved.revoked.wiped });
      // The server did not hear of the wipe while this app last ran (it was offline): tell it now.
      if (saved.revoked.receipt !== null) this.deliverReceipt(saved.revoked.receipt);
      return;
    }
    const credential = await this.keychain.credentials.load();
    const name = saved.replicaName;
    const replicaExists = name !== null && this.replica.exists(name);
    if (credential === null) {
      if (replicaExists) {
        this.setState({ kind: 'replica_unreadable', reason: 'credential_missing', canResync: false });
        return;
      }
      // Nothing to read and nothing to sync: whatever else the keychain holds of ours is stale.
      await this.keychain.wipe();
      this.stateFile.clear();
      this.setUnpaired();
      return;
    }
    let key = await this.keychain.loadReplicaKey();
    if (replicaExists) {
      if (key === null) {
        this.setState({ kind: 'replica_unreadable', reason: 'replica_key_missing', canResync: true });
        return;
      }
      if (this.replica.probe(name, key) === 'wrong_key') {
        this.setState({ kind: 'replica_unreadable', reason: 'replica_key_wrong', canResync: true });
        return;
      }
      this.openPaired(credential, name, key);
      return;
    }
    // Paired, with no replica file yet: the first start after pairing, or the file was removed.
    // A fresh replica fills from the server.
    key ??= await this.keychain.createReplicaKey();
    const fresh = name ?? newReplicaName();
    this.stateFile.write({ ...EMPTY_STATE, replicaName: fresh });
    this.openPaired(credential, fresh, key);
  }

  private async pair(request: PairRequest) {
    if (this.current.kind === 'keychain_unavailable') {
      throw new AppError('keychain_unavailable', this.current.message);
    }
    if (this.current.kind !== 'unpaired') {
      throw new AppError('conflict', 'This app is already paired with a workspace. Sign out first.');
    }
    // The keychain is checked before the code is spent: without it there is nowhere safe for the key.
    await this.keychain.probe();
    let credential: DeviceCredential;
    try {
      credential = await pairDevice({
        serverUrl: request.serverUrl,
        code: request.code,
        name: request.deviceName,
        platform: this.options.platform,
        appVersion: this.options.appVersion,
        fetch: this.options.fetch,
      });
    } catch (error) {
      throw pairingErrorOf(error);
    }
    let key: Buffer;
    try {
      await this.keychain.credentials.save(credential);
      key = await this.keychain.createReplicaKey();
    } catch (error) {
      // Paired on the server with a key we could not keep: undo both sides rather than strand it.
      await unpairDevice(credential, this.http()).catch(() => undefined);
      await this.keychain.wipe().catch(() => undefined);
      throw error;
    }
    const name = newReplicaName();
    this.stateFile.write({ ...EMPTY_STATE, replicaName: name });
    this.pendingLink = null;
    this.log.info('paired', { workspaceId: credential.workspaceId, deviceId: credential.deviceId });
    this.openPaired(credential, name, key);
    return this.current;
  }

  private openPaired(credential: DeviceCredential, name: string, key: Buffer): void {
    this.replica.open(name, key);
    this.startSync(credential);
    this.setState({
      kind: 'paired',
      serverUrl: credential.serverUrl,
      workspace: { id: credential.workspaceId, name: credential.workspaceName },
      deviceId: credential.deviceId,
      replicaName: name,
    });
  }

  private startSync(credential: DeviceCredential): void {
    const sync = new SyncClient({
      credential,
      store: this.keychain.credentials,
      WebSocketImpl: this.options.WebSocketImpl,
      fetch: this.options.fetch,
      ...this.options.sync,
    });
    this.sync = sync;
    this.subscriptions = [
      sync.status$.subscribe((status) => {
        this.emit('sync:status', { status, headSeq: sync.headSeq });
      }),
      sync.stream$.subscribe((item) => this.emit('sync:stream', item)),
      sync.rejected$.subscribe((row) => this.emit('sync:rejected', row)),
      sync.revoked$.subscribe(({ wipe }) => {
        void this.serialised(() => this.onRevoked(sync, wipe)).catch((error: unknown) => {
          this.log.error('handling a revocation failed', { error: describe(error) });
        });
      }),
    ];
    sync.start();
  }

  /**
   * The first fill of the open replica, straight from the server (one at a time: a second call
   * while one runs waits for the same one). The renderer opens its RxDB database once this answers.
   */
  private fillReplica(): Promise<ReplicaFillOutcome> {
    this.filling ??= this.runFill().finally(() => {
      this.filling = null;
    });
    return this.filling;
  }

  private async runFill(): Promise<ReplicaFillOutcome> {
    const sync = this.requireSync();
    const fill = await this.replica.openRecordsFill(sync.credential.workspaceId);
    try {
      const outcome = await fillFromServer({
        pull: (checkpoint, batchSize) => sync.pull(checkpoint, batchSize),
        fill,
        onProgress: (progress) => this.emit('replica:fillProgress', progress),
      });
      if (outcome.filled)
        this.log.info('filled the replica from the server', { documents: outcome.documents });
      return outcome;
    } catch (error) {
      // A revocation closes the replica under the fill, which may then fail on the closed file
      // before it hears of the revocation itself: the reason it ends is the revocation's.
      throw sync.refusal() ?? error;
    } finally {
      await fill.close();
    }
  }

  private async stopSync(): Promise<void> {
    const sync = this.sync;
    this.sync = null;
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    await sync?.stop();
  }

  /**
   * The server removed this device: stop, and with `wipe` delete the replica and our keychain
   * entries first, then send the server a receipt signed with the device key. Every way a
   * revocation is learnt (sync close, token renewal, a device request, at start-up through the
   * first connection) ends here.
   */
  private async onRevoked(sync: SyncClient, wipe: boolean): Promise<void> {
    if (this.sync !== sync) return;
    this.log.warn('this device was revoked', { wipe });
    // The key is read before the wipe deletes it and used only once the wipe is done: a receipt
    // must never claim a wipe that did not happen, so a failed wipe leaves nothing signed.
    const signer = wipe ? await this.receiptSigner(sync) : null;
    try {
      await this.stopSync();
      const saved = this.stateFile.read();
      if (wipe) await this.wipeLocal(saved.replicaName);
      else await this.replica.close();
      const at = new Date().toISOString();
      const receipt = signer?.sign(at) ?? null;
      this.stateFile.write({
        ...saved,
        replicaName: wipe ? null : saved.replicaName,
        revoked: { wiped: wipe, at, receipt },
      });
      this.setState({ kind: 'revoked', wiped: wipe });
      // In the background: the revoked screen never waits for the server.
      if (receipt !== null) this.deliverReceipt(receipt);
    } finally {
      signer?.discard();
    }
  }

  /** The device key, for the receipt of a wipe about to happen; null (and said in the log) if it cannot be had. */
  private async receiptSigner(sync: SyncClient): Promise<WipeReceiptSigner | null> {
    let stored: DeviceCredential | null = null;
    try {
      stored = await this.keychain.credentials.load();
    } catch (error) {
      this.log.warn('could not read the device key from the keychain for the wipe receipt', {
        error: describe(error),
      });
    }
    // The running sync holds the same key; it stands in if the keychain entry is gone or unreadable.
    const credential = stored?.deviceId === sync.credential.deviceId ? stored : sync.credential;
    try {
      return WipeReceiptSigner.from(credential);
    } catch (error) {
      this.log.warn('the wipe goes ahead without a receipt: the device key is unusable', {
        error: describe(error),
      });
      return null;
    }
  }

  /** Sends a wipe receipt in the background; once the server has answered it is no longer kept. */
  private deliverReceipt(receipt: PendingWipeReceipt): void {
    const controller = new AbortController();
    this.receiptDeliveries.add(controller);
    const about = { workspaceId: receipt.body.workspaceId, deviceId: receipt.body.deviceId };
    void deliverWipeReceipt(receipt, {
      ...this.options.wipeReceipt,
      ...this.http(),
      signal: controller.signal,
    })
      .then(async (outcome) => {
        switch (outcome.kind) {
          case 'cancelled':
            return;
          case 'unreachable':
            this.log.warn(
              'the server could not be told of the wipe; the receipt is sent again at the next start',
              {
                ...about,
                attempts: outcome.attempts,
              },
            );
            return;
          case 'accepted':
            this.log.info('the server recorded the wipe receipt', { ...about, attempts: outcome.attempts });
            break;
          case 'refused':
            this.log.warn('the server refused the wipe receipt', {
              ...about,
              code: outcome.code,
              status: outcome.status,
            });
            break;
        }
        await this.serialised(async () => this.forgetReceipt(receipt));
      })
      .catch((error: unknown) => {
        this.log.error('sending the wipe receipt failed', { ...about, error: describe(error) });
      })
      .finally(() => this.receiptDeliveries.delete(controller));
  }

  /** Drops a receipt the server has answered, unless the state file has moved on (a reset, a new pairing). */
  private forgetReceipt(receipt: PendingWipeReceipt): void {
    const saved = this.stateFile.read();
    if (saved.revoked?.receipt?.body.signature !== receipt.body.signature) return;
    this.stateFile.write({ ...saved, revoked: { ...saved.revoked, receipt: null } });
  }

  private async unpair(evenIfOffline: boolean) {
    if (this.current.kind !== 'paired') throw new AppError('conflict', 'This app is not paired');
    try {
      await this.withToken((credential) => unpairDevice(credential, this.http()));
    } catch (error) {
      const revoked = error instanceof SyncError && revocationOf(error) !== null;
      const offline = error instanceof SyncError && error.network;
      if (!revoked && !(offline && evenIfOffline)) {
        if (offline) {
          throw new AppError(
            'server_unreachable',
            'The server could not be reached to sign this device out. Try again when online, or remove the local data anyway: the device then stays listed until an admin revokes it.',
            { canRemoveAnyway: true },
          );
        }
        throw error;
      }
    }
    const saved = this.stateFile.read();
    await this.stopSync();
    await this.wipeLocal(saved.replicaName);
    this.stateFile.clear();
    this.log.info('signed out; local data deleted');
    this.setUnpaired();
    return this.current;
  }

  private async reset() {
    const state = this.current;
    const saved = this.stateFile.read();
    if (state.kind === 'replica_unreadable' && state.canResync) {
      const credential = await this.keychain.credentials.load();
      if (credential !== null) {
        if (saved.replicaName !== null) await this.replica.destroy(saved.replicaName);
        const key = await this.keychain.createReplicaKey();
        const name = newReplicaName();
        this.stateFile.write({ ...EMPTY_STATE, replicaName: name });
        this.log.info('started a fresh replica from the server');
        this.openPaired(credential, name, key);
        return this.current;
      }
    }
    if (state.kind !== 'replica_unreadable' && state.kind !== 'revoked') {
      throw new AppError('conflict', 'There is nothing to reset');
    }
    await this.wipeLocal(saved.replicaName);
    this.stateFile.clear();
    this.setUnpaired();
    return this.current;
  }

  /** Deletes the replica's files and every keychain entry of ours. */
  private async wipeLocal(replicaName: string | null): Promise<void> {
    const open = this.replica.openName;
    await this.replica.close();
    for (const name of new Set([replicaName, open])) {
      if (name !== null) await this.replica.destroy(name);
    }
    await this.keychain.wipe();
  }

  private requireSync(): SyncClient {
    if (this.sync === null) throw new AppError('conflict', 'This app is not paired with a workspace');
    return this.sync;
  }

  /**
   * Runs a device request with the current token; a token that expired while the app was offline
   * is renewed once with the device key. A revocation learnt this way is handled like one from sync.
   */
  private async withToken<T>(request: (credential: DeviceCredential) => Promise<T>): Promise<T> {
    const sync = this.requireSync();
    try {
      try {
        return await request(sync.credential);
      } catch (error) {
        if (!(error instanceof SyncError) || error.code !== 'unauthorized') throw error;
        const token = await renewAccessToken(sync.credential, this.http());
        const renewed = {
          ...sync.credential,
          accessToken: token.accessToken,
          accessTokenExpiresAt: token.expiresAt,
        };
        await this.keychain.credentials.save(renewed);
        return await request(renewed);
      }
    } catch (error) {
      const revoked = error instanceof SyncError ? revocationOf(error) : null;
      if (revoked !== null) {
        void this.serialised(() => this.onRevoked(sync, revoked.wipe)).catch((failure: unknown) => {
          this.log.error('handling a revocation failed', { error: describe(failure) });
        });
      }
      throw error;
    }
  }

  private http(): { fetch?: FetchImpl } {
    return this.options.fetch === undefined ? {} : { fetch: this.options.fetch };
  }

  private syncStatus(): SyncStatusEvent {
    return { status: this.sync?.status ?? 'stopped', headSeq: this.sync?.headSeq ?? null };
  }

  private setUnpaired(): void {
    this.setState({ kind: 'unpaired', link: this.pendingLink });
  }

  private setState(state: AppState): void {
    this.current = state;
    this.emit('app:state', state);
  }

  private emit<E extends IpcEventChannel>(channel: E, payload: IpcEvent<E>): void {
    this.events.next({ channel, payload } as CoreEvent);
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** An error for the log: its kind and message, never a stack full of arguments. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
