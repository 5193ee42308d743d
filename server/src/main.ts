import { loadConfig } from './config';
import { createLogger } from './logger';
import { startServer, type RunningServer } from './server';
import { describeStartupError } from './startup/startup-error';

// Files the server creates (databases, keys) are for its own user only.
process.umask(0o077);

/** Starts the server, or says in one line why it cannot and exits non-zero: never a stack trace. */
async function start(): Promise<{ server: RunningServer; logger: ReturnType<typeof createLogger> }> {
  try {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    return { server: await startServer({ config, logger }), logger };
  } catch (error) {
    process.stderr.write(`enclave: ${describeStartupError(error)}\n`);
    process.exit(1);
  }
}

const { server, logger } = await start();
const config = server.deps.config;

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

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
