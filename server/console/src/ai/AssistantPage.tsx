import { useEffect, useId, useMemo, useState, type ReactNode, type SyntheticEvent } from 'react';
import {
  findEntityType,
  type AiAnswer,
  type AiFeature,
  type AiRequestBody,
  type WorkspaceSchema,
} from '@enclave/shared';
import {
  AiRefusalNote,
  AnswerView,
  FEATURE_WORDS,
  featureChoices,
  type FeatureChoice,
  Icon,
  OperationDecisionList,
  recordTitle,
  Spinner,
} from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useResource } from '../api/use-resource';
import { useQuery } from '../app/router';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import { consoleAiLinks, mayUndo } from './ai-links';
import { useTitles } from '../records/use-titles';
import { useRecordTargets, type Targets } from './use-targets';
import './assistant.css';

const FEATURES = featureChoices('audit log');
const [ASSISTANT] = FEATURES as [FeatureChoice, ...FeatureChoice[]];

/** The records the proposed data points at (an invoice's client), for their titles. */
function referencesOf(
  answers: readonly AiAnswer[],
  schema: WorkspaceSchema | undefined,
  targets: Targets,
): { type: string; id: string }[] {
  if (!schema) return [];
  const refs: { type: string; id: string }[] = [];
  for (const answer of answers) {
    for (const { operation: op } of answer.operations) {
      if (op?.type !== 'record.create' && op?.type !== 'record.update') continue;
      const type = op.type === 'record.create' ? op.entityType : targets.target(op.id)?.type;
      const entity = type ? findEntityType(schema, type) : undefined;
      for (const field of entity?.fields ?? []) {
        const value = op.data[field.key];
        if (field.type === 'reference' && field.refType && typeof value === 'string')
          refs.push({ type: field.refType, id: value });
      }
    }
  }
  return refs;
}

const isFeature = (value: string | null): value is AiFeature =>
  FEATURES.some((choice) => choice.feature === value);

interface Exchange {
  id: number;
  body: AiRequestBody;
  answer: AiAnswer | null;
  error: ApiError | null;
}

type UndoState = { status: 'busy' } | { status: 'done' } | { status: 'refused'; error: ApiError };

function undoRefusal(error: ApiError): string {
  if (error.code === 'not_found')
    return 'Not undone: this record no longer exists, or this event is not a change to a record.';
  if (error.code === 'forbidden')
    return `Not undone: ${error.message}. Your roles do not let you change this record.`;
  return `Not undone: ${error.message}`;
}

/** What the person asked, in a line, for the exchange's heading. */
function askedText(body: AiRequestBody, recordLabel: (id: string) => string): string {
  switch (body.feature) {
    case 'assistant':
    case 'auditQuestions':
      return body.message;
    case 'summary':
      return `Summarise ${recordLabel(body.recordId)}`;
    case 'triage':
      return `Triage ${recordLabel(body.recordId)}`;
    case 'draftReply':
      return `Draft a reply to ${recordLabel(body.recordId)}${body.instructions ? `: ${body.instructions}` : ''}`;
  }
}

/**
 * The assistant in the browser: a request (in words, or about one record — `?record=<id>` in the
 * address fills it, so the Records page can link here), the AI's answer with its sources, and what
 * became of each operation it proposed. A cited change to a record, or one the AI made, can be
 * undone here. Refusals of the request itself say why in the server's words and what to do.
 */
export function AssistantPage() {
  const { workspace, isAdmin } = useWorkspace();
  const workspaceId = workspace.id;
  const query = useQuery();
  const recordFromAddress = query.get('record')?.trim() ?? '';
  const featureFromAddress = query.get('feature');
  const [feature, setFeature] = useState<AiFeature>(() =>
    isFeature(featureFromAddress) ? featureFromAddress : recordFromAddress ? 'summary' : 'assistant',
  );
  const [message, setMessage] = useState('');
  const [recordId, setRecordId] = useState(recordFromAddress);
  const [instructions, setInstructions] = useState('');
  const [problems, setProblems] = useState<{ message?: string; record?: string }>({});
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [busy, setBusy] = useState(false);
  const [undos, setUndos] = useState<Record<string, UndoState>>({});
  const id = useId();

  const choice = FEATURES.find((f) => f.feature === feature) ?? ASSISTANT;
  const links = useMemo(() => consoleAiLinks(workspaceId), [workspaceId]);
  const schema = useResource(`schema:${workspaceId}`, () => call('getSchema', { params: { workspaceId } }));
  const targets = useRecordTargets(workspaceId, schema.data);
  const titles = useTitles(workspaceId, schema.data?.entityTypes ?? []);
  const { want: wantTitles } = titles;
  useEffect(() => {
    const answers = exchanges.flatMap((x) => (x.answer ? [x.answer] : []));
    wantTitles(referencesOf(answers, schema.data, targets));
  }, [exchanges, schema.data, targets, wantTitles]);
  const named = useResource(`ai-record:${workspaceId}:${recordFromAddress}`, async () =>
    recordFromAddress ? call('getRecord', { params: { workspaceId, recordId: recordFromAddress } }) : null,
  );
  const namedEntity = named.data
    ? schema.data?.entityTypes.find((e) => e.key === named.data?.type)
    : undefined;

  const recordLabel = (recordIdText: string) => {
    const known = targets.target(recordIdText);
    return known?.title ? `“${known.title}”` : `record ${recordIdText}`;
  };

  const bodyOf = (): AiRequestBody | null => {
    const text = message.trim();
    const record = recordId.trim();
    const found: { message?: string; record?: string } = {};
    if (choice.needs === 'message' && !text) found.message = 'Write what you want to ask.';
    if (choice.needs === 'record' && !record) found.record = 'Enter the id of the record to work on.';
    setProblems(found);
    if (found.message || found.record) return null;
    switch (feature) {
      case 'assistant':
        return record ? { feature, message: text, recordId: record } : { feature, message: text };
      case 'auditQuestions':
        return { feature, message: text };
      case 'summary':
      case 'triage':
        return { feature, recordId: record };
      case 'draftReply':
        return instructions.trim()
          ? { feature, recordId: record, instructions: instructions.trim() }
          : { feature, recordId: record };
    }
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy) return;
    const body = bodyOf();
    if (!body) return;
    const exchangeId = Date.now();
    setBusy(true);
    setExchanges((previous) => [{ id: exchangeId, body, answer: null, error: null }, ...previous]);
    if ('recordId' in body && body.recordId) targets.want([body.recordId]);
    try {
      const answer = await call('aiRequest', { params: { workspaceId }, body });
      targets.want(
        answer.operations.flatMap((d) =>
          d.operation && d.operation.type !== 'record.create' && 'id' in d.operation ? [d.operation.id] : [],
        ),
      );
      setExchanges((previous) => previous.map((x) => (x.id === exchangeId ? { ...x, answer } : x)));
      if (body.feature === 'assistant' || body.feature === 'auditQuestions') setMessage('');
    } catch (failure) {
      setExchanges((previous) =>
        previous.map((x) => (x.id === exchangeId ? { ...x, error: asApiError(failure) } : x)),
      );
    } finally {
      setBusy(false);
    }
  };

  const undo = async (eventId: string) => {
    setUndos((previous) => ({ ...previous, [eventId]: { status: 'busy' } }));
    try {
      await call('undoEvent', { params: { workspaceId, eventId } });
      setUndos((previous) => ({ ...previous, [eventId]: { status: 'done' } }));
    } catch (failure) {
      setUndos((previous) => ({ ...previous, [eventId]: { status: 'refused', error: asApiError(failure) } }));
    }
  };

  const canUndo = mayUndo(workspace.roles);
  /** Undo beside an event that changed a record (cited, or made by the AI just now). */
  const undoButton = (undoable: ReadonlySet<string>) => (eventId: string) => {
    if (!canUndo || !undoable.has(eventId)) return null;
    const state = undos[eventId];
    if (state?.status === 'done') return null;
    return (
      <button
        type="button"
        className="button small"
        onClick={() => void undo(eventId)}
        disabled={state?.status === 'busy'}
        data-testid="ai-undo"
      >
        <Icon name="undo" size={13} />
        {state?.status === 'busy' ? 'Undoing…' : 'Undo'}
      </button>
    );
  };
  const undoNote = (eventId: string): ReactNode => {
    const state = undos[eventId];
    if (state?.status === 'done')
      return (
        <p className="ai-undo-done" role="status" data-testid="ai-undo-done">
          <Icon name="check" size={13} /> Undone: the record is back as it was before this change.
        </p>
      );
    if (state?.status === 'refused')
      return (
        <p className="field-error" role="alert" data-testid="ai-undo-error" data-code={state.error.code}>
          {undoRefusal(state.error)}
        </p>
      );
    return null;
  };

  return (
    <div className="page console-page assistant-page" data-testid="assistant-page">
      <PageHeader
        title="Assistant"
        intro="The AI works with your rights and no more. What it may do on its own follows the workspace’s trust settings and constitution; everything else waits for a person on the Proposals page."
      />

      <section className="console-section" aria-labelledby={`${id}-ask`}>
        <h2 id={`${id}-ask`} className="visually-hidden">
          Ask
        </h2>
        <form className="form card ai-ask" onSubmit={(e) => void submit(e)} noValidate data-testid="ai-ask">
          <div className="field">
            <label className="field-label" htmlFor={`${id}-feature`}>
              What to do
            </label>
            <select
              id={`${id}-feature`}
              value={feature}
              onChange={(e) => {
                setFeature(e.target.value as AiFeature);
                setProblems({});
              }}
              aria-describedby={`${id}-feature-hint`}
              data-testid="ai-feature"
            >
              {FEATURES.map((f) => (
                <option key={f.feature} value={f.feature}>
                  {f.label}
                </option>
              ))}
            </select>
            <p className="hint" id={`${id}-feature-hint`}>
              {choice.hint}
            </p>
          </div>

          {choice.needs === 'message' && (
            <div className={`field${problems.message ? ' invalid' : ''}`}>
              <label className="field-label" htmlFor={`${id}-message`}>
                {feature === 'auditQuestions' ? 'Your question' : 'Your request'}
              </label>
              <textarea
                id={`${id}-message`}
                rows={3}
                maxLength={2_000}
                value={message}
                onChange={(e) => setMessage(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void submit(e);
                }}
                placeholder={
                  feature === 'auditQuestions'
                    ? 'Who changed the status of INV-0089, and when?'
                    : 'Mark INV-0089 paid'
                }
                aria-invalid={problems.message ? true : undefined}
                aria-describedby={problems.message ? `${id}-message-error` : undefined}
                data-testid="ai-message"
              />
              {problems.message && (
                <p className="field-error" id={`${id}-message-error`}>
                  {problems.message}
                </p>
              )}
            </div>
          )}

          {(choice.needs === 'record' || feature === 'assistant') && (
            <div className={`field${problems.record ? ' invalid' : ''}`}>
              <label className="field-label" htmlFor={`${id}-record`}>
                {choice.needs === 'record' ? 'Record id' : 'Record it is about (optional)'}
              </label>
              <input
                id={`${id}-record`}
                type="text"
                className="mono"
                maxLength={64}
                autoComplete="off"
                spellCheck={false}
                value={recordId}
                onChange={(e) => setRecordId(e.target.value)}
                aria-invalid={problems.record ? true : undefined}
                aria-describedby={`${id}-record-hint${problems.record ? ` ${id}-record-error` : ''}`}
                data-testid="ai-record"
              />
              <p className="hint" id={`${id}-record-hint`} data-testid="ai-record-hint">
                {named.data && recordId.trim() === recordFromAddress ? (
                  <>
                    {namedEntity?.label ?? named.data.type} “{recordTitle(namedEntity, named.data.data)}”
                  </>
                ) : (
                  'A record’s id is in its address on the Records page, after record=.'
                )}
              </p>
              {problems.record && (
                <p className="field-error" id={`${id}-record-error`}>
                  {problems.record}
                </p>
              )}
            </div>
          )}

          {feature === 'draftReply' && (
            <div className="field">
              <label className="field-label" htmlFor={`${id}-instructions`}>
                What the reply should say (optional)
              </label>
              <textarea
                id={`${id}-instructions`}
                rows={2}
                maxLength={1_000}
                value={instructions}
                onChange={(e) => setInstructions(e.target.value)}
                data-testid="ai-instructions"
              />
            </div>
          )}

          <div className="form-actions">
            <button type="submit" className="button primary" disabled={busy} data-testid="ai-submit">
              {busy ? 'Working…' : 'Ask'}
            </button>
          </div>
        </form>
      </section>

      <section className="console-section" aria-labelledby={`${id}-answers`}>
        <h2 id={`${id}-answers`} className="visually-hidden">
          Answers
        </h2>
        {exchanges.length === 0 ? (
          <p className="muted" data-testid="ai-no-answers">
            Answers appear here, newest first. They are not kept when you leave this page; what the AI changed
            is in the audit log, and what waits is on the Proposals page.
          </p>
        ) : (
          <ol className="ai-exchanges" data-testid="ai-exchanges">
            {exchanges.map((exchange) => {
              const answer = exchange.answer;
              const undoable = new Set<string>();
              if (answer) {
                for (const event of answer.citations.events)
                  if (event.action.startsWith('record.')) undoable.add(event.id);
                for (const decision of answer.operations)
                  if (decision.eventId && decision.operation?.type.startsWith('record.'))
                    undoable.add(decision.eventId);
              }
              return (
                <li key={exchange.id} className="card ai-exchange" data-testid="ai-exchange">
                  <p className="ai-asked">
                    <span className="muted">{FEATURE_WORDS[exchange.body.feature]}:</span>{' '}
                    <span data-testid="ai-asked">{askedText(exchange.body, recordLabel)}</span>
                  </p>
                  {!answer && !exchange.error && <Spinner label="The AI is working on it" />}
                  {exchange.error && <AiRefusalNote error={exchange.error} canManage={isAdmin} />}
                  {answer && (
                    <>
                      <AnswerView
                        answer={answer}
                        schema={schema.data}
                        links={links}
                        eventActions={undoButton(undoable)}
                        eventNote={undoNote}
                      />
                      {answer.operations.length > 0 && (
                        <div className="ai-operations">
                          <h3 className="ai-subheading">What it proposed</h3>
                          <OperationDecisionList
                            decisions={answer.operations}
                            schema={schema.data}
                            targets={targets.target}
                            titles={titles.lookup}
                            links={links}
                            eventActions={undoButton(undoable)}
                            eventNote={undoNote}
                          />
                        </div>
                      )}
                    </>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </section>
    </div>
  );
}
