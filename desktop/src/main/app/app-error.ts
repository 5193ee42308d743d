import type { ErrorBody, ErrorCode } from '@enclave/shared';
import { KeychainUnavailableError } from '../keychain';
import { SyncError } from '../sync/errors';

/** An expected refusal of the app's main process, carried to the renderer in the one error shape. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type ErrorPayload = ErrorBody['error'];

/**
 * The error shape of anything main throws. Expected errors keep their code and message (written
 * for users, free of secrets); anything else becomes a bare `internal`, and `onUnexpected` gets
 * the original for the log.
 */
export function errorPayloadOf(error: unknown, onUnexpected?: (error: unknown) => void): ErrorPayload {
  if (error instanceof AppError) return withDetails(error.code, error.message, error.details);
  if (error instanceof KeychainUnavailableError) {
    return { code: 'keychain_unavailable', message: error.message };
  }
  if (error instanceof SyncError) {
    if (error.network) {
      return {
        code: 'server_unreachable',
        message: 'The server could not be reached. Check the address and your connection.',
      };
    }
    return withDetails(error.code, error.message, error.details);
  }
  onUnexpected?.(error);
  return {
    code: 'internal',
    message: 'Something went wrong in the app. Try again; if it persists, restart Enclave.',
  };
}

function withDetails(code: ErrorCode, message: string, details: unknown): ErrorPayload {
  return details === undefined ? { code, message } : { code, message, details };
}
