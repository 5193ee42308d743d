import type { AiFeature, AiSettings } from '@enclave/shared';
import { AppError } from '../engine/errors';
import { HOW_TO_ENABLE, type AiProvider } from './provider';

/**
 * Stage 1 of the AI pipeline: switches and allowance. A request that is switched off, or whose
 * workspace has spent its allowance, ends here: no model call at all, and an answer that says
 * why and who can change it.
 */

const FEATURE_NAMES: Record<AiFeature, string> = {
  assistant: 'The assistant',
  triage: 'Ticket triage',
  draftReply: 'Draft replies',
  summary: 'Summaries',
  auditQuestions: 'Audit questions',
};

const WHO_CAN_CHANGE = 'an owner or admin of this workspace, in the console under AI settings';

export interface Allowance {
  usedTokens: number;
  allowanceTokens: number;
}

export function checkSwitches(
  settings: AiSettings,
  feature: AiFeature,
  provider: AiProvider,
  allowance: Allowance,
): void {
  if (!provider.configured) {
    throw new AppError('ai_not_configured', HOW_TO_ENABLE, { howToEnable: HOW_TO_ENABLE });
  }
  if (!settings.enabled) {
    throw new AppError(
      'ai_disabled',
      `AI is switched off for this workspace; ${WHO_CAN_CHANGE} can switch it on.`,
      {
        reason: 'master_off',
        feature,
        whoCanChange: WHO_CAN_CHANGE,
      },
    );
  }
  if (!settings.features[feature]) {
    throw new AppError(
      'ai_disabled',
      `${FEATURE_NAMES[feature]} is switched off for this workspace; ${WHO_CAN_CHANGE} can switch it on.`,
      { reason: 'feature_off', feature, whoCanChange: WHO_CAN_CHANGE },
    );
  }
  if (!settings.topUp && allowance.usedTokens >= allowance.allowanceTokens) {
    throw new AppError(
      'ai_allowance_spent',
      `This workspace has used its AI allowance for the month; AI resumes next month, or sooner if ${WHO_CAN_CHANGE} raises the allowance or allows a top-up.`,
      { reason: 'allowance_spent', feature, whoCanChange: WHO_CAN_CHANGE, ...allowance },
    );
  }
}
