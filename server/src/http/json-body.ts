import express, { type RequestHandler } from 'express';
import { AppError } from '../engine/errors';
import { JsonInputError, parseJson } from '../json/parse-json';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * Reads a JSON body with the one parser that sync frames use too (server/src/json): the bytes are
 * read (size limit, Content-Encoding) by body-parser, then decoded as strict UTF-8 and parsed by
 * parseJson. Only objects and arrays are bodies; an empty body reads as `{}`.
 */
export function jsonBody(limit: number): RequestHandler[] {
  const read = express.raw({ type: 'application/json', limit });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parse: RequestHandler = (req, _res, next) => {
    const bytes: unknown = req.body;
    if (!Buffer.isBuffer(bytes)) return next();
    const charset = CHARSET.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return next(new AppError('unsupported_media_type', 'Send JSON encoded as UTF-8'));
    }
    if (bytes.length === 0) {
      req.body = {};
      return next();
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return next(new AppError('bad_request', 'The request body is not valid UTF-8'));
    }
    const first = /[^ \t\n\r]/.exec(text)?.[0];
    if (first !== '{' && first !== '[') {
      return next(new AppError('bad_request', 'The request body must be a JSON object'));
    }
    try {
      req.body = parseJson(text);
    } catch (error) {
      if (!(error instanceof JsonInputError)) return next(error);
      return next(
        new AppError(
          'bad_request',
          error.reason === 'syntax'
            ? 'The request body is not valid JSON'
            : `The request body is not accepted: ${error.message}`,
        ),
      );
    }
    next();
  };
  return [read, parse];
}
