import type { ReactNode } from 'react';
import { findEntityType, type AiAnswer, type WorkspaceSchema } from '@enclave/shared';
import { auditActionChoices } from '../activity';
import { Icon } from '../Icon';
import { humanise } from '../records';
import { AiLink, type AiLinks } from './links';
import { confidenceText, FEATURE_WORDS } from './words';

const ACTION_LABELS = new Map(
  auditActionChoices().flatMap((group) => group.actions.map((choice) => [choice.action, choice.label])),
);

/** An audit action in words ("Changed a record"), or its name when it has none. */
export function actionLabel(action: string): string {
  return ACTION_LABELS.get(action) ?? action;
}

/**
 * The AI's answer with its sources: the records and audit events it cited (only those it was shown
 * and the person may read: the server drops the others, and this says how many), the rules it
 * relied on and how sure it was. `eventActions` puts the app's own buttons beside a cited event
 * (Undo), `eventNote` what became of them.
 */
export function AnswerView({
  answer,
  schema,
  links = {},
  eventActions,
  eventNote,
  testId = 'ai-answer',
}: {
  answer: AiAnswer;
  /** For the names of the cited records' types. */
  schema?: WorkspaceSchema | null;
  links?: AiLinks;
  eventActions?: (eventId: string) => ReactNode;
  eventNote?: (eventId: string) => ReactNode;
  testId?: string;
}) {
  const { records, events } = answer.citations;
  const dropped = answer.droppedCitations;
  return (
    <section
      className="ai-answer"
      data-testid={testId}
      aria-label={`${FEATURE_WORDS[answer.feature]} answer`}
    >
      <div className="ai-answer-text" data-testid="ai-answer-text">
        {answer.text.trim() ? answer.text : <span className="muted">The AI gave no answer in words.</span>}
      </div>

      {(records.length > 0 || events.length > 0) && (
        <div className="ai-sources">
          <h3 className="ai-subheading">Sources</h3>
          <ul className="ai-source-list" data-testid="ai-citations">
            {records.map((record) => (
              <li key={`record:${record.id}`} data-testid="ai-cited-record" data-id={record.id}>
                <div className="ai-source-row">
                  <Icon name="rows" size={13} />
                  {links.recordHref ? (
                    <AiLink href={links.recordHref(record.id, record.type)} onFollow={links.onFollow}>
                      {record.title}
                    </AiLink>
                  ) : (
                    <span>{record.title}</span>
                  )}
                  <span className="muted">
                    {' '}
                    · {(schema && findEntityType(schema, record.type)?.label) ?? humanise(record.type)}
                  </span>
                </div>
              </li>
            ))}
            {events.map((event) => (
              <li key={`event:${event.id}`} data-testid="ai-cited-event" data-id={event.id}>
                <div className="ai-source-row">
                  <Icon name="activity" size={13} />
                  {links.eventHref ? (
                    <AiLink
                      href={links.eventHref(event.id, { seq: event.seq, action: event.action })}
                      onFollow={links.onFollow}
                    >
                      Event #{event.seq}
                    </AiLink>
                  ) : (
                    <span>Event #{event.seq}</span>
                  )}
                  <span className="muted"> · {actionLabel(event.action)}</span>
                  {eventActions && <span className="ai-source-actions">{eventActions(event.id)}</span>}
                </div>
                {eventNote?.(event.id)}
              </li>
            ))}
          </ul>
        </div>
      )}

      {dropped > 0 && (
        <p className="ai-dropped" role="note" data-testid="ai-dropped-citations">
          <Icon name="info" size={13} />{' '}
          {dropped === 1
            ? '1 citation the AI made up was dropped: it named a source it had not been shown.'
            : `${dropped} citations the AI made up were dropped: they named sources it had not been shown.`}
        </p>
      )}

      <dl className="ai-facts">
        <div>
          <dt>Confidence</dt>
          <dd data-testid="ai-confidence">{confidenceText(answer.confidence)}</dd>
        </div>
        <div>
          <dt>Rules relied on</dt>
          <dd data-testid="ai-rule-ids">
            {answer.ruleIds.length > 0 ? (
              answer.ruleIds.map((id) => (
                <code key={id} className="ai-rule-id">
                  {id}
                </code>
              ))
            ) : (
              <span className="muted">none</span>
            )}
            <span className="muted"> (constitution version {answer.constitutionVersion})</span>
          </dd>
        </div>
        {answer.unknownRuleIds.length > 0 && (
          <div>
            <dt>Rules that do not exist</dt>
            <dd data-testid="ai-unknown-rule-ids">
              {answer.unknownRuleIds.map((id) => (
                <code key={id} className="ai-rule-id">
                  {id}
                </code>
              ))}
              <span className="muted"> — cited by the AI; they grant nothing.</span>
            </dd>
          </div>
        )}
        {answer.rationale.trim() && (
          <div>
            <dt>Its reasoning</dt>
            <dd data-testid="ai-rationale">{answer.rationale}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}
