import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccountsService } from './auth/accounts.service';
import { LogMailer, SmtpMailer, type Mailer } from './auth/mailer';
import { SessionService } from './auth/sessions.service';
import type { Config } from './config';
import { deriveKey, loadMasterKey } from './crypto/keys';
import { ChallengeStore } from './devices/challenges';
import { DeviceTokens } from './devices/device-tokens';
import { DevicesService } from './devices/devices.service';
import { ChangeFeed } from './engine/change-feed';
import { CommandEngine } from './engine/engine';
import { createApp } from './http/app';
import type { AppDeps } from './http/deps';
import { createLogger, type Logger } from './logger';
import { EmbeddedStore } from './store/sqlite/embedded-store';
import type { Store } from './store/types';
import { attachSyncEndpoint } from './sync/sync-endpoint';
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
  close(): Promise<void>;
}

export function openStore(config: Config): Store {
  return openKeyed(config).store;
}

/** The store, and the device-token signing seed: both come from the master key, which is then wiped. */
function openKeyed(config: Config, given?: Store): { store: Store; signingSeed: Buffer } {
  const masterKey = loadMasterKey(config.masterKeyFile, config.createMasterKey);
  try {
    const store = given ?? new EmbeddedStore(config.dataDir, masterKey, { cacheKiB: config.dbCacheKiB });
    return { store, signingSeed: deriveKey(masterKey, 'device-token-signing') };
  } finally {
    masterKey.fill(0);
  }
}

/** Builds the server from its configuration and starts listening. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const { store, signingSeed } = openKeyed(config, options.store);
  const mailer =
    options.mailer ??
    (config.smtpUrl ? new SmtpMailer(config.smtpUrl, config.mailFrom) : new LogMailer(logger));
  const feed = new ChangeFeed();
  const engine = new CommandEngine(store, feed);
  let origin = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const sessions = new SessionService(store.control, config.sessionIdleMs);
  // The issuer names this installation, so a token from another Enclave server is refused even
  // before its signature is checked.
  await store.control.compareAndSetMeta('instance_id', null, randomUUID());
  const instanceId = (await store.control.getMeta('instance_id')) ?? 'unknown';
  const tokens = new DeviceTokens(signingSeed, `urn:enclave:${instanceId}`, config.deviceTokenTtlSeconds);
  signingSeed.fill(0);
  const devices = new DevicesService(store, engine, tokens, new ChallengeStore());
  const deps: AppDeps = {
    config,
    store,
    engine,
    feed,
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
    hub: null,
    origin: () => origin,
  };
  const app = createApp(deps);
  const http = createHttpServer(app);
  const hub = new SyncHub({ store, engine, devices, feed, logger, limits: config.sync });
  deps.hub = hub;
  const wss = attachSyncEndpoint(http, hub, devices, logger, {
    maxFrameBytes: config.sync.maxFrameBytes,
    upgradesPerMinute: config.authRatePerIp * 4,
    trustProxy: config.trustProxy,
  });
  http.headersTimeout = 20_000;
  http.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
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
      ]).catch((err: unknown) => {
        logger.error({ err }, 'sweep failed');
      });
    },
    60 * 60 * 1000,
  );
  sweeper.unref();

  return {
    url,
    deps,
    http,
    setupLink,
    close: async () => {
      clearInterval(sweeper);
      hub.stop();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await store.close();
    },
  };
}
