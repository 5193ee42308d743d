import { useId, useState, type SyntheticEvent } from 'react';
import type { AiOperation, EntityTypeDef, RejectProposalBody } from '@enclave/shared';
import { humanise } from '../records';
import { draftRule, fieldsOf, ruleOf, ruleTextOf, type RuleDraft } from './proposal-edit';
import { RULE_EFFECT_WORDS } from './words';

const REASON_MAX = 500;

/**
 * Rejects a proposal with a reason, and optionally adds a rule to the constitution so that the
 * same kind of operation waits for a person (or is refused) from now on. The rule's match starts
 * as this proposal's operation type and entity type.
 */
export function ProposalRejectForm({
  operation,
  entity,
  entityType,
  busy,
  onSubmit,
  onCancel,
}: {
  operation: AiOperation;
  entity: EntityTypeDef | undefined;
  /** The entity type of the record the operation acts on, when known. */
  entityType: string | null;
  busy: boolean;
  onSubmit: (body: RejectProposalBody) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [addRule, setAddRule] = useState(false);
  const [draft, setDraft] = useState<RuleDraft>(() => draftRule(operation, entity, entityType));
  const [ruleErrors, setRuleErrors] = useState<{ id?: string; text?: string; match?: string }>({});
  const fields = fieldsOf(operation);
  const entityWords =
    entity?.pluralLabel.toLowerCase() ?? (entityType ? humanise(entityType).toLowerCase() : null);

  const change = (next: Partial<RuleDraft>) =>
    setDraft((previous) => {
      const updated = { ...previous, ...next };
      // The suggested sentence follows the effect until the person writes their own.
      if (next.effect && previous.text === ruleTextOf(operation.type, entity, previous.effect))
        updated.text = ruleTextOf(operation.type, entity, next.effect);
      return updated;
    });

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const trimmed = reason.trim();
    const badReason = !trimmed
      ? 'Say why, so that the person who asked knows.'
      : trimmed.length > REASON_MAX
        ? `Use at most ${REASON_MAX} characters.`
        : null;
    setReasonError(badReason);
    let rule: RejectProposalBody['addRule'];
    if (addRule) {
      const read = ruleOf(draft, operation, entityType);
      setRuleErrors(read.ok ? {} : read.errors);
      if (!read.ok) return;
      rule = read.rule;
    } else setRuleErrors({});
    if (badReason) return;
    onSubmit(rule ? { reason: trimmed, addRule: rule } : { reason: trimmed });
  };

  return (
    <form className="form ai-reject-form" onSubmit={submit} noValidate data-testid="proposal-reject-form">
      <div className={`field${reasonError ? ' invalid' : ''}`}>
        <label className="field-label" htmlFor={`${id}-reason`}>
          Why not?
        </label>
        <textarea
          id={`${id}-reason`}
          rows={2}
          value={reason}
          disabled={busy}
          onChange={(e) => {
            setReason(e.target.value);
            setReasonError(null);
          }}
          aria-invalid={reasonError ? true : undefined}
          aria-describedby={reasonError ? `${id}-reason-error` : undefined}
          data-testid="proposal-reject-reason"
        />
        {reasonError && (
          <p className="field-error" id={`${id}-reason-error`}>
            {reasonError}
          </p>
        )}
      </div>

      <label className="checkbox">
        <input
          type="checkbox"
          checked={addRule}
          disabled={busy}
          onChange={(e) => setAddRule(e.target.checked)}
          data-testid="proposal-reject-add-rule"
        />
        <span>Add a rule so that this does not come back</span>
      </label>

      {addRule && (
        <fieldset className="ai-rule-fields" data-testid="proposal-rule">
          <legend>The new rule of the constitution</legend>
          <div className={`field${ruleErrors.id ? ' invalid' : ''}`}>
            <label className="field-label" htmlFor={`${id}-rule-id`}>
              Rule id
            </label>
            <input
              id={`${id}-rule-id`}
              type="text"
              className="mono"
              maxLength={40}
              value={draft.id}
              disabled={busy}
              onChange={(e) => change({ id: e.target.value })}
              aria-invalid={ruleErrors.id ? true : undefined}
              aria-describedby={ruleErrors.id ? `${id}-rule-id-error` : undefined}
              data-testid="proposal-rule-id"
            />
            {ruleErrors.id && (
              <p className="field-error" id={`${id}-rule-id-error`}>
                {ruleErrors.id}
              </p>
            )}
          </div>
          <div className={`field${ruleErrors.text ? ' invalid' : ''}`}>
            <label className="field-label" htmlFor={`${id}-rule-text`}>
              What it says
            </label>
            <textarea
              id={`${id}-rule-text`}
              rows={2}
              value={draft.text}
              disabled={busy}
              onChange={(e) => change({ text: e.target.value })}
              aria-invalid={ruleErrors.text ? true : undefined}
              aria-describedby={ruleErrors.text ? `${id}-rule-text-error` : undefined}
              data-testid="proposal-rule-text"
            />
            {ruleErrors.text && (
              <p className="field-error" id={`${id}-rule-text-error`}>
                {ruleErrors.text}
              </p>
            )}
          </div>
          <div className="field">
            <label className="field-label" htmlFor={`${id}-rule-effect`}>
              What it does
            </label>
            <select
              id={`${id}-rule-effect`}
              value={draft.effect}
              disabled={busy}
              onChange={(e) => change({ effect: e.target.value as RuleDraft['effect'] })}
              data-testid="proposal-rule-effect"
            >
              <option value="requireApproval">{RULE_EFFECT_WORDS.requireApproval.explanation}</option>
              <option value="forbid">{RULE_EFFECT_WORDS.forbid.explanation}</option>
            </select>
          </div>
          <div className="ai-rule-match">
            <p className="field-label">It applies to</p>
            <p className="hint">
              Operations of the kind <code>{operation.type}</code>
              {!entityWords && operation.type !== 'outbox.send' && ' on any record'}.
            </p>
            {entityType && entityWords && (
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={draft.byEntityType}
                  disabled={busy}
                  onChange={(e) => change({ byEntityType: e.target.checked })}
                  data-testid="proposal-rule-by-type"
                />
                <span>Only on {entityWords}</span>
              </label>
            )}
            {operation.type === 'record.update' && fields.length > 0 && (
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={draft.byFields}
                  disabled={busy}
                  onChange={(e) => change({ byFields: e.target.checked })}
                  data-testid="proposal-rule-by-fields"
                />
                <span>
                  Only when it sets{' '}
                  {fields
                    .map((key) => entity?.fields.find((f) => f.key === key)?.label ?? humanise(key))
                    .join(', ')}
                </span>
              </label>
            )}
            {ruleErrors.match && <p className="field-error">{ruleErrors.match}</p>}
          </div>
        </fieldset>
      )}

      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="button danger" disabled={busy} data-testid="proposal-reject-submit">
          {busy ? 'Rejecting…' : addRule ? 'Reject and add the rule' : 'Reject'}
        </button>
      </div>
    </form>
  );
}
