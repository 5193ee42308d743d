import { z } from 'zod';
import { Actor } from '../actors';
import { IsoDateTime, Uuid } from '../ids';
import { AiOperation } from '../operations';
import { ConstitutionRule, RuleId } from './constitution';
import { ArgumentProvenance, HoldReason, RiskClass } from './plan';
import { AiFeature, TrustCategory } from './settings';

export const ProposalStatus = z.enum(['pending', 'approved', 'rejected', 'expired']);
export type ProposalStatus = z.infer<typeof ProposalStatus>;

/** One proposed operation waiting for (or given) a person's decision. */
export const Proposal = z.object({
  id: Uuid,
  status: ProposalStatus,
  feature: AiFeature,
  category: TrustCategory.nullable(),
  /** Who asked the AI; the AI acted on their behalf and with at most their rights. */
  requestedBy: Actor,
  /** The request in the person's words (for triage, drafts and summaries: what was asked for). */
  request: z.string(),
  operation: AiOperation,
  /** A short description of the operation for lists ("Update invoice INV-0089: status → paid"). */
  summary: z.string(),
  risk: RiskClass,
  provenance: z.array(ArgumentProvenance),
  reasons: z.array(HoldReason),
  fromRecordText: z.boolean(),
  confidence: z.number().min(0).max(1),
  rationale: z.string(),
  /** The rules the decision was checked against, and the constitution version they belong to. */
  ruleIds: z.array(RuleId),
  constitutionVersion: z.number().int().positive(),
  promptLogId: Uuid,
  createdAt: IsoDateTime,
  expiresAt: IsoDateTime,
  decidedBy: Actor.nullable(),
  decidedAt: IsoDateTime.nullable(),
  rejectReason: z.string().nullable(),
  /** For an approved proposal: the audit event of the change it made. */
  executedEventId: Uuid.nullable(),
  /** Whether the approver changed the operation before approving it. */
  edited: z.boolean(),
});
export type Proposal = z.infer<typeof Proposal>;

export const ProposalQuery = z.strictObject({
  status: ProposalStatus.optional(),
  /** Paging: proposals created before this one (its id). */
  before: Uuid.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type ProposalQuery = z.output<typeof ProposalQuery>;

export const ProposalPage = z.object({ items: z.array(Proposal), nextBefore: Uuid.nullable() });
export type ProposalPage = z.infer<typeof ProposalPage>;

export const ApproveProposalBody = z.strictObject({
  /** An edit of the proposed operation: the same kind, on the same record. */
  operation: AiOperation.optional(),
});
export type ApproveProposalBody = z.infer<typeof ApproveProposalBody>;

export const RejectProposalBody = z.strictObject({
  reason: z.string().trim().min(1).max(500),
  /** Adds this rule to the constitution, so the same class of exception does not come back. */
  addRule: ConstitutionRule.optional(),
});
export type RejectProposalBody = z.infer<typeof RejectProposalBody>;

export const ProposalDecided = z.object({ proposal: Proposal, eventId: Uuid.nullable() });
export type ProposalDecided = z.infer<typeof ProposalDecided>;
