import type {
  AiFeature,
  AiOperation,
  AiSettings,
  ArgumentProvenance,
  HoldReason,
  RiskClass,
  TrustCategory,
} from '@enclave/shared';
import type { RuleCheck } from './constitution';
import { fromRecordText, madeUp } from './provenance';

/**
 * Stage 8 of the AI pipeline: the trust mode. An operation runs on its own only when all of this
 * holds: its category is in Trusted Auto, it is low-risk, the plan's confidence reaches the
 * workspace's threshold, no rule asks for a person, and no sensitive argument came from record
 * text or from nowhere. Everything else is filed as a proposal, with every reason it waits.
 */

/** Triage may run on its own only on the ticket it triages; anything else it proposes waits. */
export function categoryOf(
  feature: AiFeature,
  op: AiOperation,
  focusId: string | null,
): TrustCategory | null {
  if (feature === 'assistant' && ['record.create', 'record.update', 'record.restore'].includes(op.type)) {
    return 'records';
  }
  if (feature === 'triage' && op.type === 'record.update' && op.id === focusId) return 'triage';
  return null;
}

export interface TrustInput {
  op: AiOperation;
  category: TrustCategory | null;
  risk: RiskClass;
  provenance: readonly ArgumentProvenance[];
  rules: RuleCheck;
  confidence: number;
  settings: AiSettings;
}

export function holdReasons(input: TrustInput): HoldReason[] {
  const reasons: HoldReason[] = [];
  const mode = input.category === null ? 'proposeOnly' : input.settings.trust[input.category];
  if (mode === 'proposeOnly') reasons.push('proposeOnly');
  if (input.confidence < input.settings.confidenceThreshold) reasons.push('lowConfidence');
  if (input.risk === 'high') reasons.push('highRisk');
  if (input.risk === 'irreversible') reasons.push('irreversible');
  if (input.op.type === 'outbox.send') reasons.push('outbound');
  // In the assistant, what runs on its own is what the person asked for: any value lifted from
  // others' text holds it, sensitive or not (a due date moved, a name changed).
  if (
    fromRecordText(input.provenance) ||
    (input.category === 'records' && input.provenance.some((p) => p.source === 'recordText'))
  ) {
    reasons.push('fromRecordText');
  }
  if (madeUp(input.provenance)) reasons.push('notFromRequest');
  if (input.rules.requiresApproval) reasons.push('ruleRequiresApproval');
  return reasons;
}
