import type { CoreLog } from '../app/desktop-core';

type Level = 'info' | 'warn' | 'error';

/**
 * The main process's log: JSON lines on stdout/stderr (seen when the app is started from a
 * terminal, and by the launch tests). Callers pass no secrets (DesktopCore's contract); URLs go
 * through `describeUrl` first.
 */
export function consoleLog(write: (level: Level, line: string) => void = defaultWrite): CoreLog {
  const at =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      // The fields come first so that none of them can pass for the level or the message.
      write(level, JSON.stringify({ ...fields, time: new Date().toISOString(), level, message }));
    };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

function defaultWrite(level: Level, line: string): void {
  if (level === 'info') process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
}

/** An error for the log: its kind and message, not a stack full of arguments. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
