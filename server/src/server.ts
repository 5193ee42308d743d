import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIVE_PATH, SYNC_PATH } from '@enclave/shared';
import { AiService } from './ai/ai-service';
import { NewTicketTriage } from './ai/new-ticket-triage';
import { createProvider } from './ai/provider';
import { AuditAnchors, CheckpointSigner } from './audit/checkpoints';
import { AccountsService } from './auth/accounts.service';
import { LogMailer, SmtpMailer, type Mailer } from './auth/mailer';
import { SessionService } from './auth/sessions.service';
import type { Config } from './config';
import { deriveKey, loadMasterKey } from './crypto/keys';
import { ChallengeStore } from './devices/challenges';
import { DevicePresence } from './devices/device-presence';
import { DeviceTokens } from './devices/device-tokens';
import { DevicesService } from './devices/devices.service';
import { ChangeFeed } from './engine/change-feed';
import { CommandEngine } from './engine/engine';
import { createApp } from './http/app';
import { drainable } from './http/drain';
import type { AppDeps } from './http/deps';
import { routeUpgrades } from './http/upgrade';
import { liveEndpoint } from './live/live-endpoint';
import { LiveHub } from './live/live-hub';
import { createLogger, type Logger } from './logger';
import { OutboxDispatcher } from './outbox/outbox-dispatcher';
import { prepareDataDir, holdsData, lockDataDir, type DataDirLock } from './store/sqlite/data-dir';
import { EmbeddedStore } from './store/sqlite/embedded-store';
import { StartupError } from './startup/startup-error';
import type { Store } from './store/types';
import { syncEndpoint } from './sync/sync-endpoint';
import { SyncHub } from './sync/sync-hub';
import { WorkspacesService } from './workspaces/workspaces.service';

export interface ServerOptions {
  config: Config;
  logger?: Logger;
  mailer?: Mailer;
  store?: Store;
}

export interface RunningServer {
  url: string;
  deps: AppDeps;
  http: Server;
  /** The first-owner setup link, while the server has no account. */
  setupLink: string | null;
  /**
   * Stops accepting connections, tells sync devices and live channels the server is shutting down
   * (1001), lets the requests in flight finish for up to `config.shutdownGraceMs` and cuts the rest,
   * then closes the databases. The same promise for every call.
   */
  close(): Promise<void>;
  /** During close(): stop waiting for the requests in flight and cut them now. */
  cutRequests(): void;
}

export function openStore(config: Config): Store {
  const { store, signingSeed, checkpointSeed } = openKeyed(config);
  signingSeed.fill(0);
  checkpointSeed.fill(0);
  return store;
}

/** The store, with the signer of its audit checkpoints (for the command line's audit:verify). */
export function openAuditStore(config: Config): { store: Store; signer: CheckpointSigner } {
  const { store, checkpointSeed } = openKeyed(config);
  try {
    return { store, signer: new CheckpointSigner(checkpointSeed) };
  } finally {
    checkpointSeed.fill(0);
  }
}

/**
 * The store, the device-token signing seed and the audit checkpoint signing seed: all come from
 * the master key, which is then wiped.
 */
function openKeyed(
  config: Config,
  given?: Store,
): { store: Store; signingSeed: Buffer; checkpointSeed: Buffer } {
  prepareDataDir(config.dataDir);
  const masterKey = loadMasterKey(config.masterKeyFile, {
    create: config.createMasterKey,
    dataExists: holdsData(config.dataDir),
  });
  try {
    const store = given ?? new EmbeddedStore(config.dataDir, masterKey, { cacheKiB: config.dbCacheKiB });
    return {
      store,
      signingSeed: deriveKey(masterKey, 'device-token-signing'),
      // Not held by any workspace file: a workspace key alone cannot re-sign a rewritten chain.
      checkpointSeed: deriveKey(masterKey, 'audit-checkpoint-signing'),
    };
  } finally {
    masterKey.fill(0);
  }
}

/** Builds the server from its configuration and starts listening. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  // A store handed in is the caller's; a data directory is this process's alone while it runs.
  let lock: DataDirLock | null = null;
  if (!options.store) {
    prepareDataDir(config.dataDir);
    lock = lockDataDir(config.dataDir);
  }
  let store: Store;
  let signingSeed: Buffer;
  let checkpointSeed: Buffer;
  try {
    ({ store, signingSeed, checkpointSeed } = openKeyed(config, options.store));
  } catch (error) {
    lock?.release();
    throw error;
  }
  for (const problem of await store.checkWorkspaces()) {
    logger.error(
      problem,
      `workspace ${problem.workspaceId} is unavailable (its database file is ${problem.reason === 'damaged' ? 'damaged' : problem.reason}); its members get workspace_unavailable until it is restored`,
    );
  }
  const mailer =
    options.mailer ??
    (config.smtpUrl ? new SmtpMailer(config.smtpUrl, config.mailFrom) : new LogMailer(logger));
  const feed = new ChangeFeed();
  const anchors = new AuditAnchors(store, new CheckpointSigner(checkpointSeed), logger);
  checkpointSeed.fill(0);
  anchors.watch(feed);
  const engine = new CommandEngine(store, feed);
  const outboxDispatcher = new OutboxDispatcher(store, mailer, logger);
  outboxDispatcher.watch(feed);
  let origin = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const sessions = new SessionService(store.control, config.sessionIdleMs);
  // The issuer names this installation, so a token from another Enclave server is refused even
  // before its signature is checked.
  await store.control.compareAndSetMeta('instance_id', null, randomUUID());
  const instanceId = (await store.control.getMeta('instance_id')) ?? 'unknown';
  const tokens = new DeviceTokens(signingSeed, `urn:enclave:${instanceId}`, config.deviceTokenTtlSeconds);
  signingSeed.fill(0);
  // Made before the app and the hub: the routes read it, the hub (made with the HTTP server) writes it.
  const presence = new DevicePresence();
  const devices = new DevicesService(store, engine, tokens, new ChallengeStore(), presence);
  const deps: AppDeps = {
    config,
    store,
    engine,
    feed,
    anchors,
    logger,
    mailer,
    sessions,
    accounts: new AccountsService(store, mailer, logger, {
      signup: config.signup,
      blockFreemail: config.blockFreemail,
      get publicUrl() {
        return origin;
      },
    }),
    workspaces: new WorkspacesService(store, engine),
    devices,
    ai: new AiService({
      store,
      engine,
      provider: createProvider(config.ai),
      mailer,
      logger,
      origin: () => origin,
    }),
    presence,
    hub: null,
    origin: () => origin,
  };
  const newTicketTriage = new NewTicketTriage(deps.ai, logger);
  newTicketTriage.watch(feed);
  const app = createApp(deps);
  const http = createHttpServer(app);
  const drain = drainable(http);
  const hub = new SyncHub({ store, engine, devices, feed, logger, limits: config.sync, presence });
  deps.hub = hub;
  const sync = syncEndpoint(hub, devices, logger, {
    maxFrameBytes: config.sync.maxFrameBytes,
    upgradesPerMinute: config.authRatePerIp * 4,
    trustProxy: config.trustProxy,
  });
  const live = new LiveHub({
    store,
    engine,
    feed,
    presence,
    sessions,
    logger,
    heartbeatMs: config.sync.heartbeatMs,
    sessionCheckMs: 10_000,
    maxBufferedBytes: config.sync.maxBufferedBytes,
  });
  const liveUpgrades = liveEndpoint(live, deps, logger, {
    upgradesPerMinute: config.authRatePerIp * 4,
    trustProxy: config.trustProxy,
  });
  routeUpgrades(http, { [SYNC_PATH]: sync.handle, [LIVE_PATH]: liveUpgrades.handle }, logger);
  // Closes the WebSocket servers and everything live: browsers and devices are told (1001) first.
  const stopLive = () => {
    live.stop();
    hub.stop();
    presence.stop();
    liveUpgrades.wss.close();
    sync.wss.close();
  };
  http.headersTimeout = 20_000;
  http.requestTimeout = 60_000;
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    anchors.stop();
    outboxDispatcher.stop();
    newTicketTriage.stop();
    stopLive();
    await store.close();
    lock?.release();
    throw listenError(config, error);
  }
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  if (!config.publicUrl) origin = url;
  const setupLink = await deps.accounts.prepareSetup();

  // Hourly: idle sessions and expired email links are deleted, not merely refused.
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      Promise.all([
        store.control.deleteIdleSessions(new Date(now - config.sessionIdleMs).toISOString()),
        store.control.deleteExpiredEmailTokens(new Date(now).toISOString()),
        store.control.deleteExpiredPairingIndex(new Date(now).toISOString()),
        deps.ai.sweep(),
      ]).catch((err: unknown) => {
        logger.error({ err }, 'sweep failed');
      });
    },
    60 * 60 * 1000,
  );
  sweeper.unref();

  let closing: Promise<void> | null = null;
  const close = async () => {
    clearInterval(sweeper);
    stopLive();
    const cut = await drain.drain(config.shutdownGraceMs);
    if (cut > 0) logger.warn({ connections: cut }, 'shutdown grace over: connections still open were cut');
    // A triage under way finishes (its changes are anchored and sent below); the waiting ones are dropped.
    newTicketTriage.stop();
    if (!(await newTicketTriage.flush(config.shutdownGraceMs))) {
      logger.warn('shutdown grace over: a new ticket was left untriaged');
    }
    // The last commits are anchored before the databases close.
    await anchors.flush();
    anchors.stop();
    await outboxDispatcher.flush();
    outboxDispatcher.stop();
    await store.close();
    lock?.release();
  };
  return {
    url,
    deps,
    http,
    setupLink,
    close: () => (closing ??= close()),
    cutRequests: () => drain.cutNow(),
  };
}

/** A failure to listen, said as what to change. */
function listenError(config: Config, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    return new StartupError(`port ${where} is already in use; stop what uses it or set ENCLAVE_PORT`);
  }
  if (code === 'EACCES') {
    return new StartupError(`not allowed to listen on ${where}; use a port above 1023 (ENCLAVE_PORT)`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new StartupError(`cannot listen on ${config.host}: no such address here (ENCLAVE_HOST)`);
  }
  return error;
}
