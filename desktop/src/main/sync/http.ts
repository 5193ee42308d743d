import { ErrorBody, type ErrorCode } from '@enclave/shared';
import { networkError, SyncError, syncErrorOf } from './errors';

/** What this module needs of a zod schema, so that desktop does not depend on zod itself. */
export interface Schema<T> {
  safeParse(input: unknown): { success: true; data: T } | { success: false };
}

export type FetchImpl = typeof fetch;

export interface ApiRequest {
  method: 'GET' | 'POST';
  serverUrl: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  token?: string;
  signal?: AbortSignal;
  fetch?: FetchImpl;
}

/** `path` is appended to the server URL, so a server behind a path prefix keeps it. */
export function apiUrl(serverUrl: string, path: string, query?: Record<string, string>): string {
  const base = new URL(serverUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new SyncError('bad_request', 'The server address must start with https:// or http://');
  }
  base.pathname = base.pathname.replace(/\/+$/, '') + path;
  base.search = query === undefined ? '' : new URLSearchParams(query).toString();
  base.hash = '';
  return base.toString();
}

export function webSocketUrl(serverUrl: string, path: string): string {
  const url = new URL(apiUrl(serverUrl, path));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export async function requestJson<T>(request: ApiRequest, schema: Schema<T>): Promise<T> {
  const { status, text } = await send(request);
  const parsed = schema.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new SyncError('internal', 'The server sent an answer this app does not understand', { status });
  }
  return parsed.data;
}

export async function requestNoContent(request: ApiRequest): Promise<void> {
  await send(request);
}

async function send(request: ApiRequest): Promise<{ status: number; text: string }> {
  const fetchImpl = request.fetch ?? fetch;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(apiUrl(request.serverUrl, request.path, request.query), {
      method: request.method,
      headers,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      signal: request.signal ?? null,
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof SyncError) throw error;
    throw networkError('The server could not be reached', error);
  }
  if (!response.ok) throw errorFromAnswer(response.status, text);
  return { status: response.status, text };
}

/** The server's error from a refused request; a body that is not ours (a proxy's page) falls back on the status. */
export function errorFromAnswer(status: number, text: string): SyncError {
  const parsed = ErrorBody.safeParse(parseJson(text));
  if (parsed.success) return syncErrorOf(parsed.data.error, status);
  // A gateway error means the server behind it is down: the same as unreachable.
  const network = status === 502 || status === 503 || status === 504;
  return new SyncError(codeOfStatus(status), `The server answered with HTTP ${String(status)}`, {
    status,
    network,
  });
}

function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 410:
      return 'gone';
    case 413:
      return 'payload_too_large';
    case 426:
      return 'update_required';
    case 429:
      return 'rate_limited';
    default:
      return 'internal';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
