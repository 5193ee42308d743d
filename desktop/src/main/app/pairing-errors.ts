import { AppError } from './app-error';
import { SyncError } from '../sync/errors';

/**
 * What a failed pairing means to the person at the keyboard. The server's codes are precise;
 * these messages say what happened and what to do next, and name no secret.
 */
export function pairingErrorOf(error: unknown): unknown {
  if (!(error instanceof SyncError) || error.network) return error;
  switch (error.code) {
    case 'invalid_credentials':
      return new AppError('invalid_credentials', 'That pairing code is not right. Check it and try again.');
    case 'gone':
      return new AppError(
        'gone',
        'That pairing code has expired or was already used. Ask for a new code in the web console.',
      );
    case 'validation_failed':
      return new AppError(
        'validation_failed',
        'That is not a pairing code: it has 20 letters and digits, like ABCD-EFGH-JKMN-PQRS-TVWX.',
        error.details,
      );
    case 'rate_limited':
      return new AppError('rate_limited', 'Too many pairing attempts. Wait a minute and try again.');
    case 'bad_request':
      return new AppError('bad_request', error.message);
    default:
      return error;
  }
}
