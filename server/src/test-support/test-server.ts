import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { OutboxMailer } from '../auth/mailer';
import { loadConfig, type Config } from '../config';
import { createLogger } from '../logger';
import { startServer, type RunningServer } from '../server';
import { TestClient } from './test-client';

export interface TestServer {
  url: string;
  dataDir: string;
  config: Config;
  server: RunningServer;
  outbox: OutboxMailer;
  /** Every log line the server wrote, as text. */
  logs: () => string;
  /** A client with no session, speaking from the server's own origin. */
  client: () => TestClient;
  /** Stops the server; the data directory stays unless `keepData` is false. */
  stop: () => Promise<void>;
  close: () => Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Where the server's log goes; by default it is kept in memory for `logs()`. */
  logTo?: NodeJS.WritableStream;
  /** Reuse a data directory (e.g. to restart a server on the same files). */
  dataDir?: string;
  /** `log`: the server's own no-SMTP mailer writes mail to the log, and the outbox stays empty. */
  mail?: 'outbox' | 'log';
}

/** A real server on a random port over a fresh encrypted data directory, with its mail and logs captured. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'enclave-test-'));
  const config = loadConfig({
    ENCLAVE_HOST: '127.0.0.1',
    ENCLAVE_PORT: '0',
    ENCLAVE_DATA_DIR: dataDir,
    ENCLAVE_SIGNUP: 'open',
    ENCLAVE_LOG_LEVEL: 'info',
    // Suites make many accounts from one address; the rate-limit tests set their own low limits.
    ENCLAVE_AUTH_RATE_PER_IP: '100000',
    ENCLAVE_AUTH_RATE_PER_ACCOUNT: '100000',
    ENCLAVE_EXPORT_RATE_PER_USER: '1000',
    ENCLAVE_WRITE_RATE_PER_USER: '100000',
    ENCLAVE_DB_CACHE_KIB: '4096',
    ...options.env,
  });
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const outbox = new OutboxMailer();
  const server = await startServer({
    config,
    mailer: options.mail === 'log' ? undefined : outbox,
    logger: createLogger(config.logLevel, options.logTo ?? sink),
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    url: server.url,
    dataDir,
    config,
    server,
    outbox,
    logs: () => chunks.join(''),
    client: () => new TestClient(server.url),
    stop,
    close: async () => {
      await stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** A unique address per call, so tests never collide on accounts. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}@example.com`;
}

export const TEST_PASSWORD = 'a long enough test password';

/** Signs up, verifies through the captured email, and signs in: a ready, verified user. */
export async function createUser(
  t: TestServer,
  options: { email?: string; name?: string; password?: string } = {},
): Promise<TestClient> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? TEST_PASSWORD;
  const client = t.client();
  const signUp = await client.post('/api/v1/auth/signup', {
    email,
    name: options.name ?? 'Test User',
    password,
  });
  if (signUp.status !== 202)
    throw new Error(`sign-up failed: ${signUp.status} ${JSON.stringify(signUp.body)}`);
  const token = verificationToken(t, email);
  const verified = await client.post('/api/v1/auth/verify-email', { token });
  if (verified.status !== 204) throw new Error(`verification failed: ${verified.status}`);
  const signIn = await client.post('/api/v1/auth/signin', { email, password });
  if (signIn.status !== 200)
    throw new Error(`sign-in failed: ${signIn.status} ${JSON.stringify(signIn.body)}`);
  client.email = email;
  client.password = password;
  client.userId = (signIn.body as { id: string }).id;
  return client;
}

export function verificationToken(t: TestServer, email: string): string {
  const mail = t.outbox.lastTo(email);
  const match = mail ? /verify-email\?token=([A-Za-z0-9_-]+)/.exec(mail.text) : null;
  if (!match?.[1]) throw new Error(`no verification email for ${email}`);
  return match[1];
}

/** Creates a workspace owned by `owner` and returns its id. */
export async function createWorkspace(
  owner: TestClient,
  name = 'Acme Legal',
  template: 'standard' | 'empty' = 'standard',
): Promise<string> {
  const res = await owner.post('/api/v1/workspaces', { name, template });
  if (res.status !== 201)
    throw new Error(`workspace creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** Invites `email` with `roles` and has `invitee` accept; returns nothing, throws on failure. */
export async function addMember(
  owner: TestClient,
  workspaceId: string,
  invitee: TestClient,
  roles: string[],
): Promise<void> {
  const invited = await owner.post(`/api/v1/workspaces/${workspaceId}/invitations`, {
    email: invitee.email,
    roles,
  });
  if (invited.status !== 201)
    throw new Error(`invite failed: ${invited.status} ${JSON.stringify(invited.body)}`);
  const token = (invited.body as { token: string }).token;
  const accepted = await invitee.post(`/api/v1/workspaces/${workspaceId}/invitations/accept`, { token });
  if (accepted.status !== 200)
    throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
}
