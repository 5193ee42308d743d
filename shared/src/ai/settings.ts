import { z } from 'zod';

/** Each AI feature has its own switch, under the workspace's master switch. */
export const AiFeature = z.enum(['assistant', 'triage', 'draftReply', 'summary', 'auditQuestions']);
export type AiFeature = z.infer<typeof AiFeature>;

/**
 * The categories of proposed changes that a trust mode applies to: changes to records asked
 * for in the assistant, and triage suggestions on tickets. Deletions, undo and anything outbound
 * are never in a category that can run on its own: they always wait for a person.
 */
export const TrustCategory = z.enum(['records', 'triage']);
export type TrustCategory = z.infer<typeof TrustCategory>;

/**
 * `trustedAuto`: low-risk operations run at once when the model's confidence reaches the
 * workspace's threshold (and nothing else holds them back); `proposeOnly`: everything waits.
 */
export const TrustMode = z.enum(['trustedAuto', 'proposeOnly']);
export type TrustMode = z.infer<typeof TrustMode>;

export const AiSettings = z.strictObject({
  /** The master switch: off, no AI feature makes a model call. */
  enabled: z.boolean(),
  features: z.strictObject({
    assistant: z.boolean(),
    triage: z.boolean(),
    draftReply: z.boolean(),
    summary: z.boolean(),
    auditQuestions: z.boolean(),
  }),
  /**
   * With triage on: every new ticket is triaged as it is made, on behalf of the person who made it
   * (its suggestions then run or wait like any other). Off: triage runs only when asked for.
   * Settings saved before this switch existed read as on.
   */
  triageNewTickets: z.boolean().default(true),
  trust: z.strictObject({ records: TrustMode, triage: TrustMode }),
  /** The confidence a plan needs (0.5–1) for Trusted Auto to run its low-risk operations. */
  confidenceThreshold: z.number().min(0.5).max(1),
  /** Tokens (input + output) a calendar month (UTC) may use. */
  monthlyAllowanceTokens: z.number().int().min(0).max(1_000_000_000_000),
  /** Past the allowance, AI goes on instead of pausing (an admin's explicit choice). */
  topUp: z.boolean(),
  /** Days a prompt log entry is kept before it is swept. */
  promptLogRetentionDays: z.number().int().min(1).max(365),
  /** Hours a proposal waits for a decision before it expires. */
  proposalTtlHours: z.number().int().min(1).max(720),
});
export type AiSettings = z.infer<typeof AiSettings>;

/** What a new workspace starts with: AI off until an owner or admin turns it on, and nothing runs unasked. */
export const DEFAULT_AI_SETTINGS: AiSettings = {
  enabled: false,
  features: { assistant: true, triage: true, draftReply: true, summary: true, auditQuestions: true },
  triageNewTickets: true,
  trust: { records: 'proposeOnly', triage: 'proposeOnly' },
  confidenceThreshold: 0.9,
  monthlyAllowanceTokens: 2_000_000,
  topUp: false,
  promptLogRetentionDays: 30,
  proposalTtlHours: 168,
};

export const AiSettingsView = z.object({
  settings: AiSettings,
  /** Whether the server has a model provider configured (an API key in its environment). */
  provider: z.object({ configured: z.boolean(), model: z.string().nullable() }),
  /** What to do to make AI available, when it is not; null when it is. */
  howToEnable: z.string().nullable(),
});
export type AiSettingsView = z.infer<typeof AiSettingsView>;
