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

export function categoryOf(feature: AiFeature, op: AiOperation): TrustCategory | null {
  if (feature === 'assistant' && ['record.create', 'record.update', 'record.restore'].includes(op.type)) {
    return 'records';
  }
  if (feature === 'triage' && op.type === 'record.update') return 'triage';
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
  if (fromRecordText(input.provenance)) reasons.push('fromRecordText');
  if (madeUp(input.provenance)) reasons.push('notFromRequest');
  if (input.rules.requiresApproval) reasons.push('ruleRequiresApproval');
  return reasons;
}
