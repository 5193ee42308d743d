/**
 * A reason the server cannot start that the operator can act on. Its message is one line: what is
 * wrong, which file or variable, and what to do. `main.ts` prints it alone, without a stack trace.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

interface ErrnoLike {
  code?: unknown;
  path?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'a file is in the way',
  EISDIR: 'it is a directory, not a file',
};

/**
 * The one line printed for an error that stopped the start. Operating-system errors are named by
 * what failed and where; anything unexpected keeps its first line, since a stack trace helps no
 * operator and can print paths or values that do not belong in a terminal log.
 */
export function describeStartupError(error: unknown): string {
  if (error instanceof StartupError) return error.message;
  const errno = (error ?? {}) as ErrnoLike;
  if (errno.code === 'SQLITE_BUSY' || errno.code === 'SQLITE_LOCKED') {
    return 'a database in the data directory is locked by another process; stop that process, then start again';
  }
  if (errno.code === 'SQLITE_FULL') return 'the disk holding the data directory is full; free some space';
  if (typeof errno.code === 'string' && errno.code in ERRNO_TEXT) {
    const what = typeof errno.syscall === 'string' ? ` (${errno.syscall})` : '';
    const where = typeof errno.path === 'string' ? ` ${errno.path}` : '';
    return `cannot use${where}: ${ERRNO_TEXT[errno.code]}${what}; check ENCLAVE_DATA_DIR and the permissions of the server's user`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `could not start: ${message.split('\n')[0] ?? 'unknown error'}`;
}
