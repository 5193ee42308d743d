import type { ErrorRequestHandler, Response } from 'express';
import { httpStatusOf, type ErrorBody, type ErrorCode } from '@enclave/shared';
import { AppError } from '../engine/errors';
import type { Logger } from '../logger';

export function sendError(res: Response, code: ErrorCode, message: string, details?: unknown): void {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  res.status(httpStatusOf[code]).json(body);
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * The last middleware: every failure leaves as the one error shape. Expected errors keep their
 * code; anything else is logged with its stack and reaches the client as a bare `internal`.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof AppError) {
      sendError(res, error.code, error.message, error.details);
      return;
    }
    const parserError = error as BodyParserError;
    switch (parserError.type) {
      case 'entity.too.large':
        sendError(res, 'payload_too_large', 'The request body is too large');
        return;
      case 'entity.parse.failed':
        sendError(res, 'bad_request', 'The request body is not valid JSON');
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        sendError(res, 'unsupported_media_type', 'Send JSON encoded as UTF-8');
        return;
      case 'request.aborted':
        return;
    }
    if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
      sendError(res, 'bad_request', 'The request could not be read');
      return;
    }
    logger.error({ err: error, requestId: req.id }, 'unhandled error');
    sendError(res, 'internal', 'Something went wrong on our side; the request id helps us find it');
  };
}
