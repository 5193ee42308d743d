import { z } from 'zod';
import { IsoDateTime, Uuid } from '../ids';
import { AiFeature } from './settings';

export const UsageAlert = z.enum(['80', '100']);
export type UsageAlert = z.infer<typeof UsageAlert>;

export const UsageTotals = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  calls: z.number().int().nonnegative(),
});
export type UsageTotals = z.infer<typeof UsageTotals>;

/** A workspace's AI usage this calendar month (UTC), against its allowance. */
export const UsageSummary = z.object({
  /** `YYYY-MM`. */
  month: z.string().regex(/^\d{4}-\d{2}$/),
  allowanceTokens: z.number().int().nonnegative(),
  usedTokens: z.number().int().nonnegative(),
  topUp: z.boolean(),
  /** The allowance is spent and no top-up is allowed: AI makes no call until next month. */
  paused: z.boolean(),
  /** The highest alert reached this month, for the console's banner. */
  alert: UsageAlert.nullable(),
  byFeature: z.array(UsageTotals.extend({ feature: AiFeature })),
  byPerson: z.array(UsageTotals.extend({ userId: Uuid, label: z.string() })),
});
export type UsageSummary = z.infer<typeof UsageSummary>;

/** One model call as it was sent (secrets removed before it ever was) and as it came back. */
export const PromptLogEntry = z.object({
  id: Uuid,
  time: IsoDateTime,
  userId: Uuid,
  feature: AiFeature,
  model: z.string(),
  /** The request body sent to the provider. */
  request: z.unknown(),
  /** The provider's answer, or null when the call failed. */
  response: z.unknown().nullable(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  latencyMs: z.number().int().nonnegative(),
  outcome: z.enum(['ok', 'error']),
  error: z.string().nullable(),
});
export type PromptLogEntry = z.infer<typeof PromptLogEntry>;

export const PromptLogQuery = z.strictObject({
  before: Uuid.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type PromptLogQuery = z.output<typeof PromptLogQuery>;

export const PromptLogPage = z.object({ items: z.array(PromptLogEntry), nextBefore: Uuid.nullable() });
export type PromptLogPage = z.infer<typeof PromptLogPage>;
