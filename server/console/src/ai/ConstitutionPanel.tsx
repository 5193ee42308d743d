import { useEffect, useId, useRef, useState, type SyntheticEvent } from 'react';
import { AI_OPERATION_TYPES, RuleEffect, type Constitution, type ConstitutionRule } from '@enclave/shared';
import { ErrorNote, formatDateTime, Icon, Spinner } from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useResource } from '../api/use-resource';
import { useWorkspace } from '../app/workspace';
import { OPERATION_LABELS, RULE_EFFECTS } from './ai-settings-words';
import {
  constitutionBodyOf,
  newRule,
  NO_RULE_ISSUES,
  placeRuleIssues,
  rulesDraftOf,
  type PlacedRuleIssues,
  type RuleDraft,
  type RuleProp,
} from './constitution-draft';

/**
 * The constitution: the rules every AI decision is checked against. Its text goes to the model as
 * guidance; `requireApproval` and `forbid` are applied by the server outside the model. Each save
 * is a new version, made from the version it was read at: a change made meanwhile answers 409, and
 * the page offers to load the latest instead of overwriting it.
 */
export function ConstitutionPanel() {
  const { workspace, isAdmin } = useWorkspace();
  const workspaceId = workspace.id;
  const constitution = useResource(`constitution:${workspaceId}`, () =>
    call('getConstitution', { params: { workspaceId } }),
  );
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const { data, setData, reload } = constitution;

  if (constitution.error && !data)
    return <ErrorNote error={constitution.error} testId="constitution-error" />;
  if (!data) return <Spinner label="Loading the constitution" />;
  return (
    <section className="console-section" aria-labelledby="constitution-title" data-testid="constitution">
      <div className="constitution-header">
        <h2 id="constitution-title">Constitution</h2>
        <span className="badge" data-testid="constitution-version">
          Version {data.version}
        </span>
        <span className="muted" data-testid="constitution-updated">
          {data.updatedAt
            ? `Changed ${formatDateTime(data.updatedAt)}${data.updatedBy ? ` by ${data.updatedBy.label}` : ''}`
            : 'As every workspace starts'}
        </span>
        <span className="spacer" />
        {isAdmin && !editing && (
          <button
            type="button"
            className="button"
            onClick={() => {
              setNotice(null);
              setEditing(true);
            }}
            data-testid="constitution-edit"
          >
            <Icon name="pencil" size={13} />
            Edit rules
          </button>
        )}
      </div>
      <p className="hint constitution-intro">
        The rules the AI is held to. Every rule’s text guides the AI; a rule that needs a person makes every
        operation it matches wait for approval, and a forbidding rule refuses it — both applied by the server,
        not by the AI. Rules only ever hold back: none can make something run that would otherwise wait.
      </p>
      {!isAdmin && (
        <p className="hint" data-testid="constitution-admins-only">
          Only owners and admins can change the constitution.
        </p>
      )}
      {notice && (
        <div className="notice success" role="status" data-testid="constitution-notice">
          <Icon name="check" />
          <div>{notice}</div>
        </div>
      )}
      {isAdmin && editing ? (
        <ConstitutionEditor
          key={data.version}
          constitution={data}
          onSaved={(next) => {
            setData(() => next);
            setEditing(false);
            setNotice(
              `The constitution is saved as version ${String(next.version)}; it applies from the next request.`,
            );
          }}
          onCancel={() => setEditing(false)}
          onLoadLatest={reload}
        />
      ) : (
        <RuleList rules={data.rules} />
      )}
    </section>
  );
}

function matchWords(rule: ConstitutionRule): string {
  const parts: string[] = [];
  const { operations, entityTypes, fields } = rule.match ?? {};
  parts.push(operations ? operations.map((op) => OPERATION_LABELS[op]).join(', ') : 'Every operation');
  if (entityTypes) parts.push(`on ${entityTypes.join(', ')}`);
  if (fields) parts.push(`setting ${fields.join(', ')}`);
  return parts.join(' · ');
}

function RuleList({ rules }: { rules: readonly ConstitutionRule[] }) {
  if (rules.length === 0)
    return (
      <p className="muted" data-testid="constitution-empty">
        No rules: the AI has only its built-in limits and the workspace’s trust settings.
      </p>
    );
  return (
    <ol className="rule-list">
      {rules.map((rule) => (
        <li key={rule.id} className="card rule-card" data-testid="constitution-rule" data-rule-id={rule.id}>
          <div className="rule-head">
            <span className="mono" data-testid="rule-id-text">
              {rule.id}
            </span>
            <span className={`badge rule-effect rule-effect-${rule.effect}`} data-testid="rule-effect-text">
              {RULE_EFFECTS[rule.effect].label}
            </span>
          </div>
          <p className="rule-text" data-testid="rule-text-text">
            {rule.text}
          </p>
          {rule.effect !== 'guidance' && (
            <p className="hint" data-testid="rule-match-text">
              Applies to: {matchWords(rule)}
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}

function ConstitutionEditor({
  constitution,
  onSaved,
  onCancel,
  onLoadLatest,
}: {
  constitution: Constitution;
  onSaved: (next: Constitution) => void;
  onCancel: () => void;
  onLoadLatest: () => Promise<void>;
}) {
  const { workspace } = useWorkspace();
  const form = useRef<HTMLFormElement>(null);
  const [drafts, setDrafts] = useState<RuleDraft[]>(() => rulesDraftOf(constitution.rules));
  const [issues, setIssues] = useState<PlacedRuleIssues>(NO_RULE_ISSUES);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const stale = failure?.code === 'conflict';
  // Counts refusals, so that each moves focus once the form is enabled again (a disabled input takes none).
  const [refusals, setRefusals] = useState(0);
  useEffect(() => {
    if (refusals === 0) return;
    // The way on is where the form says what went wrong: the first field the server named, or the
    // button that loads the latest version; the Save button is far below either.
    const next =
      form.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      form.current?.querySelector<HTMLElement>('[data-testid="constitution-load-latest"]');
    if (next) next.focus();
    else form.current?.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
  }, [refusals]);

  const update = (draftId: string, change: Partial<RuleDraft>, cleared: RuleProp) => {
    setDrafts((current) => current.map((d) => (d.draftId === draftId ? { ...d, ...change } : d)));
    if (issues.rules[draftId]?.[cleared])
      setIssues((current) => ({
        ...current,
        rules: { ...current.rules, [draftId]: { ...current.rules[draftId], [cleared]: undefined } },
      }));
  };
  const move = (index: number, by: -1 | 1) =>
    setDrafts((current) => {
      const next = [...current];
      const [rule] = next.splice(index, 1);
      if (!rule) return current;
      next.splice(index + by, 0, rule);
      return next;
    });

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy) return;
    const sent = drafts;
    setBusy(true);
    try {
      const next = await call('putConstitution', {
        params: { workspaceId: workspace.id },
        body: constitutionBodyOf(sent, constitution.version),
      });
      onSaved(next);
    } catch (caught) {
      const error = asApiError(caught);
      setFailure(error);
      setIssues(placeRuleIssues(error, sent));
      setRefusals((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const placed = Object.values(issues.rules).reduce((n, r) => n + Object.values(r).filter(Boolean).length, 0);
  const latestVersion =
    stale &&
    typeof failure.details === 'object' &&
    failure.details !== null &&
    'currentVersion' in failure.details
      ? Number(failure.details.currentVersion)
      : null;

  return (
    <form
      ref={form}
      className="form constitution-editor"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-busy={busy}
      data-testid="constitution-editor"
    >
      {stale && (
        <div className="notice warning" role="alert" data-testid="constitution-conflict">
          <Icon name="alert" />
          <div>
            <strong>
              Someone changed the constitution since you opened it
              {latestVersion !== null && Number.isFinite(latestVersion)
                ? ` (it is now version ${String(latestVersion)})`
                : ''}
              .
            </strong>
            <p>
              Your edit was not saved, so as not to undo theirs. Load the latest version and make your change
              again on it.
            </p>
            <button
              type="button"
              className="button"
              onClick={() => void onLoadLatest()}
              data-testid="constitution-load-latest"
            >
              <Icon name="refresh" size={13} />
              Load the latest version
            </button>
          </div>
        </div>
      )}
      {!stale && failure && issues.count > 0 && (
        <div className="error-note" role="alert" data-testid="constitution-summary">
          <Icon name="alert" />
          <div>
            <strong>
              The server did not save the constitution
              {placed > 0 &&
                `: ${placed === 1 ? 'one field needs' : `${String(placed)} fields need`} attention, marked below.`}
            </strong>
            {issues.other.map((message) => (
              <p key={message}>{message}</p>
            ))}
          </div>
        </div>
      )}
      {!stale && failure && issues.count === 0 && (
        <ErrorNote
          error={failure}
          title="The server did not save the constitution."
          testId="constitution-save-error"
        />
      )}
      <ol className="rule-drafts">
        {drafts.map((draft, index) => (
          <RuleEditor
            key={draft.draftId}
            draft={draft}
            index={index}
            count={drafts.length}
            errors={issues.rules[draft.draftId] ?? {}}
            disabled={busy}
            onChange={(change, prop) => update(draft.draftId, change, prop)}
            onMove={(by) => move(index, by)}
            onRemove={() => setDrafts((current) => current.filter((d) => d.draftId !== draft.draftId))}
          />
        ))}
      </ol>
      <div>
        <button
          type="button"
          className="button"
          onClick={() => setDrafts((current) => [...current, newRule()])}
          disabled={busy}
          data-testid="constitution-add-rule"
        >
          <Icon name="plus" size={14} />
          Add rule
        </button>
      </div>
      <div className="actions">
        <button
          type="submit"
          className="button primary"
          disabled={busy || stale}
          data-testid="constitution-save"
        >
          {busy ? 'Saving…' : `Save as version ${String(constitution.version + 1)}`}
        </button>
        <button
          type="button"
          className="button"
          onClick={onCancel}
          disabled={busy}
          data-testid="constitution-cancel"
        >
          Cancel
        </button>
      </div>
    </form>
  );
}

function RuleEditor({
  draft,
  index,
  count,
  errors,
  disabled,
  onChange,
  onMove,
  onRemove,
}: {
  draft: RuleDraft;
  index: number;
  count: number;
  errors: Partial<Record<RuleProp | 'rule', string>>;
  disabled: boolean;
  onChange: (change: Partial<RuleDraft>, prop: RuleProp) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const name = draft.id.trim() || `rule ${String(index + 1)}`;
  const note = (prop: RuleProp, hint?: string) => {
    const error = errors[prop];
    if (error)
      return (
        <span className="field-error" id={`${id}-${prop}`} data-testid={`rule-${prop}-error`}>
          {error}
        </span>
      );
    return hint ? (
      <span className="hint" id={`${id}-${prop}`}>
        {hint}
      </span>
    ) : null;
  };
  const aria = (prop: RuleProp, hasHint = false) => ({
    'aria-invalid': errors[prop] ? true : undefined,
    'aria-describedby': errors[prop] || hasHint ? `${id}-${prop}` : undefined,
  });
  const invalid = Object.values(errors).some(Boolean);
  return (
    <li
      className={invalid ? 'card rule-draft invalid' : 'card rule-draft'}
      data-testid="rule-draft"
      aria-label={`Rule ${String(index + 1)}: ${name}`}
    >
      <div className="rule-draft-head">
        <h3>Rule {index + 1}</h3>
        <span className="spacer" />
        <button
          type="button"
          className="icon-button small"
          onClick={() => onMove(-1)}
          disabled={disabled || index === 0}
          aria-label={`Move ${name} up`}
          data-testid="rule-move-up"
        >
          <Icon name="chevronDown" size={14} className="flip" />
        </button>
        <button
          type="button"
          className="icon-button small"
          onClick={() => onMove(1)}
          disabled={disabled || index === count - 1}
          aria-label={`Move ${name} down`}
          data-testid="rule-move-down"
        >
          <Icon name="chevronDown" size={14} />
        </button>
        <button
          type="button"
          className="icon-button small danger"
          onClick={onRemove}
          disabled={disabled}
          aria-label={`Remove ${name}`}
          data-testid="rule-remove"
        >
          <Icon name="trash" size={14} />
        </button>
      </div>
      {errors.rule && (
        <p className="field-error" data-testid="rule-error">
          {errors.rule}
        </p>
      )}
      <div className="rule-draft-grid">
        <label className={errors.id ? 'field invalid' : 'field'}>
          <span className="field-label">Id</span>
          <input
            type="text"
            className="mono"
            value={draft.id}
            onChange={(event) => onChange({ id: event.target.value }, 'id')}
            disabled={disabled}
            spellCheck={false}
            autoComplete="off"
            {...aria('id', true)}
            data-testid="rule-id"
          />
          {note('id', 'Short, cited by the AI: a-z, 0-9 and -.')}
        </label>
        <label className={errors.effect ? 'field invalid' : 'field'}>
          <span className="field-label">Effect</span>
          <select
            value={draft.effect}
            onChange={(event) => onChange({ effect: RuleEffect.parse(event.target.value) }, 'effect')}
            disabled={disabled}
            {...aria('effect', true)}
            data-testid="rule-effect"
          >
            {RuleEffect.options.map((effect) => (
              <option key={effect} value={effect}>
                {RULE_EFFECTS[effect].label}
              </option>
            ))}
          </select>
          {note('effect', RULE_EFFECTS[draft.effect].explanation)}
        </label>
      </div>
      <label className={errors.text ? 'field invalid' : 'field'}>
        <span className="field-label">Rule</span>
        <textarea
          rows={2}
          value={draft.text}
          onChange={(event) => onChange({ text: event.target.value }, 'text')}
          disabled={disabled}
          {...aria('text')}
          data-testid="rule-text"
        />
        {note('text')}
      </label>
      {draft.effect !== 'guidance' && (
        <div className="rule-match">
          <fieldset className="rule-operations" {...aria('operations', true)}>
            <legend className="field-label">Operations it applies to</legend>
            <div className="rule-operation-options">
              {AI_OPERATION_TYPES.map((op) => (
                <label key={op} className="checkbox">
                  <input
                    type="checkbox"
                    checked={draft.operations.includes(op)}
                    onChange={(event) =>
                      onChange(
                        {
                          operations: event.target.checked
                            ? AI_OPERATION_TYPES.filter((o) => o === op || draft.operations.includes(o))
                            : draft.operations.filter((o) => o !== op),
                        },
                        'operations',
                      )
                    }
                    disabled={disabled}
                    data-testid={`rule-op-${op}`}
                  />
                  {OPERATION_LABELS[op]}
                </label>
              ))}
            </div>
            {note('operations', 'None ticked: every operation.')}
          </fieldset>
          <div className="rule-draft-grid">
            <label className={errors.entityTypes ? 'field invalid' : 'field'}>
              <span className="field-label">Entity types</span>
              <input
                type="text"
                className="mono"
                value={draft.entityTypes}
                onChange={(event) => onChange({ entityTypes: event.target.value }, 'entityTypes')}
                disabled={disabled}
                spellCheck={false}
                autoComplete="off"
                {...aria('entityTypes', true)}
                data-testid="rule-entityTypes"
              />
              {note('entityTypes', 'Keys, separated by commas (invoice, ticket); empty: every type.')}
            </label>
            <label className={errors.fields ? 'field invalid' : 'field'}>
              <span className="field-label">Fields</span>
              <input
                type="text"
                className="mono"
                value={draft.fields}
                onChange={(event) => onChange({ fields: event.target.value }, 'fields')}
                disabled={disabled}
                spellCheck={false}
                autoComplete="off"
                {...aria('fields', true)}
                data-testid="rule-fields"
              />
              {note('fields', 'Keys, separated by commas: changes that set any of them; empty: any change.')}
            </label>
          </div>
        </div>
      )}
    </li>
  );
}
