import type { AiSettings, UsageAlert, UsageSummary } from '@enclave/shared';
import { alertKey } from '../engine/ai-ops';
import type { UsageAggregate, WorkspaceStore } from '../store/types';

/**
 * The usage ledger: tokens per call, per feature and per person, against the workspace's monthly
 * allowance (calendar months, UTC). Alerts at 80% and 100% fire once a month each (an audit
 * event, a banner, an email to owners and admins); at 100% AI pauses unless a top-up is allowed.
 */

export interface Month {
  month: string;
  from: string;
  to: string;
}

export function monthOf(now: Date): Month {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { month: start.toISOString().slice(0, 7), from: start.toISOString(), to: end.toISOString() };
}

export const tokensOf = (rows: readonly UsageAggregate[]) =>
  rows.reduce((sum, r) => sum + r.inputTokens + r.outputTokens, 0);

/** The alerts a month's use has reached, lowest first. */
export function alertsReached(used: number, allowance: number): UsageAlert[] {
  if (allowance === 0) return ['80', '100'];
  const reached: UsageAlert[] = [];
  if (used >= allowance * 0.8) reached.push('80');
  if (used >= allowance) reached.push('100');
  return reached;
}

export async function summariseUsage(
  ws: WorkspaceStore,
  settings: AiSettings,
  now: Date,
  visibleTo: { userId: string; everyone: boolean },
): Promise<UsageSummary> {
  const month = monthOf(now);
  const rows = await ws.usageBetween(month.from, month.to);
  const usedTokens = tokensOf(rows);
  const byFeature = new Map<string, { inputTokens: number; outputTokens: number; calls: number }>();
  const byPerson = new Map<
    string,
    { label: string; inputTokens: number; outputTokens: number; calls: number }
  >();
  for (const row of rows) {
    const f = byFeature.get(row.feature) ?? { inputTokens: 0, outputTokens: 0, calls: 0 };
    byFeature.set(row.feature, {
      inputTokens: f.inputTokens + row.inputTokens,
      outputTokens: f.outputTokens + row.outputTokens,
      calls: f.calls + row.calls,
    });
    if (!visibleTo.everyone && row.userId !== visibleTo.userId) continue;
    const p = byPerson.get(row.userId) ?? { label: row.userLabel, inputTokens: 0, outputTokens: 0, calls: 0 };
    byPerson.set(row.userId, {
      label: p.label,
      inputTokens: p.inputTokens + row.inputTokens,
      outputTokens: p.outputTokens + row.outputTokens,
      calls: p.calls + row.calls,
    });
  }
  let alert: UsageAlert | null = null;
  for (const threshold of ['80', '100'] as const) {
    if ((await ws.getMeta(alertKey(month.month, threshold))) !== null) alert = threshold;
  }
  return {
    month: month.month,
    allowanceTokens: settings.monthlyAllowanceTokens,
    usedTokens,
    topUp: settings.topUp,
    paused: !settings.topUp && usedTokens >= settings.monthlyAllowanceTokens,
    alert,
    byFeature: [...byFeature].map(([feature, totals]) => ({
      feature: feature as UsageSummary['byFeature'][number]['feature'],
      ...totals,
    })),
    byPerson: [...byPerson].map(([userId, { label, ...totals }]) => ({ userId, label, ...totals })),
  };
}
