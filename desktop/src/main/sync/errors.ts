import type { ErrorBody, ErrorCode } from '@enclave/shared';

export interface SyncErrorInit {
  details?: unknown;
  /** The HTTP status of the answer, when the error came from one. */
  status?: number;
  /** The server could not be reached or the connection dropped: worth retrying later. */
  network?: boolean;
  cause?: unknown;
}

/**
 * An error of the sync client: the server's code, message and details when the server refused,
 * or `network` when it never answered. Messages never contain tokens or keys.
 */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  readonly details: unknown;
  readonly status: number | null;
  readonly network: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    init: SyncErrorInit = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.details = init.details;
    this.status = init.status ?? null;
    this.network = init.network ?? false;
  }
}

export const networkError = (message: string, cause?: unknown): SyncError =>
  new SyncError('internal', message, { network: true, cause });

/** The error a server sent, in an HTTP answer or a sync frame. */
export const syncErrorOf = (error: ErrorBody['error'], status?: number): SyncError =>
  new SyncError(error.code, error.message, { details: error.details, status });
