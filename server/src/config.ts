import { resolve } from 'node:path';
import { z } from 'zod';
import { parseProxyTrust, ProxyTrustSettingError, type ProxyTrust } from './http/proxy-trust';
import { StartupError } from './startup/startup-error';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting comes from the environment; README.md lists each with its default. Parsed once at
 * start, so a bad value stops the server with a clear message instead of misbehaving later.
 */
const Env = z.object({
  ENCLAVE_HOST: z.string().min(1).default('127.0.0.1'),
  ENCLAVE_PORT: int(0, 65_535).default(8787),
  ENCLAVE_DATA_DIR: z.string().min(1).default('./.enclave-data'),
  ENCLAVE_MASTER_KEY_FILE: z.string().min(1).optional(),
  ENCLAVE_PUBLIC_URL: z.url().optional(),
  ENCLAVE_SIGNUP: z.enum(['invite', 'open']).default('invite'),
  ENCLAVE_SIGNUP_BLOCK_FREEMAIL: bool.default(false),
  ENCLAVE_SMTP_URL: z.string().min(1).optional(),
  ENCLAVE_MAIL_FROM: z.string().min(3).default('Enclave <no-reply@localhost>'),
  ENCLAVE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ENCLAVE_MAX_BODY_BYTES: int(1_024, 50 * 1024 * 1024).default(1024 * 1024),
  ENCLAVE_TRUST_PROXY: z
    .string()
    .optional()
    .transform((value, ctx): ProxyTrust => {
      try {
        return parseProxyTrust(value);
      } catch (error) {
        if (!(error instanceof ProxyTrustSettingError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    }),
  ENCLAVE_SESSION_IDLE_DAYS: int(1, 90).default(7),
  ENCLAVE_AUTH_RATE_PER_IP: int(1, 100_000).default(30),
  ENCLAVE_AUTH_RATE_PER_ACCOUNT: int(1, 100_000).default(10),
  ENCLAVE_EXPORT_RATE_PER_USER: int(1, 10_000).default(10),
  ENCLAVE_WRITE_RATE_PER_USER: int(1, 1_000_000).default(600),
  ENCLAVE_DB_CACHE_KIB: int(1_024, 4 * 1024 * 1024).default(32_768),
  ENCLAVE_SECURITY_CONTACT: z.string().min(3).default('mailto:security@localhost'),
  ENCLAVE_DEVICE_TOKEN_TTL_SECONDS: int(60, 900).default(900),
  ENCLAVE_SYNC_MAX_FRAME_BYTES: int(64 * 1024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
  ENCLAVE_SYNC_HEARTBEAT_SECONDS: int(1, 600).default(30),
  ENCLAVE_SYNC_FRAMES_PER_SECOND: int(1, 100_000).default(100),
  ENCLAVE_SYNC_MAX_BUFFERED_BYTES: int(64 * 1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  ENCLAVE_SHUTDOWN_GRACE_SECONDS: int(0, 600).default(10),
  /** The model provider's key; without it the AI features say how to enable them. */
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  ENCLAVE_AI_MODEL: z.string().min(1).max(100).default('claude-sonnet-4-5'),
  ENCLAVE_AI_TIMEOUT_SECONDS: int(1, 600).default(60),
  ENCLAVE_AI_MAX_RETRIES: int(0, 10).default(2),
});

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  masterKeyFile: string;
  /** Whether the master key file may be created: only at its default place in the data directory. */
  createMasterKey: boolean;
  publicUrl: string | null;
  signup: 'invite' | 'open';
  blockFreemail: boolean;
  smtpUrl: string | null;
  mailFrom: string;
  logLevel: z.infer<typeof Env>['ENCLAVE_LOG_LEVEL'];
  maxBodyBytes: number;
  /** Which hops in front of the server are our proxies; see http/proxy-trust.ts. */
  trustProxy: ProxyTrust;
  sessionIdleMs: number;
  authRatePerIp: number;
  authRatePerAccount: number;
  exportRatePerUser: number;
  /** Writes (POST, PUT, PATCH, DELETE) under /api/v1/workspaces per user per minute. */
  writeRatePerUser: number;
  dbCacheKiB: number;
  securityContact: string;
  deviceTokenTtlSeconds: number;
  /** How long a stopping server lets requests in flight finish before it cuts them. */
  shutdownGraceMs: number;
  sync: SyncLimits;
  ai: AiProviderConfig;
}

export interface AiProviderConfig {
  /** Never logged, never sent anywhere but the provider. */
  apiKey: string | null;
  baseUrl: string | null;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

export interface SyncLimits {
  /** Largest frame a client may send; a bigger one closes the connection (1009). */
  maxFrameBytes: number;
  heartbeatMs: number;
  /** Frames a connection may send per second, sustained; twice that in a burst. */
  framesPerSecond: number;
  /** Bytes queued for a client beyond which live events are dropped (and `resync` sent later). */
  maxBufferedBytes: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new StartupError(`invalid configuration: ${problems.join('; ')} (see README.md, Configuration)`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.ENCLAVE_DATA_DIR);
  return {
    host: e.ENCLAVE_HOST,
    port: e.ENCLAVE_PORT,
    dataDir,
    masterKeyFile: e.ENCLAVE_MASTER_KEY_FILE
      ? resolve(e.ENCLAVE_MASTER_KEY_FILE)
      : resolve(dataDir, 'master.key'),
    createMasterKey: !e.ENCLAVE_MASTER_KEY_FILE,
    publicUrl: e.ENCLAVE_PUBLIC_URL?.replace(/\/$/, '') ?? null,
    signup: e.ENCLAVE_SIGNUP,
    blockFreemail: e.ENCLAVE_SIGNUP_BLOCK_FREEMAIL,
    smtpUrl: e.ENCLAVE_SMTP_URL ?? null,
    mailFrom: e.ENCLAVE_MAIL_FROM,
    logLevel: e.ENCLAVE_LOG_LEVEL,
    maxBodyBytes: e.ENCLAVE_MAX_BODY_BYTES,
    trustProxy: e.ENCLAVE_TRUST_PROXY,
    sessionIdleMs: e.ENCLAVE_SESSION_IDLE_DAYS * 24 * 60 * 60 * 1000,
    authRatePerIp: e.ENCLAVE_AUTH_RATE_PER_IP,
    authRatePerAccount: e.ENCLAVE_AUTH_RATE_PER_ACCOUNT,
    exportRatePerUser: e.ENCLAVE_EXPORT_RATE_PER_USER,
    writeRatePerUser: e.ENCLAVE_WRITE_RATE_PER_USER,
    dbCacheKiB: e.ENCLAVE_DB_CACHE_KIB,
    securityContact: e.ENCLAVE_SECURITY_CONTACT,
    deviceTokenTtlSeconds: e.ENCLAVE_DEVICE_TOKEN_TTL_SECONDS,
    shutdownGraceMs: e.ENCLAVE_SHUTDOWN_GRACE_SECONDS * 1000,
    sync: {
      maxFrameBytes: e.ENCLAVE_SYNC_MAX_FRAME_BYTES,
      heartbeatMs: e.ENCLAVE_SYNC_HEARTBEAT_SECONDS * 1000,
      framesPerSecond: e.ENCLAVE_SYNC_FRAMES_PER_SECOND,
      maxBufferedBytes: e.ENCLAVE_SYNC_MAX_BUFFERED_BYTES,
    },
    ai: {
      apiKey: e.ANTHROPIC_API_KEY ?? null,
      baseUrl: e.ANTHROPIC_BASE_URL ?? null,
      model: e.ENCLAVE_AI_MODEL,
      timeoutMs: e.ENCLAVE_AI_TIMEOUT_SECONDS * 1000,
      maxRetries: e.ENCLAVE_AI_MAX_RETRIES,
    },
  };
}
