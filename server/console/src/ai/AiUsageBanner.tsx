import type { UsageSummary } from '@enclave/shared';
import './ai-settings.css';
import { Icon } from '@enclave/ui';
import { call } from '../api/client';
import { useResource } from '../api/use-resource';
import { Link } from '../app/router';

/** The alert in words, when AI goes on (paused is said apart). */
function alertWords(summary: UsageSummary): string {
  if (summary.alert !== '100') return 'This workspace has used 80% of its AI allowance this month.';
  return summary.topUp
    ? 'This workspace has used all of its AI allowance this month; a top-up is allowed, so AI goes on.'
    : 'This workspace reached its AI allowance this month; the allowance was raised since, so AI goes on.';
}

interface BannerState {
  summary: UsageSummary;
  aiOn: boolean;
}

/**
 * The workspace shell's word on the AI allowance: at 80% of it, and when AI is paused because it
 * is spent. Loaded once per workspace visit (the shell keys it by workspace): the usage summary is
 * one cheap read, and the settings are read only when there is an alert, since nobody needs to
 * hear about the allowance of AI that is switched off. A failure shows nothing: the usage page
 * says it in full.
 */
export function AiUsageBanner({ workspaceId }: { workspaceId: string }) {
  const state = useResource<BannerState | null>(`ai-banner:${workspaceId}`, async () => {
    const summary = await call('aiUsage', { params: { workspaceId } });
    if (summary.alert === null) return null;
    const view = await call('getAiSettings', { params: { workspaceId } });
    return { summary, aiOn: view.settings.enabled };
  });
  if (!state.data?.aiOn) return null;
  const { summary } = state.data;
  const usage = (
    <Link to={`/w/${workspaceId}/usage`} data-testid="ai-usage-banner-link">
      See this month’s usage
    </Link>
  );
  if (summary.paused)
    return (
      <div
        className="banner ai-usage-banner paused"
        role="status"
        data-testid="ai-usage-banner"
        data-alert="paused"
      >
        <Icon name="alert" />
        <span>
          <strong>AI is paused: the allowance is spent.</strong> It comes back next month, or when an owner or
          admin raises the allowance or allows a top-up. {usage}
        </span>
      </div>
    );
  return (
    <div
      className="banner warning ai-usage-banner"
      role="status"
      data-testid="ai-usage-banner"
      data-alert={summary.alert}
    >
      <Icon name="alert" />
      <span>
        <strong>{alertWords(summary)}</strong> {usage}
      </span>
    </div>
  );
}
