import { z } from 'zod';
import { ErrorCode, ErrorIssue } from '../errors';
import { Uuid } from '../ids';
import { AiOperation } from '../operations';
import { RuleId } from './constitution';
import { AiFeature, TrustCategory } from './settings';

/**
 * Where an argument of a proposed operation came from, decided by the server (never by the
 * model): `request` — the person's own words; `namedRecord` — a typed field (not free text) of a
 * record the request is about (the one open, or one named in the request); `recordText` —
 * text read from records, emails or the audit log, which anyone who can write a record could have
 * put there; `model` — neither: the model made it up.
 */
export const ArgumentSource = z.enum(['request', 'namedRecord', 'recordText', 'model']);
export type ArgumentSource = z.infer<typeof ArgumentSource>;

export const ArgumentProvenance = z.object({
  /** The argument's path in the operation: `id`, `data.status`, `to`, `body`. */
  path: z.string(),
  source: ArgumentSource,
  /** For `recordText`: the records whose text holds the value. */
  recordIds: z.array(z.string()),
  /** Sensitive arguments (recipients, amounts, payment details, statuses, deletion targets) never run on their own unless they came from the request. */
  sensitive: z.boolean(),
});
export type ArgumentProvenance = z.infer<typeof ArgumentProvenance>;

export const RiskClass = z.enum(['low', 'high', 'irreversible']);
export type RiskClass = z.infer<typeof RiskClass>;

/** Why an operation waits for a person instead of running. */
export const HoldReason = z.enum([
  /** The category's trust mode is Propose Only. */
  'proposeOnly',
  /** The plan's confidence is below the workspace's threshold. */
  'lowConfidence',
  'highRisk',
  'irreversible',
  /** It sends something out of the workspace. */
  'outbound',
  /** A sensitive argument came from record text. */
  'fromRecordText',
  /** A sensitive argument is in neither the request nor the records: the model made it up. */
  'notFromRequest',
  /** A constitution rule with effect `requireApproval` matched. */
  'ruleRequiresApproval',
]);
export type HoldReason = z.infer<typeof HoldReason>;

export const OperationDecision = z.object({
  /** The tool the model called (one per operation type, e.g. `record_update`). */
  tool: z.string(),
  /** null when the model called a tool that does not exist or gave it input that is not an operation. */
  operation: AiOperation.nullable(),
  category: TrustCategory.nullable(),
  risk: RiskClass,
  provenance: z.array(ArgumentProvenance),
  decision: z.enum(['executed', 'proposed', 'refused']),
  /** For `proposed`: every reason it waits. */
  reasons: z.array(HoldReason),
  /** The constitution rules this operation matched. */
  ruleIds: z.array(RuleId),
  /** Any sensitive argument came from record text: shown as "from record text". */
  fromRecordText: z.boolean(),
  proposalId: Uuid.nullable(),
  /** For `executed`: the audit event of the change. */
  eventId: Uuid.nullable(),
  /** For `refused`: why, in the product's error shape. */
  error: z
    .object({ code: ErrorCode, message: z.string(), issues: z.array(ErrorIssue).optional() })
    .nullable(),
});
export type OperationDecision = z.infer<typeof OperationDecision>;

export const RecordCitation = z.object({ id: z.string(), type: z.string(), title: z.string() });
export const EventCitation = z.object({ id: Uuid, seq: z.number().int().positive(), action: z.string() });

/** What an AI request gives back: an answer with its sources, and what became of each proposed operation. */
export const AiAnswer = z.object({
  /** The prompt log entry of this request's model call. */
  requestId: Uuid,
  feature: AiFeature,
  /** The answer, or what the plan does, in the model's words. */
  text: z.string(),
  /** Only sources that were in the model's context and that the person may read. */
  citations: z.object({ records: z.array(RecordCitation), events: z.array(EventCitation) }),
  /** Citations the model made up (not in its context), dropped. */
  droppedCitations: z.number().int().nonnegative(),
  confidence: z.number().min(0).max(1),
  rationale: z.string(),
  /** Constitution rules the plan relied on that exist. */
  ruleIds: z.array(RuleId),
  /** Rule ids the plan cited that the constitution does not have: they grant nothing. */
  unknownRuleIds: z.array(z.string()),
  constitutionVersion: z.number().int().positive(),
  operations: z.array(OperationDecision),
  usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
});
export type AiAnswer = z.infer<typeof AiAnswer>;
