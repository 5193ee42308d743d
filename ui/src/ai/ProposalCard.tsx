import { useState, type ReactNode } from 'react';
import {
  findEntityType,
  type Actor,
  type AiOperation,
  type Proposal,
  type RejectProposalBody,
  type WorkspaceSchema,
} from '@enclave/shared';
import { ConfirmDialog } from '../ConfirmDialog';
import { ErrorNote } from '../ErrorNote';
import { Icon } from '../Icon';
import type { ReferenceSource } from '../records';
import { formatDateTime, relativeTime } from '../time';
import { AiLink, type AiLinks } from './links';
import { FromRecordTextWarning } from './OperationDecisionList';
import { editKindOf, entityTypeOf } from './proposal-edit';
import { ProposalEditor, type DecisionError } from './ProposalEditor';
import { ProposalRejectForm } from './ProposalRejectForm';
import { ProvenanceTable } from './ProvenanceTable';
import {
  confidenceText,
  FEATURE_WORDS,
  HOLD_REASON_WORDS,
  operationRecordId,
  PROPOSAL_STATUS_WORDS,
  RISK_WORDS,
  type TargetInfo,
} from './words';

export type ProposalPanel = 'edit' | 'reject';

export interface ProposalCardProps {
  proposal: Proposal;
  schema?: WorkspaceSchema | null;
  /** What the app knows of the record the operation acts on: its type (for an edit's fields) and title. */
  target?: TargetInfo;
  /** The record is being read, for its type: an edit waits for it instead of falling back to JSON. */
  targetLoading?: boolean;
  now: number;
  /** People as the app knows them (a member's name); the actor's own label otherwise. */
  actorName?: (actor: Actor) => string;
  links?: AiLinks;
  /** Where reference inputs of an edit find records. */
  references?: ReferenceSource;
  /** Whether to offer the decisions (the server decides regardless). */
  canDecide?: boolean;
  busy?: boolean;
  /** The last decision's refusal, in the server's words. */
  error?: DecisionError | null;
  onApprove?: (operation?: AiOperation) => void;
  onReject?: (body: RejectProposalBody) => void;
  /** Told when the person opens an edit or a rejection: the app may load the record's type then. */
  onOpen?: (panel: ProposalPanel) => void;
  /** What the app says under a decided proposal (the rule a rejection added). */
  outcome?: ReactNode;
  testId?: string;
}

/**
 * One proposal: what the AI wants to do and for whom, why it waits, where its values came from,
 * and — while it waits — approve it as it is, edit it and approve, or reject it (optionally with a
 * new rule). The actions are the app's callbacks; once decided, the card says what came of it.
 */
export function ProposalCard({
  proposal,
  schema,
  target,
  targetLoading = false,
  now,
  actorName = (actor) => actor.label,
  links = {},
  references,
  canDecide = true,
  busy = false,
  error,
  onApprove,
  onReject,
  onOpen,
  outcome,
  testId = 'proposal-card',
}: ProposalCardProps) {
  const [panel, setPanel] = useState<ProposalPanel | null>(null);
  const [confirming, setConfirming] = useState(false);
  const op = proposal.operation;
  const pending = proposal.status === 'pending';
  const entityType = entityTypeOf(op, target?.type);
  const entity = schema && entityType ? findEntityType(schema, entityType) : undefined;
  const recordId = operationRecordId(op);
  const editable = editKindOf(op) !== 'none';
  const open = (next: ProposalPanel) => {
    setPanel(next);
    onOpen?.(next);
  };
  const approve = () => {
    setConfirming(false);
    onApprove?.();
  };

  return (
    <article
      className={`card ai-proposal ai-proposal-${proposal.status}${proposal.fromRecordText ? ' ai-proposal-flagged' : ''}`}
      data-testid={testId}
      data-id={proposal.id}
      data-status={proposal.status}
      data-from-record-text={String(proposal.fromRecordText)}
      aria-labelledby={`proposal-${proposal.id}-summary`}
    >
      <header className="ai-proposal-head">
        <h3
          id={`proposal-${proposal.id}-summary`}
          className="ai-proposal-summary"
          data-testid="proposal-summary"
        >
          {proposal.summary}
        </h3>
        <span className={`ai-status ai-status-${proposal.status}`} data-testid="proposal-status">
          {PROPOSAL_STATUS_WORDS[proposal.status]}
        </span>
        <span className={`ai-risk ai-risk-${proposal.risk}`}>{RISK_WORDS[proposal.risk]}</span>
      </header>

      {proposal.fromRecordText && <FromRecordTextWarning />}

      <dl className="ai-facts ai-proposal-facts">
        <div>
          <dt>Asked by</dt>
          <dd data-testid="proposal-requester">
            {actorName(proposal.requestedBy)}
            <span className="muted">
              {' '}
              · {FEATURE_WORDS[proposal.feature]} ·{' '}
              <time dateTime={proposal.createdAt} title={formatDateTime(proposal.createdAt)}>
                {relativeTime(proposal.createdAt, now)}
              </time>
            </span>
          </dd>
        </div>
        <div>
          <dt>Request</dt>
          <dd className="ai-request-text" data-testid="proposal-request">
            {proposal.request}
          </dd>
        </div>
        {recordId && links.recordHref && op.type !== 'record.create' && (
          <div>
            <dt>Record</dt>
            <dd>
              <AiLink href={links.recordHref(recordId, entityType ?? undefined)} onFollow={links.onFollow}>
                {target?.title ?? `record ${recordId}`}
              </AiLink>
            </dd>
          </div>
        )}
        {proposal.reasons.length > 0 && (
          <div>
            <dt>Why it waits</dt>
            <dd>
              <ul className="ai-reason-list" data-testid="ai-hold-reasons">
                {[...new Set(proposal.reasons)].map((reason) => (
                  <li key={reason} data-reason={reason}>
                    <strong>{HOLD_REASON_WORDS[reason].label}.</strong>{' '}
                    {HOLD_REASON_WORDS[reason].explanation}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        )}
        <div>
          <dt>The AI’s reasoning</dt>
          <dd data-testid="proposal-rationale">
            {proposal.rationale.trim() || <span className="muted">none given</span>}{' '}
            <span className="muted">(confidence {confidenceText(proposal.confidence)})</span>
          </dd>
        </div>
        {proposal.ruleIds.length > 0 && (
          <div>
            <dt>Rules it matched</dt>
            <dd>
              {proposal.ruleIds.map((id) => (
                <code key={id} className="ai-rule-id">
                  {id}
                </code>
              ))}
              <span className="muted"> (constitution version {proposal.constitutionVersion})</span>
            </dd>
          </div>
        )}
        {pending && (
          <div>
            <dt>Expires</dt>
            <dd>
              <time dateTime={proposal.expiresAt} data-testid="proposal-expires">
                {formatDateTime(proposal.expiresAt)}
              </time>
            </dd>
          </div>
        )}
      </dl>

      {proposal.provenance.length > 0 && (
        <details className="ai-provenance-details" open={proposal.fromRecordText}>
          <summary>Where its values came from</summary>
          <ProvenanceTable provenance={proposal.provenance} entity={entity} links={links} />
        </details>
      )}

      {!pending && <DecidedNote proposal={proposal} actorName={actorName} links={links} outcome={outcome} />}

      {pending && canDecide && panel === null && (
        <div className="ai-proposal-actions">
          <button
            type="button"
            className="button primary"
            disabled={busy}
            onClick={() => (op.type === 'outbox.send' ? setConfirming(true) : approve())}
            data-testid="proposal-approve"
          >
            <Icon name="check" size={14} />
            {busy ? 'Working…' : op.type === 'outbox.send' ? 'Approve and send' : 'Approve'}
          </button>
          {editable && (
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => open('edit')}
              data-testid="proposal-edit"
            >
              <Icon name="pencil" size={14} />
              Edit, then approve
            </button>
          )}
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => open('reject')}
            data-testid="proposal-reject"
          >
            <Icon name="x" size={14} />
            Reject
          </button>
        </div>
      )}

      {pending && canDecide && panel === 'edit' && (
        <div className="ai-proposal-panel">
          <h4 className="ai-subheading">Edit, then approve</h4>
          {targetLoading && !entity ? (
            <p className="muted">Reading the record’s fields…</p>
          ) : (
            <ProposalEditor
              operation={op}
              entity={entity}
              entities={schema?.entityTypes ?? []}
              references={references}
              busy={busy}
              error={error}
              onSubmit={(edited) => onApprove?.(edited)}
              onCancel={() => setPanel(null)}
            />
          )}
        </div>
      )}

      {pending && canDecide && panel === 'reject' && (
        <div className="ai-proposal-panel">
          <h4 className="ai-subheading">Reject</h4>
          {targetLoading && !entityType ? (
            <p className="muted">Reading the record’s type…</p>
          ) : (
            <ProposalRejectForm
              operation={op}
              entity={entity}
              entityType={entityType}
              busy={busy}
              onSubmit={(body) => onReject?.(body)}
              onCancel={() => setPanel(null)}
            />
          )}
        </div>
      )}

      {pending && error && <ErrorNote error={error} title="Not decided" testId="proposal-error" />}

      {op.type === 'outbox.send' && (
        <ConfirmDialog
          open={confirming}
          title="Send this email?"
          confirmLabel="Send"
          tone="primary"
          busy={busy}
          confirmTestId="proposal-confirm-send"
          onConfirm={approve}
          onCancel={() => setConfirming(false)}
        >
          <p>
            It goes to <strong>{op.to}</strong> at once, and an email that has left cannot be taken back.
          </p>
        </ConfirmDialog>
      )}
    </article>
  );
}

function DecidedNote({
  proposal,
  actorName,
  links,
  outcome,
}: {
  proposal: Proposal;
  actorName: (actor: Actor) => string;
  links: AiLinks;
  outcome?: ReactNode;
}) {
  const who = proposal.decidedBy ? actorName(proposal.decidedBy) : 'someone';
  const when = proposal.decidedAt ? formatDateTime(proposal.decidedAt) : '';
  const recordId = operationRecordId(proposal.operation);
  let body: ReactNode;
  if (proposal.status === 'approved') {
    body = (
      <>
        <p>
          <strong>Approved</strong> by {who}
          {when && ` on ${when}`}
          {proposal.edited ? ', edited before it ran' : ''}.
        </p>
        {proposal.executedEventId && links.eventHref && (
          <p>
            <AiLink
              href={links.eventHref(proposal.executedEventId, {
                action: proposal.operation.type,
                recordId,
              })}
              onFollow={links.onFollow}
              testId="proposal-event"
            >
              The change in the audit log
            </AiLink>
          </p>
        )}
      </>
    );
  } else if (proposal.status === 'rejected') {
    body = (
      <p>
        <strong>Rejected</strong> by {who}
        {when && ` on ${when}`}
        {proposal.rejectReason ? `: “${proposal.rejectReason}”` : '.'}
      </p>
    );
  } else {
    body = (
      <p>
        <strong>Expired</strong> on {formatDateTime(proposal.expiresAt)} without a decision. Nothing was
        changed.
      </p>
    );
  }
  return (
    <div
      className={`notice ${proposal.status === 'approved' ? 'success' : 'warning'} ai-proposal-outcome`}
      role="status"
      data-testid="proposal-outcome"
    >
      <Icon name={proposal.status === 'approved' ? 'check' : 'info'} />
      <div>
        {body}
        {outcome}
      </div>
    </div>
  );
}
