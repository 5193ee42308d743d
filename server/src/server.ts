import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccountsService } from './auth/accounts.service';
import { LogMailer, SmtpMailer, type Mailer } from './auth/mailer';
import { SessionService } from './auth/sessions.service';
import type { Config } from './config';
import { loadMasterKey } from './crypto/keys';
import { ChangeFeed } from './engine/change-feed';
import { CommandEngine } from './engine/engine';
import { createApp } from './http/app';
import type { AppDeps } from './http/deps';
import { createLogger, type Logger } from './logger';
import { EmbeddedStore } from './store/sqlite/embedded-store';
import type { Store } from './store/types';
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
  const masterKey = loadMasterKey(config.masterKeyFile, config.createMasterKey);
  const store = new EmbeddedStore(config.dataDir, masterKey, { cacheKiB: config.dbCacheKiB });
  masterKey.fill(0);
  return store;
}

/** Builds the server from its configuration and starts listening. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = options.store ?? openStore(config);
  const mailer =
    options.mailer ??
    (config.smtpUrl ? new SmtpMailer(config.smtpUrl, config.mailFrom) : new LogMailer(logger));
  const feed = new ChangeFeed();
  const engine = new CommandEngine(store, feed);
  let origin = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const sessions = new SessionService(store.control, config.sessionIdleMs);
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
    origin: () => origin,
  };
  const app = createApp(deps);
  const http = createHttpServer(app);
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
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await store.close();
    },
  };
}
