import type { z } from 'zod';
import {
  ErrorBody,
  issuesIn,
  routes,
  type ErrorCode,
  type ErrorIssue,
  type RouteName,
} from '@enclave/shared';

type Route<N extends RouteName> = (typeof routes)[N];

/** What a call sends: path parameters, query and body, each as its contract in shared/ takes it. */
export type CallInput<N extends RouteName> = (Route<N> extends { params: z.ZodType }
  ? { params: z.input<Route<N>['params']> }
  : { params?: never }) &
  (Route<N> extends { query: z.ZodType } ? { query?: z.input<Route<N>['query']> } : { query?: never }) &
  (Route<N> extends { body: z.ZodType } ? { body: z.input<Route<N>['body']> } : { body?: never });

/** What a call answers: the success body its contract declares, or nothing (204). */
export type CallOutput<N extends RouteName> =
  Route<N> extends { response: z.ZodType } ? z.output<Route<N>['response']> : undefined;

/** A refusal from the server, in the one error shape; `status` 0 when it could not be reached. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ErrorCode | 'server_unreachable',
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The field issues of a `validation_failed` refusal (paths and messages), or none. */
  get issues(): ErrorIssue[] {
    return issuesIn(this.code, this.details);
  }

  /** The message of the issue at `path` (e.g. `fields.0.key`), for showing next to its field. */
  issueAt(path: string): string | undefined {
    return this.issues.find((issue) => issue.path === path)?.message;
  }
}

export function asApiError(failure: unknown): ApiError {
  if (failure instanceof ApiError) return failure;
  return new ApiError('internal', failure instanceof Error ? failure.message : String(failure), 0);
}

/** Listeners told when any call answers 401: the session is gone, the console goes to sign-in. */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

function pathOf(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
    const value = params?.[name];
    if (typeof value !== 'string') throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The URL of a route, for links and downloads (exports). */
export function urlOf<N extends RouteName>(name: N, input: CallInput<N>): string {
  const route: { path: string } = routes[name];
  const { params, query } = input as { params?: Record<string, unknown>; query?: Record<string, unknown> };
  return pathOf(route.path, params) + queryString(query);
}

async function errorOf(response: Response): Promise<ApiError> {
  const parsed = ErrorBody.safeParse(await response.json().catch(() => null));
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new ApiError(code, message, response.status, details);
  }
  return new ApiError(
    'internal',
    `The server answered ${response.status} without an explanation`,
    response.status,
  );
}

/**
 * Calls one endpoint of the public HTTP API, by its name in the route table of shared/. The
 * session cookie goes along (HttpOnly: this code never sees it); the answer is checked against the
 * route's response contract, so a page never renders a shape it did not expect.
 */
export async function call<N extends RouteName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
  const route: { method: string; path: string; body?: z.ZodType; response?: z.ZodType } = routes[name];
  const { body } = input as { body?: unknown };
  let response: Response;
  try {
    response = await fetch(urlOf(name, input), {
      method: route.method.toUpperCase(),
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('server_unreachable', 'The server could not be reached. Check your connection.', 0);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (error.status === 401 && name !== 'signIn' && name !== 'me')
      for (const listener of signedOutListeners) listener();
    throw error;
  }
  if (!route.response || response.status === 204) return undefined as CallOutput<N>;
  const parsed = route.response.safeParse(await response.json());
  if (!parsed.success) {
    throw new ApiError(
      'internal',
      'The server answered in a shape this console does not understand',
      response.status,
    );
  }
  return parsed.data as CallOutput<N>;
}
