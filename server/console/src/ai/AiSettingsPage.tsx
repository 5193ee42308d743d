import { useEffect, useId, useRef, useState, type ReactNode, type SyntheticEvent } from 'react';
import { AiFeature, TrustCategory, TrustMode, type AiSettings, type AiSettingsView } from '@enclave/shared';
import { ErrorNote, Icon, Spinner } from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useResource } from '../api/use-resource';
import { Link, useQuery } from '../app/router';
import { useWorkspace } from '../app/workspace';
import { Field } from '../auth/auth-form';
import { PageHeader } from '../layout/ConsoleShell';
import { ALWAYS_WAITS, FEATURE_SWITCHES, tokens, TRUST_CATEGORIES, TRUST_MODES } from './ai-settings-words';
import { ConstitutionPanel } from './ConstitutionPanel';
import {
  NO_SETTINGS_ISSUES,
  placeSettingsIssues,
  settingsBodyOf,
  settingsDraftOf,
  type NumberSetting,
  type PlacedSettingsIssues,
  type SettingsDraft,
} from './settings-draft';
import './ai-settings.css';

type Tab = 'settings' | 'constitution';

/**
 * The workspace's AI settings and, on a tab of its own (`?tab=constitution`), its constitution.
 * Owners and admins change both; members read them. The server validates every change and
 * decides every request whatever this page shows.
 */
export function AiSettingsPage() {
  const { workspace, isAdmin } = useWorkspace();
  const query = useQuery();
  const tab: Tab = query.get('tab') === 'constitution' ? 'constitution' : 'settings';
  const base = `/w/${workspace.id}/ai`;
  return (
    <div className="page console-page ai-settings-page" data-testid="ai-settings-page">
      <PageHeader
        title="AI settings"
        intro={
          isAdmin
            ? 'What the AI may do in this workspace, how much it may use, and the rules it is held to.'
            : 'What the AI may do in this workspace, how much it may use, and the rules it is held to. Owners and admins change them.'
        }
      />
      <nav className="page-tabs" aria-label="AI settings">
        <Link
          to={base}
          className={tab === 'settings' ? 'page-tab active' : 'page-tab'}
          aria-current={tab === 'settings' ? 'page' : undefined}
          data-testid="ai-tab-settings"
        >
          Settings
        </Link>
        <Link
          to={`${base}?tab=constitution`}
          className={tab === 'constitution' ? 'page-tab active' : 'page-tab'}
          aria-current={tab === 'constitution' ? 'page' : undefined}
          data-testid="ai-tab-constitution"
        >
          Constitution
        </Link>
      </nav>
      {tab === 'settings' ? <SettingsPanel key={workspace.id} /> : <ConstitutionPanel key={workspace.id} />}
    </div>
  );
}

function SettingsPanel() {
  const { workspace, isAdmin } = useWorkspace();
  const workspaceId = workspace.id;
  const view = useResource(`ai-settings:${workspaceId}`, () =>
    call('getAiSettings', { params: { workspaceId } }),
  );
  const { setData } = view;
  if (view.error) return <ErrorNote error={view.error} testId="ai-settings-error" />;
  if (!view.data) return <Spinner label="Loading the AI settings" />;
  return (
    <>
      <ProviderStatus view={view.data} />
      {isAdmin ? (
        <SettingsForm saved={view.data.settings} onSaved={(next) => setData(() => next)} />
      ) : (
        <SettingsReadOnly settings={view.data.settings} />
      )}
    </>
  );
}

/** Whether this server can reach a model at all: without one, no setting here makes AI run. */
function ProviderStatus({ view }: { view: AiSettingsView }) {
  if (view.provider.configured)
    return (
      <section aria-label="Model provider">
        <div className="notice success" data-testid="ai-provider" data-configured="true">
          <Icon name="check" />
          <div>
            <p>
              This server has a model provider
              {view.provider.model && (
                <>
                  : <span className="mono">{view.provider.model}</span>
                </>
              )}
              .
            </p>
          </div>
        </div>
      </section>
    );
  return (
    <section aria-label="Model provider">
      <div className="notice warning" data-testid="ai-provider" data-configured="false">
        <Icon name="alert" />
        <div>
          <strong>This server has no model provider, so no AI feature can run here.</strong>
          {view.howToEnable && <p data-testid="ai-how-to-enable">{view.howToEnable}</p>}
        </div>
      </div>
    </section>
  );
}

function SettingsForm({ saved, onSaved }: { saved: AiSettings; onSaved: (next: AiSettingsView) => void }) {
  const { workspace } = useWorkspace();
  const form = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState<SettingsDraft>(() => settingsDraftOf(saved));
  const [issues, setIssues] = useState<PlacedSettingsIssues>(NO_SETTINGS_ISSUES);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  // Counts refusals, so that each moves focus once the form is enabled again (a disabled input takes none).
  const [refusals, setRefusals] = useState(0);
  useEffect(() => {
    if (refusals === 0) return;
    // The first setting the server named, or else its words at the top: Save is far below both.
    const field = form.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (field) field.focus();
    else form.current?.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
  }, [refusals]);
  const unchanged = JSON.stringify(settingsBodyOf(draft)) === JSON.stringify(saved);

  /** Changes the draft, and takes away the issue of what changed (it may be right now). */
  const change = (update: (current: SettingsDraft) => SettingsDraft, path: string) => {
    setDraft(update);
    setDone(false);
    if (issues.byPath[path])
      setIssues((current) => ({ ...current, byPath: { ...current.byPath, [path]: undefined } }));
  };
  const setNumber = (key: NumberSetting) => (value: string) =>
    change((current) => ({ ...current, [key]: value }), key);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setDone(false);
    try {
      const next = await call('putAiSettings', {
        params: { workspaceId: workspace.id },
        body: settingsBodyOf(draft),
      });
      setFailure(null);
      setIssues(NO_SETTINGS_ISSUES);
      setDraft(settingsDraftOf(next.settings));
      setDone(true);
      onSaved(next);
    } catch (caught) {
      const error = asApiError(caught);
      setFailure(error);
      setIssues(placeSettingsIssues(error));
      setRefusals((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const placed = Object.values(issues.byPath).filter(Boolean).length;
  const numberField = (key: NumberSetting, label: string, hint: ReactNode, step: string) => (
    <Field
      label={label}
      type="number"
      inputMode={step === '1' ? 'numeric' : 'decimal'}
      step={step}
      value={draft[key]}
      onChange={(event) => setNumber(key)(event.target.value)}
      disabled={busy}
      hint={hint}
      error={issues.byPath[key]}
      testId={`ai-${key}`}
    />
  );

  return (
    <form
      ref={form}
      className="form ai-settings-form"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-busy={busy}
      data-testid="ai-settings-form"
    >
      {done && (
        <div className="notice success" role="status" data-testid="ai-settings-saved">
          <Icon name="check" />
          <div>The AI settings are saved; they apply from the next request.</div>
        </div>
      )}
      {failure && issues.count > 0 && (
        <div className="error-note" role="alert" data-testid="ai-settings-summary">
          <Icon name="alert" />
          <div>
            <strong>
              The server did not save these settings
              {placed > 0 &&
                `: ${placed === 1 ? 'one setting needs' : `${String(placed)} settings need`} attention, marked below.`}
            </strong>
            {issues.other.map((message) => (
              <p key={message}>{message}</p>
            ))}
          </div>
        </div>
      )}
      {failure && issues.count === 0 && (
        <ErrorNote
          error={failure}
          title="The server did not save these settings."
          testId="ai-settings-save-error"
        />
      )}

      <section className="settings-group ai-settings-group">
        <h2>AI in this workspace</h2>
        <Toggle
          label="AI is on in this workspace"
          hint="Off: no feature makes a model call, whatever is switched on below."
          checked={draft.enabled}
          onChange={(enabled) => change((current) => ({ ...current, enabled }), 'enabled')}
          disabled={busy}
          error={issues.byPath.enabled}
          testId="ai-enabled"
        />
      </section>

      <section className="settings-group ai-settings-group">
        <h2>Features</h2>
        {!draft.enabled && <p className="hint">These apply once AI is on.</p>}
        {AiFeature.options.map((feature) => (
          <Toggle
            key={feature}
            label={FEATURE_SWITCHES[feature].label}
            hint={FEATURE_SWITCHES[feature].hint}
            checked={draft.features[feature]}
            onChange={(on) =>
              change(
                (current) => ({ ...current, features: { ...current.features, [feature]: on } }),
                `features.${feature}`,
              )
            }
            disabled={busy}
            error={issues.byPath[`features.${feature}`]}
            testId={`ai-feature-${feature}`}
          />
        ))}
        <Toggle
          label="Triage new tickets as they are made"
          hint="For whoever made the ticket, with their rights; its suggestions run or wait as the triage trust mode says. Off: triage only when asked."
          checked={draft.triageNewTickets}
          onChange={(triageNewTickets) =>
            change((current) => ({ ...current, triageNewTickets }), 'triageNewTickets')
          }
          disabled={busy || !draft.features.triage}
          error={issues.byPath.triageNewTickets}
          testId="ai-triageNewTickets"
        />
      </section>

      <section className="settings-group ai-settings-group">
        <h2>Trust</h2>
        <p className="hint">What the AI may do on its own, for each kind of change.</p>
        {TrustCategory.options.map((category) => (
          <TrustChoice
            key={category}
            category={category}
            value={draft.trust[category]}
            onChange={(mode) =>
              change(
                (current) => ({ ...current, trust: { ...current.trust, [category]: mode } }),
                `trust.${category}`,
              )
            }
            disabled={busy}
            error={issues.byPath[`trust.${category}`]}
          />
        ))}
        <div className="notice ai-settings-always-waits" data-testid="ai-always-waits">
          <Icon name="info" />
          <div>{ALWAYS_WAITS}</div>
        </div>
        {numberField(
          'confidenceThreshold',
          'Confidence threshold',
          'From 0.5 to 1: how sure the AI must be of its plan for Trusted Auto to run a change.',
          '0.01',
        )}
      </section>

      <section className="settings-group ai-settings-group">
        <h2>Allowance</h2>
        {numberField(
          'monthlyAllowanceTokens',
          'Monthly allowance (tokens)',
          'Tokens sent and received in a calendar month (UTC). Owners and admins are told at 80% and at 100%.',
          '1',
        )}
        <Toggle
          label="Allow a top-up"
          hint="On: past the allowance, AI goes on. Off: it pauses until next month."
          checked={draft.topUp}
          onChange={(topUp) => change((current) => ({ ...current, topUp }), 'topUp')}
          disabled={busy}
          error={issues.byPath.topUp}
          testId="ai-topUp"
        />
      </section>

      <section className="settings-group ai-settings-group">
        <h2>Keeping</h2>
        {numberField(
          'promptLogRetentionDays',
          'Prompt log kept for (days)',
          'From 1 to 365: what was sent to the model and what came back, for owners and admins to read.',
          '1',
        )}
        {numberField(
          'proposalTtlHours',
          'Proposals wait for (hours)',
          'From 1 to 720: a proposal nobody decided on by then expires.',
          '1',
        )}
      </section>

      <div className="actions ai-settings-actions">
        <button
          type="submit"
          className="button primary"
          disabled={busy || unchanged}
          data-testid="ai-settings-save"
        >
          {busy ? 'Saving…' : 'Save settings'}
        </button>
        {!unchanged && (
          <button
            type="button"
            className="button"
            onClick={() => {
              setDraft(settingsDraftOf(saved));
              setIssues(NO_SETTINGS_ISSUES);
              setFailure(null);
            }}
            disabled={busy}
            data-testid="ai-settings-discard"
          >
            Discard changes
          </button>
        )}
      </div>
    </form>
  );
}

/** A checkbox that is a switch, with its hint, or its error in the hint's place. */
function Toggle({
  label,
  hint,
  checked,
  onChange,
  disabled,
  error,
  testId,
}: {
  label: string;
  hint: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled: boolean;
  error: string | undefined;
  testId: string;
}) {
  const id = useId();
  return (
    <div className="ai-settings-toggle">
      <label className="checkbox">
        <input
          type="checkbox"
          role="switch"
          checked={checked}
          onChange={(event) => onChange(event.target.checked)}
          disabled={disabled}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-note`}
          data-testid={testId}
        />
        {label}
      </label>
      {error ? (
        <p className="field-error" id={`${id}-note`} data-testid={`${testId}-error`}>
          {error}
        </p>
      ) : (
        <p className="hint" id={`${id}-note`}>
          {hint}
        </p>
      )}
    </div>
  );
}

function TrustChoice({
  category,
  value,
  onChange,
  disabled,
  error,
}: {
  category: TrustCategory;
  value: TrustMode;
  onChange: (mode: TrustMode) => void;
  disabled: boolean;
  error: string | undefined;
}) {
  const id = useId();
  return (
    <fieldset
      className="ai-settings-trust"
      aria-describedby={error ? `${id}-error` : `${id}-hint`}
      data-testid={`ai-trust-${category}`}
    >
      <legend>{TRUST_CATEGORIES[category].label}</legend>
      <p className="hint" id={`${id}-hint`}>
        {TRUST_CATEGORIES[category].hint}
      </p>
      {TrustMode.options.map((mode) => (
        <label key={mode} className="checkbox ai-settings-trust-option">
          <input
            type="radio"
            name={`${id}-mode`}
            value={mode}
            checked={value === mode}
            onChange={() => onChange(mode)}
            disabled={disabled}
            aria-invalid={error ? true : undefined}
            data-testid={`ai-trust-${category}-${mode}`}
          />
          <span>
            <span className="ai-settings-trust-label">{TRUST_MODES[mode].label}</span>
            <span className="hint">{TRUST_MODES[mode].explanation}</span>
          </span>
        </label>
      ))}
      {error && (
        <p className="field-error" id={`${id}-error`} data-testid={`ai-trust-${category}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

function SettingsReadOnly({ settings }: { settings: AiSettings }) {
  const on = AiFeature.options.filter((feature) => settings.features[feature]);
  return (
    <section
      className="settings-group ai-settings-group"
      aria-labelledby="ai-readonly-title"
      data-testid="ai-settings-readonly"
    >
      <h2 id="ai-readonly-title">Settings</h2>
      <dl className="settings-list">
        <div>
          <dt>AI</dt>
          <dd data-testid="ai-readonly-enabled">
            {settings.enabled ? 'On in this workspace' : 'Off in this workspace'}
          </dd>
        </div>
        <div>
          <dt>Features on</dt>
          <dd data-testid="ai-readonly-features">
            {on.length > 0 ? on.map((feature) => FEATURE_SWITCHES[feature].label).join(', ') : 'None'}
          </dd>
        </div>
        {TrustCategory.options.map((category) => (
          <div key={category}>
            <dt>{TRUST_CATEGORIES[category].label}</dt>
            <dd data-testid={`ai-readonly-trust-${category}`}>
              <strong>{TRUST_MODES[settings.trust[category]].label}</strong>:{' '}
              {TRUST_MODES[settings.trust[category]].explanation}
            </dd>
          </div>
        ))}
        <div>
          <dt>Confidence threshold</dt>
          <dd data-testid="ai-readonly-threshold">{settings.confidenceThreshold}</dd>
        </div>
        <div>
          <dt>Monthly allowance</dt>
          <dd data-testid="ai-readonly-allowance">
            {tokens(settings.monthlyAllowanceTokens)} tokens,{' '}
            {settings.topUp ? 'with a top-up past it' : 'then AI pauses until next month'}
          </dd>
        </div>
        <div>
          <dt>Prompt log kept</dt>
          <dd>{settings.promptLogRetentionDays} days</dd>
        </div>
        <div>
          <dt>Proposals wait</dt>
          <dd>{settings.proposalTtlHours} hours</dd>
        </div>
      </dl>
      <p className="hint">{ALWAYS_WAITS}</p>
      <p className="hint" data-testid="ai-settings-admins-only">
        Only owners and admins can change these settings.
      </p>
    </section>
  );
}
