import { describe, expect, it } from 'vitest';
import { AiSettings, DEFAULT_AI_SETTINGS } from '@enclave/shared';
import { ApiError } from '../api/client';
import { placeSettingsIssues, settingsBodyOf, settingsDraftOf } from './settings-draft';

describe('the AI settings draft', () => {
  it('sends back what it was made from, unchanged', () => {
    const settings: AiSettings = {
      ...DEFAULT_AI_SETTINGS,
      enabled: true,
      trust: { records: 'trustedAuto', triage: 'proposeOnly' },
      confidenceThreshold: 0.85,
    };
    expect(settingsBodyOf(settingsDraftOf(settings))).toEqual(settings);
  });

  it('sends numbers as typed, and text that is no number as the text, for the server to judge', () => {
    const draft = {
      ...settingsDraftOf(DEFAULT_AI_SETTINGS),
      confidenceThreshold: ' 0.3 ',
      monthlyAllowanceTokens: '12abc',
      promptLogRetentionDays: '',
    };
    const body = settingsBodyOf(draft);
    expect(body.confidenceThreshold).toBe(0.3);
    expect(body.monthlyAllowanceTokens).toBe('12abc');
    expect(body.promptLogRetentionDays).toBe('');
    // What the contract says of it is what the server will say.
    const refused = AiSettings.safeParse(body);
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'confidenceThreshold',
      'monthlyAllowanceTokens',
      'promptLogRetentionDays',
    ]);
  });

  it('places the server’s issues on the inputs their paths name, and keeps the rest apart', () => {
    const error = new ApiError('validation_failed', 'Invalid body', 400, [
      { path: 'body.confidenceThreshold', message: 'Too small: expected number to be >=0.5' },
      { path: 'body.trust.records', message: 'Invalid option' },
      { path: 'body', message: 'Unrecognized key: "extra"' },
    ]);
    expect(placeSettingsIssues(error)).toEqual({
      byPath: {
        confidenceThreshold: 'Too small: expected number to be >=0.5',
        'trust.records': 'Invalid option',
      },
      other: ['Unrecognized key: "extra"'],
      count: 3,
    });
  });

  it('has no issues to place for a refusal that is not about the input', () => {
    const error = new ApiError('forbidden', 'Only owners and admins may change the AI settings', 403);
    expect(placeSettingsIssues(error)).toEqual({ byPath: {}, other: [], count: 0 });
  });
});
