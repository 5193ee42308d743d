import { useMemo } from 'react';
import { AiFeature, type UsageSummary, type UsageTotals } from '@enclave/shared';
import { ErrorNote, Icon, Spinner } from '@enclave/ui';
import { call } from '../api/client';
import { useResource } from '../api/use-resource';
import { Link } from '../app/router';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import { FEATURE_SWITCHES, tokens } from './ai-settings-words';
import { PromptLog } from './PromptLog';
import './ai-settings.css';

/**
 * This month's AI usage against the allowance, by feature and by person, and — for owners and
 * admins — the prompt log: every model call as it was sent and as it came back. Members see the
 * workspace's total and their own use.
 */
export function AiUsagePage() {
  const { workspace, isAdmin } = useWorkspace();
  const workspaceId = workspace.id;
  const usage = useResource(`ai-usage:${workspaceId}`, () => call('aiUsage', { params: { workspaceId } }));
  // Usage and the prompt log name people by id (and the address they had): the members list has their names.
  const members = useResource(`members:${workspaceId}`, () =>
    call('listMembers', { params: { workspaceId } }),
  );
  const names = useMemo(
    () => (members.data ? new Map(members.data.items.map((m) => [m.userId, m.name])) : null),
    [members.data],
  );
  return (
    <div className="page console-page ai-settings-page" data-testid="ai-usage-page">
      <PageHeader
        title="AI usage"
        intro="Tokens the AI used this calendar month (UTC), against the workspace’s monthly allowance."
      />
      {usage.error && <ErrorNote error={usage.error} testId="ai-usage-error" />}
      {!usage.data && !usage.error && <Spinner label="Loading this month’s usage" />}
      {usage.data && <UsageView summary={usage.data} names={names} />}
      {isAdmin ? (
        <PromptLog key={workspaceId} workspaceId={workspaceId} names={names} />
      ) : (
        <section aria-label="Prompt log">
          <p className="hint" data-testid="prompt-log-admins-only">
            The prompt log, what was sent to the model and what came back, is for owners and admins.
          </p>
        </section>
      )}
    </div>
  );
}

const total = (t: UsageTotals) => t.inputTokens + t.outputTokens;

function UsageView({ summary, names }: { summary: UsageSummary; names: ReadonlyMap<string, string> | null }) {
  const { workspace, isAdmin } = useWorkspace();
  const share = summary.allowanceTokens === 0 ? 1 : summary.usedTokens / summary.allowanceTokens;
  const percent = Math.floor(share * 100);
  const byFeature = AiFeature.options.flatMap((feature) =>
    summary.byFeature.filter((f) => f.feature === feature),
  );
  const settingsLink = <Link to={`/w/${workspace.id}/ai`}>AI settings</Link>;
  return (
    <>
      <section className="settings-group ai-settings-group usage-summary" aria-labelledby="usage-month-title">
        <h2 id="usage-month-title">This month ({summary.month})</h2>
        <div
          className={
            summary.paused
              ? 'progress usage-bar paused'
              : percent >= 80
                ? 'progress usage-bar high'
                : 'progress usage-bar'
          }
          role="progressbar"
          aria-label="Tokens used of the monthly allowance"
          aria-valuemin={0}
          aria-valuemax={summary.allowanceTokens}
          aria-valuenow={Math.min(summary.usedTokens, summary.allowanceTokens)}
          aria-valuetext={`${tokens(summary.usedTokens)} of ${tokens(summary.allowanceTokens)} tokens`}
          data-testid="usage-bar"
        >
          <div className="progress-fill" style={{ width: `${String(Math.min(100, share * 100))}%` }} />
        </div>
        <p className="usage-figures" data-testid="usage-figures">
          <strong>{tokens(summary.usedTokens)}</strong> of {tokens(summary.allowanceTokens)} tokens used (
          {percent}%)
        </p>
        {summary.paused ? (
          <div className="notice danger" data-testid="usage-paused">
            <Icon name="alert" />
            <div>
              <strong>AI is paused: this month’s allowance is spent.</strong>
              <p>
                No AI feature makes a model call until next month
                {isAdmin ? (
                  <>, unless you raise the allowance or allow a top-up in the {settingsLink}.</>
                ) : (
                  ', unless an owner or admin raises the allowance or allows a top-up.'
                )}
              </p>
            </div>
          </div>
        ) : (
          <p className="hint" data-testid="usage-top-up">
            {summary.topUp
              ? 'A top-up is allowed: past the allowance, AI goes on.'
              : 'No top-up: at the allowance, AI pauses until next month.'}
          </p>
        )}
      </section>

      <section className="console-section" aria-labelledby="usage-feature-title">
        <h2 id="usage-feature-title">By feature</h2>
        {byFeature.length === 0 ? (
          <p className="muted" data-testid="usage-by-feature-empty">
            No AI calls this month.
          </p>
        ) : (
          <TotalsTable
            caption="Usage by feature this month"
            head="Feature"
            rows={byFeature.map((row) => ({
              key: row.feature,
              name: FEATURE_SWITCHES[row.feature].label,
              totals: row,
            }))}
            testId="usage-by-feature"
          />
        )}
      </section>

      <section className="console-section" aria-labelledby="usage-person-title">
        <h2 id="usage-person-title">{isAdmin ? 'By person' : 'Your use'}</h2>
        {summary.byPerson.length === 0 ? (
          <p className="muted" data-testid="usage-by-person-empty">
            {isAdmin ? 'Nobody used the AI this month.' : 'You have not used the AI this month.'}
          </p>
        ) : (
          <TotalsTable
            caption={isAdmin ? 'Usage by person this month' : 'Your usage this month'}
            head="Person"
            rows={summary.byPerson.map((row) => {
              const name = names?.get(row.userId);
              return {
                key: row.userId,
                name: name ?? row.label,
                detail: name ? row.label : undefined,
                totals: row,
              };
            })}
            testId="usage-by-person"
          />
        )}
      </section>
    </>
  );
}

function TotalsTable({
  caption,
  head,
  rows,
  testId,
}: {
  caption: string;
  head: string;
  rows: { key: string; name: string; detail?: string | undefined; totals: UsageTotals }[];
  testId: string;
}) {
  return (
    <table className="data-table usage-table" data-testid={testId}>
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{head}</th>
          <th scope="col" className="number">
            Calls
          </th>
          <th scope="col" className="number">
            Tokens in
          </th>
          <th scope="col" className="number">
            Tokens out
          </th>
          <th scope="col" className="number">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ key, name, detail, totals }) => (
          <tr key={key} data-testid={`${testId}-row`} data-key={key}>
            <th scope="row">
              {name}
              {detail && <span className="usage-detail muted">{detail}</span>}
            </th>
            <td className="number">{tokens(totals.calls)}</td>
            <td className="number">{tokens(totals.inputTokens)}</td>
            <td className="number">{tokens(totals.outputTokens)}</td>
            <td className="number" data-testid={`${testId}-total`}>
              {tokens(total(totals))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
