import { loadConfig } from './config';
import { createLogger } from './logger';
import { startServer, type RunningServer } from './server';
import { ensureConsoleBuilt } from './startup/console-build';
import { describeStartupError } from './startup/startup-error';

// Files the server creates (databases, keys) are for its own user only.
process.umask(0o077);

/** Starts the server, or says in one line why it cannot and exits non-zero: never a stack trace. */
async function start(): Promise<{ server: RunningServer; logger: ReturnType<typeof createLogger> }> {
  try {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    await ensureConsoleBuilt({ info: (m) => logger.info(m), warn: (m) => logger.warn(m) });
    return { server: await startServer({ config, logger }), logger };
  } catch (error) {
    process.stderr.write(`enclave: ${describeStartupError(error)}\n`);
    process.exit(1);
  }
}

const { server, logger } = await start();
const config = server.deps.config;

// One stop request often arrives twice: Ctrl-C and `kill -- -<pgid>` signal the whole process
// group, and npm forwards the same signal to its script. Only a signal a second or more after the
// first means "stop waiting".
const REPEAT_MS = 1000;
let stopRequestedAt: number | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopRequestedAt !== null) {
      if (Date.now() - stopRequestedAt < REPEAT_MS) return;
      logger.warn({ signal }, 'second stop signal: cutting the requests still in flight');
      server.cutRequests();
      return;
    }
    stopRequestedAt = Date.now();
    logger.info(
      { signal, graceSeconds: config.shutdownGraceMs / 1000 },
      'shutting down: no new connections; requests in flight may finish',
    );
    server.close().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

// Said only once the handlers above are in place: whoever waits for this line to send a stop
// signal must find the server ready to handle it.
logger.info({ url: server.url, dataDir: config.dataDir }, 'Enclave server listening');
if (server.deps.mailer.kind === 'log') {
  logger.warn(
    'No SMTP configured (ENCLAVE_SMTP_URL): every email will be written to this log, whole: email verification, password-reset and invitation links, and sign-up notices.',
  );
}
if (server.setupLink) {
  // Printed, not logged as a field: the operator needs to see it once, at the terminal.
  process.stdout.write(
    `\n  Enclave has no account yet. Create the first owner here (the link works once):\n\n  ${server.setupLink}\n\n`,
  );
}
