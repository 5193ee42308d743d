import type { z } from 'zod';
import type { AiFeature, AiSettings, TrustCategory } from '@enclave/shared';
import type { ApiError } from '../api/client';

/**
 * The AI settings as the form holds them while they are edited: switches as they are, numbers as
 * typed, so that what someone types reaches the server as it is and the server's own validation
 * says what is wrong with it.
 */
export interface SettingsDraft {
  enabled: boolean;
  features: Record<AiFeature, boolean>;
  triageNewTickets: boolean;
  trust: Record<TrustCategory, AiSettings['trust'][TrustCategory]>;
  confidenceThreshold: string;
  monthlyAllowanceTokens: string;
  topUp: boolean;
  promptLogRetentionDays: string;
  proposalTtlHours: string;
}

export type NumberSetting =
  'confidenceThreshold' | 'monthlyAllowanceTokens' | 'promptLogRetentionDays' | 'proposalTtlHours';

export function settingsDraftOf(settings: AiSettings): SettingsDraft {
  return {
    enabled: settings.enabled,
    features: { ...settings.features },
    triageNewTickets: settings.triageNewTickets,
    trust: { ...settings.trust },
    confidenceThreshold: String(settings.confidenceThreshold),
    monthlyAllowanceTokens: String(settings.monthlyAllowanceTokens),
    topUp: settings.topUp,
    promptLogRetentionDays: String(settings.promptLogRetentionDays),
    proposalTtlHours: String(settings.proposalTtlHours),
  };
}

/**
 * A number as typed: a plain decimal becomes that number, anything else is sent as the text it is
 * (the server then says it wants a number, next to the field), never quietly as 0 or NaN. Typed as
 * the contract's number all the same: the server's validation is the one judge of the body.
 */
function typedNumber(text: string): number {
  const trimmed = text.trim();
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : (trimmed as unknown as number);
}

/** The body of `putAiSettings`; nothing is checked here, the server judges. */
export function settingsBodyOf(draft: SettingsDraft): z.input<typeof AiSettings> {
  return {
    enabled: draft.enabled,
    features: { ...draft.features },
    triageNewTickets: draft.triageNewTickets,
    trust: { ...draft.trust },
    confidenceThreshold: typedNumber(draft.confidenceThreshold),
    monthlyAllowanceTokens: typedNumber(draft.monthlyAllowanceTokens),
    topUp: draft.topUp,
    promptLogRetentionDays: typedNumber(draft.promptLogRetentionDays),
    proposalTtlHours: typedNumber(draft.proposalTtlHours),
  };
}

/** The paths of the settings body the form shows an input for (`features.triage`, `trust.records`…). */
export const SETTINGS_PATHS: readonly string[] = [
  'enabled',
  'features',
  'features.assistant',
  'features.triage',
  'features.draftReply',
  'features.summary',
  'features.auditQuestions',
  'triageNewTickets',
  'trust',
  'trust.records',
  'trust.triage',
  'confidenceThreshold',
  'monthlyAllowanceTokens',
  'topUp',
  'promptLogRetentionDays',
  'proposalTtlHours',
];

export interface PlacedSettingsIssues {
  /** By path inside the body, e.g. `confidenceThreshold`, `trust.records`. */
  byPath: Partial<Record<string, string>>;
  /** Issues no input of the form is for. */
  other: string[];
  count: number;
}

export const NO_SETTINGS_ISSUES: PlacedSettingsIssues = { byPath: {}, other: [], count: 0 };

/** Places a refusal's issues (`body.confidenceThreshold`, …) on the inputs they name. */
export function placeSettingsIssues(error: ApiError): PlacedSettingsIssues {
  const placed: PlacedSettingsIssues = { byPath: {}, other: [], count: 0 };
  for (const issue of error.issues) {
    placed.count += 1;
    const path = issue.path.replace(/^body\.?/, '');
    if (SETTINGS_PATHS.includes(path)) placed.byPath[path] ??= issue.message;
    else placed.other.push(path ? `${path}: ${issue.message}` : issue.message);
  }
  return placed;
}
