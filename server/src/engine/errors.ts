import type { ErrorCode } from '@enclave/shared';

/**
 * An error meant for the caller: it carries the public code and message of the one error shape.
 * Anything else thrown is an internal error and reaches the client only as `internal`.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'You do not have permission to do that') =>
  new AppError('forbidden', message);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details);
export const invalid = (message: string, details?: unknown) =>
  new AppError('validation_failed', message, details);
