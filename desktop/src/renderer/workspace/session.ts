import {
  BehaviorSubject,
  combineLatest,
  distinctUntilChanged,
  map,
  of,
  switchMap,
  timer,
  type Subscription,
} from 'rxjs';
import type { RxStorage } from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { DeviceSelf, type SyncCheckpoint, type SyncStatusEvent } from '@enclave/shared';
import { recordsReplicationIdentifier } from '../../common/sync/records-collection';
import { syncReplicationOptions } from '../../common/sync/replication-handlers';
import { asBridgeError, type BridgeClient, type BridgeError } from '../bridge/client';
import { keepingConflictHandler } from '../conflicts/conflict-detection';
import { ConflictStore } from '../conflicts/conflict-store';
import type { RecordRow } from '@enclave/ui';
import { openWorkspaceDatabase, type RecordDocType, type WorkspaceDatabase } from './database';
import { afterPull, NO_PROGRESS, type PullProgress } from './initial-sync';
import { syncIndicatorOf, type SyncIndicator } from './sync-indicator';
import { bridgeTransport } from './sync-transport';

export interface SessionOptions {
  client: BridgeClient;
  storage: RxStorage<unknown, unknown>;
  replicaName: string;
  workspaceId: string;
  /** How long RxDB waits before retrying a failed pull or push. */
  retryTime?: number;
  /** Failures that have nowhere else to go (they must not stop sync), for the console. */
  onBackgroundError?: (error: unknown) => void;
  /** The replica could not be opened after main filled it (before, `open()` rejects instead). */
  onOpenFailed?: (error: unknown) => void;
}

/**
 * `filling` while main fills a fresh replica from the server (RxDB opens it afterwards, since it
 * must not hold the collection while main writes it); `open` once the replica and its
 * replication are open.
 */
export type SessionPhase = 'starting' | 'filling' | 'open';

/** An RxDB replication error whose cause is only that the server could not be reached. */
export function isOfflineError(error: unknown): boolean {
  const causes = (error as { parameters?: { errors?: unknown } } | null)?.parameters?.errors;
  return (
    Array.isArray(causes) &&
    causes.length > 0 &&
    causes.every((cause) => (cause as { code?: unknown } | null)?.code === 'server_unreachable')
  );
}

const SELF_KEY = 'self';
const INITIAL_SYNC_KEY = 'initialSync';
/** `active$` flickers for every live change; "Syncing…" shows only for work that takes a moment. */
const SYNCING_AFTER_MS = 400;

/**
 * An open workspace: the replica database, its replication with the server (through main), and
 * what the screens observe of them. Created when the app is paired, disposed when it is not any
 * more (revoked, signed out) — disposal ignores errors, since main may already have deleted the
 * files underneath.
 */
export class WorkspaceSession {
  readonly phase$ = new BehaviorSubject<SessionPhase>('starting');
  readonly syncStatus$ = new BehaviorSubject<SyncStatusEvent | null>(null);
  readonly progress$ = new BehaviorSubject<PullProgress>(NO_PROGRESS);
  readonly failing$ = new BehaviorSubject(false);
  readonly active$ = new BehaviorSubject(false);
  readonly indicator$ = new BehaviorSubject<SyncIndicator>('connecting');
  /** This device, its workspace and the schema: the last answer of `device:self`, cached locally. */
  readonly self$ = new BehaviorSubject<DeviceSelf | null>(null);
  readonly selfError$ = new BehaviorSubject<BridgeError | null>(null);
  /** The replica has been filled from the server once (a flag in the replica itself). */
  readonly initialSyncDone$ = new BehaviorSubject(false);
  readonly conflicts: ConflictStore;

  private readonly subscriptions: Subscription[] = [];
  private readonly offs: (() => void)[] = [];
  private readonly titleIndexes = new Map<string, BehaviorSubject<ReadonlyMap<string, RecordRow>>>();
  private replication: RxReplicationState<RecordDocType, SyncCheckpoint> | null = null;
  private database: WorkspaceDatabase | null = null;
  private disposed = false;

  private constructor(private readonly options: SessionOptions) {
    this.conflicts = new ConflictStore(undefined, undefined, (error) => this.backgroundError(error));
  }

  static async open(options: SessionOptions): Promise<WorkspaceSession> {
    const session = new WorkspaceSession(options);
    try {
      await session.start();
    } catch (error) {
      await session.dispose();
      throw error;
    }
    return session;
  }

  get db(): WorkspaceDatabase {
    if (!this.database) throw new Error('The workspace is not open');
    return this.database;
  }

  /**
   * Asks main to fill the replica first. When that answers at once (nothing to fill), the replica
   * opens before `open()` resolves; when a fill is under way, `open()` resolves in the `filling`
   * phase and the replica opens once the fill is done. A fill that fails leaves the rest to RxDB's
   * replication, which resumes from whatever the fill wrote.
   */
  private async start(): Promise<void> {
    const { client } = this.options;
    this.listenToMain();
    const fill = client.call('replica:fill', {}).then(
      () => undefined,
      (error: unknown) => this.backgroundError(error),
    );
    const filling = new Promise<'filling'>((resolve) => {
      this.offs.push(
        client.onEvent('replica:fillProgress', (progress) => {
          this.progress$.next(progress);
          resolve('filling');
        }),
      );
    });
    if ((await Promise.race([fill.then(() => 'answered' as const), filling])) === 'answered') {
      await this.openReplica();
      return;
    }
    this.phase$.next('filling');
    void fill
      .then(() => (this.disposed ? undefined : this.openReplica()))
      .catch((error: unknown) => {
        if (!this.disposed) this.options.onOpenFailed?.(error);
      });
  }

  private async openReplica(): Promise<void> {
    const { client } = this.options;
    const db = await openWorkspaceDatabase({
      storage: this.options.storage,
      name: this.options.replicaName,
      conflictHandler: keepingConflictHandler((conflict) => this.conflicts.record(conflict)),
    });
    if (this.disposed) {
      await db.close().catch(() => undefined);
      return;
    }
    this.database = db;
    this.conflicts.attach(db);

    const [cachedSelf, initialSync, existing] = await Promise.all([
      db.local.findOne(SELF_KEY).exec(),
      db.local.findOne(INITIAL_SYNC_KEY).exec(),
      db.records.count().exec(),
    ]);
    const cached = DeviceSelf.safeParse(cachedSelf?.value);
    if (cached.success && cached.data.workspace.id === this.options.workspaceId) this.self$.next(cached.data);
    this.initialSyncDone$.next(initialSync?.value.done === true);
    this.progress$.next({ received: existing, lastSeq: this.progress$.value.lastSeq });

    const transport = bridgeTransport(client, {
      pulled: (result) => this.progress$.next(afterPull(this.progress$.value, result)),
      succeeded: () => this.failing$.next(false),
      failed: () => this.failing$.next(true),
      pushed: (result) => {
        for (const row of result.rejected) void this.conflicts.noteRejection(row).catch(this.backgroundError);
      },
    });
    const replication = replicateRxCollection<RecordDocType, SyncCheckpoint>({
      collection: db.records,
      replicationIdentifier: recordsReplicationIdentifier(this.options.workspaceId),
      live: true,
      retryTime: this.options.retryTime ?? 2000,
      ...syncReplicationOptions(transport),
    });
    this.replication = replication;
    this.subscriptions.push(
      replication.active$.subscribe((active) => this.active$.next(active)),
      replication.error$.subscribe((error) => {
        this.failing$.next(true);
        // Offline is a normal state here: RxDB retries, the indicator says "Offline".
        if (!isOfflineError(error)) this.backgroundError(error);
      }),
    );
    this.phase$.next('open');
    if (!this.initialSyncDone$.value) void this.awaitInitialSync(replication, db);
    void this.refreshSelf();
  }

  /** Main's events: connection status (and a fresh schema whenever it comes online), refusals. */
  private listenToMain(): void {
    const { client } = this.options;
    this.offs.push(
      client.onEvent('sync:status', (event) => this.syncStatus$.next(event)),
      client.onEvent('sync:rejected', (row) => {
        void this.conflicts.noteRejection(row).catch(this.backgroundError);
      }),
    );
    client.call('sync:status', {}).then(
      (event) => {
        // An event may have come in while the call was on its way; it is the newer news.
        if (this.syncStatus$.value === null) this.syncStatus$.next(event);
      },
      (error: unknown) => this.backgroundError(error),
    );
    const syncing$ = this.active$.pipe(
      distinctUntilChanged(),
      switchMap((active) => (active ? timer(SYNCING_AFTER_MS).pipe(map(() => true)) : of(false))),
    );
    this.subscriptions.push(
      combineLatest([this.syncStatus$, syncing$, this.failing$])
        .pipe(
          map(([event, active, failing]) =>
            syncIndicatorOf({ status: event?.status ?? null, active, failing }),
          ),
          distinctUntilChanged(),
        )
        .subscribe(this.indicator$),
      this.syncStatus$
        .pipe(
          map((event) => event?.status === 'online'),
          distinctUntilChanged(),
        )
        .subscribe((online) => {
          if (online && this.database) void this.refreshSelf();
        }),
    );
  }

  private async awaitInitialSync(
    replication: RxReplicationState<RecordDocType, SyncCheckpoint>,
    db: WorkspaceDatabase,
  ): Promise<void> {
    try {
      await replication.awaitInitialReplication();
      if (this.disposed) return;
      await db.local.upsert({ id: INITIAL_SYNC_KEY, value: { done: true, at: new Date().toISOString() } });
      this.initialSyncDone$.next(true);
    } catch (error) {
      if (!this.disposed) this.backgroundError(error);
    }
  }

  /** Asks the server for this device, workspace and schema; keeps the answer for offline starts. */
  async refreshSelf(): Promise<void> {
    try {
      const self = await this.options.client.call('device:self', {});
      if (this.disposed) return;
      this.self$.next(self);
      this.selfError$.next(null);
      await this.database?.local.upsert({ id: SELF_KEY, value: self });
    } catch (error) {
      if (!this.disposed) this.selfError$.next(asBridgeError(error));
    }
  }

  /** Resolves once every local change has been pushed and the latest pull applied. */
  async awaitInSync(): Promise<void> {
    await this.replication?.awaitInSync();
  }

  /** Records of one type by id, kept current: for reference titles and pickers. Shared per type. */
  recordsById(type: string): BehaviorSubject<ReadonlyMap<string, RecordRow>> {
    let index = this.titleIndexes.get(type);
    if (!index) {
      const subject = new BehaviorSubject<ReadonlyMap<string, RecordRow>>(new Map());
      index = subject;
      this.titleIndexes.set(type, subject);
      this.subscriptions.push(
        this.db.records
          .find({ selector: { type } })
          .$.pipe(map((docs) => new Map(docs.map((doc) => [doc.id, doc._data as RecordRow]))))
          .subscribe((rows) => subject.next(rows)),
      );
    }
    return index;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const off of this.offs) off();
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    await this.replication?.cancel().catch(() => undefined);
    await this.database?.close().catch(() => undefined);
  }

  private readonly backgroundError = (error: unknown): void => {
    if (!this.disposed) this.options.onBackgroundError?.(error);
  };
}
