import { z } from 'zod';

/** Every error the product returns, over HTTP, sync or IPC, has this one shape. */
export const ErrorCode = z.enum([
  'bad_request',
  'validation_failed',
  'unauthorized',
  'invalid_credentials',
  'email_not_verified',
  'forbidden',
  'origin_mismatch',
  'not_found',
  'conflict',
  'gone',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'setup_unavailable',
  'signup_closed',
  /** The device was revoked; `details.wipe` says whether it must delete its local data. */
  'device_revoked',
  /** The client speaks a protocol version this server does not. */
  'update_required',
  /** Desktop only: the server could not be reached (offline, wrong address, server down). */
  'server_unreachable',
  /** Desktop only: the OS keychain cannot be used, so no secret can be stored safely. */
  'keychain_unavailable',
  /** The workspace's database is missing or damaged; its data cannot be served until it is restored. */
  'workspace_unavailable',
  /** The server's disk is full: nothing was written. */
  'storage_full',
  /** An AI feature or the workspace's AI is switched off; `details.whoCanChange` says who can turn it on. */
  'ai_disabled',
  /** The server has no model provider configured; `details.howToEnable` says what to set. */
  'ai_not_configured',
  /** The workspace's monthly AI allowance is spent and no top-up is allowed. */
  'ai_allowance_spent',
  /** The model provider failed, was overloaded or did not answer in time: nothing was changed. */
  'ai_unavailable',
  /** The model's answer could not be used as a plan: nothing was changed. */
  'ai_plan_invalid',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorIssue = z.object({
  path: z.string(),
  message: z.string(),
});
export type ErrorIssue = z.infer<typeof ErrorIssue>;

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The HTTP status that goes with each code; sync and IPC carry the code alone. */
export const httpStatusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  email_not_verified: 403,
  forbidden: 403,
  origin_mismatch: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  setup_unavailable: 410,
  signup_closed: 403,
  device_revoked: 401,
  update_required: 426,
  server_unreachable: 503,
  keychain_unavailable: 503,
  workspace_unavailable: 503,
  storage_full: 507,
  ai_disabled: 403,
  ai_not_configured: 503,
  ai_allowance_spent: 429,
  ai_unavailable: 503,
  ai_plan_invalid: 502,
  internal: 500,
};

/** Turns zod issues into the `details` of a validation error: paths and messages, never input values. */
export function issuesOf(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/**
 * The field issues a client can show from a refusal's `details`: only a `validation_failed` carries
 * them, and anything in `details` that is not an issue is dropped rather than trusted.
 */
export function issuesIn(code: string, details: unknown): ErrorIssue[] {
  if (code !== 'validation_failed' || !Array.isArray(details)) return [];
  return details.flatMap((issue: unknown) => {
    const parsed = ErrorIssue.safeParse(issue);
    return parsed.success ? [parsed.data] : [];
  });
}
