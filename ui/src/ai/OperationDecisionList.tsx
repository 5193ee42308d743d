import type { ReactNode } from 'react';
import { findEntityType, type OperationDecision, type WorkspaceSchema } from '@enclave/shared';
import { Icon } from '../Icon';
import type { TitleLookup } from '../records';
import { AiLink, type AiLinks } from './links';
import { ProvenanceTable } from './ProvenanceTable';
import {
  DECISION_WORDS,
  HOLD_REASON_WORDS,
  operationRecordId,
  operationSummary,
  RISK_WORDS,
  type TargetInfo,
} from './words';

/** The badge of a decision: what became of the operation. */
export function DecisionBadge({ decision }: { decision: OperationDecision['decision'] }) {
  const icon = decision === 'executed' ? 'check' : decision === 'proposed' ? 'lock' : 'x';
  return (
    <span className={`ai-badge ai-badge-${decision}`} data-testid="ai-decision" data-decision={decision}>
      <Icon name={icon} size={12} />
      {DECISION_WORDS[decision]}
    </span>
  );
}

/** The warning an operation gets when a sensitive value came from text others wrote. */
export function FromRecordTextWarning() {
  return (
    <div className="notice danger ai-injection-warning" role="note" data-testid="ai-from-record-text">
      <Icon name="alert" />
      <div>
        <strong>From record text — could be a prompt injection</strong>
        <p>
          A sensitive value of this operation (a recipient, an amount, a status, what to delete) came from
          text that someone wrote in the records, not from the request. Check it before approving.
        </p>
      </div>
    </div>
  );
}

/**
 * What became of each operation the AI proposed: it ran (as the AI, for the person who asked), it
 * waits for a person's approval (and why, in plain words), or it was refused (the server's words).
 * `targets` gives what the app knows of the records the operations change (type and title);
 * `eventActions` puts the app's buttons (Undo) beside an operation that ran.
 */
export function OperationDecisionList({
  decisions,
  schema,
  targets,
  titles,
  links = {},
  eventActions,
  eventNote,
  testId = 'ai-decisions',
}: {
  decisions: readonly OperationDecision[];
  schema?: WorkspaceSchema | null;
  targets?: (recordId: string) => TargetInfo | undefined;
  titles?: TitleLookup;
  links?: AiLinks;
  eventActions?: (eventId: string) => ReactNode;
  eventNote?: (eventId: string) => ReactNode;
  testId?: string;
}) {
  if (decisions.length === 0) return null;
  return (
    <ol className="ai-decisions" data-testid={testId}>
      {decisions.map((decision, index) => (
        <DecisionRow
          key={decision.proposalId ?? decision.eventId ?? index}
          decision={decision}
          schema={schema}
          targets={targets}
          titles={titles}
          links={links}
          eventActions={eventActions}
          eventNote={eventNote}
        />
      ))}
    </ol>
  );
}

function DecisionRow({
  decision,
  schema,
  targets,
  titles,
  links,
  eventActions,
  eventNote,
}: {
  decision: OperationDecision;
  schema?: WorkspaceSchema | null;
  targets?: (recordId: string) => TargetInfo | undefined;
  titles?: TitleLookup;
  links: AiLinks;
  eventActions?: (eventId: string) => ReactNode;
  eventNote?: (eventId: string) => ReactNode;
}) {
  const op = decision.operation;
  const recordId = op ? operationRecordId(op) : null;
  const target = recordId ? targets?.(recordId) : undefined;
  const entityType = op?.type === 'record.create' ? op.entityType : (target?.type ?? undefined);
  const entity = schema && entityType ? findEntityType(schema, entityType) : undefined;
  const summary = op
    ? operationSummary(op, schema, target, titles)
    : `Use “${decision.tool}”, which is not an operation the AI may propose`;
  return (
    <li
      className={`ai-decision ai-decision-${decision.decision}`}
      data-testid="ai-decision-row"
      data-decision={decision.decision}
      data-from-record-text={String(decision.fromRecordText)}
    >
      <div className="ai-decision-head">
        <DecisionBadge decision={decision.decision} />
        <span className="ai-decision-summary" data-testid="ai-decision-summary">
          {summary}
        </span>
        {op && (
          <span className={`ai-risk ai-risk-${decision.risk}`} data-testid="ai-risk">
            {RISK_WORDS[decision.risk]}
          </span>
        )}
      </div>

      {decision.fromRecordText && <FromRecordTextWarning />}

      {decision.decision === 'proposed' && decision.reasons.length > 0 && (
        <div className="ai-reasons">
          <span className="ai-reasons-lead">It waits because:</span>
          <ul data-testid="ai-hold-reasons">
            {[...new Set(decision.reasons)].map((reason) => (
              <li key={reason} data-reason={reason}>
                <strong>{HOLD_REASON_WORDS[reason].label}.</strong> {HOLD_REASON_WORDS[reason].explanation}
              </li>
            ))}
          </ul>
        </div>
      )}

      {decision.decision === 'refused' && decision.error && (
        <div className="ai-refusal" data-testid="ai-refusal" data-code={decision.error.code}>
          <Icon name="alert" size={13} />
          <div>
            <p>{decision.error.message}</p>
            {decision.error.issues && decision.error.issues.length > 0 && (
              <ul>
                {decision.error.issues.map((issue) => (
                  <li key={`${issue.path}:${issue.message}`}>
                    {issue.path ? <code>{issue.path}</code> : null} {issue.message}
                  </li>
                ))}
              </ul>
            )}
            <p className="muted">Nothing was changed by it.</p>
          </div>
        </div>
      )}

      {decision.ruleIds.length > 0 && (
        <p className="ai-decision-rules muted" data-testid="ai-matched-rules">
          Rules it matched:{' '}
          {decision.ruleIds.map((id) => (
            <code key={id} className="ai-rule-id">
              {id}
            </code>
          ))}
        </p>
      )}

      {decision.provenance.length > 0 && (
        <details className="ai-provenance-details" open={decision.fromRecordText}>
          <summary>Where its values came from</summary>
          <ProvenanceTable provenance={decision.provenance} entity={entity} links={links} />
        </details>
      )}

      <div className="ai-decision-links">
        {decision.decision === 'executed' && decision.eventId && (
          <>
            {links.eventHref ? (
              <AiLink
                href={links.eventHref(decision.eventId, {
                  action: op?.type,
                  recordId,
                  entityType: entityType ?? null,
                })}
                onFollow={links.onFollow}
                testId="ai-decision-event"
              >
                The change in the audit log
              </AiLink>
            ) : null}
            {eventActions?.(decision.eventId)}
          </>
        )}
        {decision.decision === 'proposed' && decision.proposalId && links.proposalHref && (
          <AiLink
            href={links.proposalHref(decision.proposalId)}
            onFollow={links.onFollow}
            testId="ai-decision-proposal"
          >
            Open the proposal
          </AiLink>
        )}
        {recordId && links.recordHref && op?.type !== 'record.create' && (
          <AiLink href={links.recordHref(recordId, entityType)} onFollow={links.onFollow}>
            {target?.title ? `Open “${target.title}”` : 'Open the record'}
          </AiLink>
        )}
      </div>
      {decision.decision === 'executed' && decision.eventId && eventNote?.(decision.eventId)}
    </li>
  );
}
