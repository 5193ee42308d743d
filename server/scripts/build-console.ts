/**
 * Builds the web console into server/console/dist (`npm run build:console`). `npm start` does the
 * same on its own when the build is missing or older than its sources.
 */
import { buildConsole, CONSOLE_DIST_DIR } from '../src/startup/console-build';

const started = Date.now();
buildConsole().then(
  () =>
    console.log(
      `  web console built into ${CONSOLE_DIST_DIR} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    ),
  (error: unknown) => {
    console.error(`console build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
