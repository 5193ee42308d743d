import { useId, useMemo, useState, type SyntheticEvent } from 'react';
import type { AiAnswer, AiFeature, AiRequestBody } from '@enclave/shared';
import {
  AiRefusalNote,
  AnswerView,
  FEATURE_WORDS,
  featureChoices,
  type FeatureChoice,
  Icon,
  OperationDecisionList,
  operationRecordId,
  ReferencePicker,
  Spinner,
} from '@enclave/ui';
import { useServices } from '../app/services';
import { asBridgeError, type BridgeError } from '../bridge/client';
import { refTypesOf, useReferenceSource, useTitleLookup } from '../records/record-hooks';
import { useBehavior } from '../ui/observable-hooks';
import { useWorkspace } from '../workspace/workspace-context';
import { isUnreachable, NeedsConnection } from './NeedsConnection';
import { useAiLinks, type AiNavigation } from './use-ai-links';
import { useRecordTargets } from './use-record-targets';
import './ai-views.css';

const FEATURES = featureChoices('activity log');
const [ASSISTANT] = FEATURES as [FeatureChoice, ...FeatureChoice[]];

interface Exchange {
  id: number;
  body: AiRequestBody;
  asked: string;
  answer: AiAnswer | null;
  error: BridgeError | null;
}

/**
 * The assistant: a request in words or about one record of the replica, sent through this
 * device for its owner (`ai:request`). The AI works with the owner's rights and no more; its
 * answer cites its sources, and each operation it proposed says whether it ran, waits in the
 * Proposals view, or was refused. The AI runs on the server: offline, the view says so.
 */
export function AssistantView({ hidden = false, ...navigation }: AiNavigation & { hidden?: boolean }) {
  const { client } = useServices();
  const { session, self } = useWorkspace();
  const status = useBehavior(session.syncStatus$);
  const online = status?.status === 'online';
  const schema = self.schema;
  const id = useId();

  const [feature, setFeature] = useState<AiFeature>('assistant');
  const [message, setMessage] = useState('');
  const [recordType, setRecordType] = useState(() => schema.entityTypes[0]?.key ?? '');
  const [recordId, setRecordId] = useState('');
  const [instructions, setInstructions] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [busy, setBusy] = useState(false);

  const choice = FEATURES.find((f) => f.feature === feature) ?? ASSISTANT;
  const pickedTypes = useMemo(() => (recordType ? [recordType] : []), [recordType]);
  const titles = useTitleLookup(session, schema, pickedTypes);
  const references = useReferenceSource(session, schema, titles);
  const { links, missing } = useAiLinks(session, navigation);
  const targetIds = exchanges.flatMap((x) => [
    'recordId' in x.body ? (x.body.recordId ?? null) : null,
    ...(x.answer?.operations.map((d) => (d.operation ? operationRecordId(d.operation) : null)) ?? []),
  ]);
  const targets = useRecordTargets(session, schema, targetIds);
  const refTypes = useMemo(() => refTypesOf(schema.entityTypes), [schema]);
  const refTitles = useTitleLookup(session, schema, refTypes);
  const recordEntity = schema.entityTypes.find((e) => e.key === recordType);

  const recordLabel = (picked: string) => {
    const title = titles(recordType, picked);
    return title ? `“${title}”` : `record ${picked}`;
  };

  const bodyOf = (): AiRequestBody | null => {
    const text = message.trim();
    if (choice.needs === 'message' && !text) {
      setProblem('Write what you want to ask.');
      return null;
    }
    if (choice.needs === 'record' && !recordId) {
      setProblem('Choose the record to work on.');
      return null;
    }
    setProblem(null);
    switch (feature) {
      case 'assistant':
        return { feature, message: text };
      case 'auditQuestions':
        return { feature, message: text };
      case 'summary':
      case 'triage':
        return { feature, recordId };
      case 'draftReply':
        return instructions.trim()
          ? { feature, recordId, instructions: instructions.trim() }
          : { feature, recordId };
    }
  };

  const askedText = (body: AiRequestBody): string => {
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
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (busy || !online) return;
    const body = bodyOf();
    if (!body) return;
    const exchangeId = Date.now();
    setBusy(true);
    setExchanges((previous) => [
      { id: exchangeId, body, asked: askedText(body), answer: null, error: null },
      ...previous,
    ]);
    try {
      const answer = await client.call('ai:request', body);
      setExchanges((previous) => previous.map((x) => (x.id === exchangeId ? { ...x, answer } : x)));
      if (choice.needs === 'message') setMessage('');
    } catch (failure) {
      const error = asBridgeError(failure);
      setExchanges((previous) => previous.map((x) => (x.id === exchangeId ? { ...x, error } : x)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      className="page ai-view"
      hidden={hidden}
      aria-labelledby={`${id}-title`}
      data-testid="assistant-view"
    >
      <header className="view-header">
        <h1 id={`${id}-title`}>Assistant</h1>
      </header>
      <p className="page-intro">
        The AI works with your rights and no more. What it may do on its own follows the workspace’s trust
        settings; everything else waits for you in Proposals.
      </p>

      <div className="ai-view-body">
        {!online && (
          <NeedsConnection title="The assistant needs a connection" compact>
            The AI runs on the server. Ask again when Enclave is back online; your records stay here
            meanwhile.
          </NeedsConnection>
        )}

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
                setProblem(null);
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
            <div className={`field${problem ? ' invalid' : ''}`}>
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
                aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? `${id}-problem` : undefined}
                data-testid="ai-message"
              />
            </div>
          )}

          {choice.needs === 'record' && (
            <div className="ai-record-choice">
              <div className="field">
                <label className="field-label" htmlFor={`${id}-type`}>
                  Type
                </label>
                <select
                  id={`${id}-type`}
                  value={recordType}
                  onChange={(e) => {
                    setRecordType(e.target.value);
                    setRecordId('');
                  }}
                  data-testid="ai-record-type"
                >
                  {schema.entityTypes.map((entity) => (
                    <option key={entity.key} value={entity.key}>
                      {entity.label}
                    </option>
                  ))}
                </select>
              </div>
              <div className={`field${problem ? ' invalid' : ''}`}>
                <label className="field-label" htmlFor={`${id}-record`}>
                  Record
                </label>
                <ReferencePicker
                  source={references}
                  target={recordEntity}
                  refType={recordType}
                  value={recordId}
                  onChange={(picked) => {
                    setRecordId(picked);
                    setProblem(null);
                  }}
                  required
                  inputProps={{
                    id: `${id}-record`,
                    'data-testid': 'ai-record',
                    'aria-invalid': problem ? true : undefined,
                    'aria-describedby': problem ? `${id}-problem` : undefined,
                  }}
                />
              </div>
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

          {problem && (
            <p className="field-error" id={`${id}-problem`} role="alert">
              {problem}
            </p>
          )}

          <div className="form-actions">
            <button
              type="submit"
              className="button primary"
              disabled={busy || !online}
              data-testid="ai-submit"
            >
              {busy ? 'Working…' : 'Ask'}
            </button>
          </div>
        </form>

        {missing !== null && (
          <p className="muted" role="status" data-testid="ai-record-missing">
            <Icon name="info" size={13} /> That record is not on this device: it was deleted, or the AI named
            one that does not exist.
          </p>
        )}

        {exchanges.length === 0 ? (
          <p className="muted" data-testid="ai-no-answers">
            Answers appear here, newest first, while the app is open. What the AI changed is in Activity; what
            waits for a decision is in Proposals.
          </p>
        ) : (
          <ol className="ai-exchanges" data-testid="ai-exchanges" aria-label="Answers">
            {exchanges.map((exchange) => (
              <li key={exchange.id} className="card ai-exchange" data-testid="ai-exchange">
                <p className="ai-asked">
                  <span className="muted">{FEATURE_WORDS[exchange.body.feature]}:</span>{' '}
                  <span data-testid="ai-asked">{exchange.asked}</span>
                </p>
                {!exchange.answer && !exchange.error && <Spinner label="The AI is working on it" />}
                {exchange.error &&
                  (isUnreachable(exchange.error) ? (
                    <NeedsConnection title="Not sent: the assistant needs a connection" compact>
                      The server could not be reached, so the AI was not asked and nothing changed. Ask again
                      when Enclave is back online.
                    </NeedsConnection>
                  ) : (
                    // The desktop does not know its owner's roles; the server's message says who can change a setting.
                    <AiRefusalNote error={exchange.error} canManage={false} />
                  ))}
                {exchange.answer && (
                  <>
                    <AnswerView answer={exchange.answer} schema={schema} links={links} />
                    {exchange.answer.operations.length > 0 && (
                      <div className="ai-operations">
                        <h3 className="ai-subheading">What it proposed</h3>
                        <OperationDecisionList
                          decisions={exchange.answer.operations}
                          schema={schema}
                          targets={targets}
                          titles={refTitles}
                          links={links}
                        />
                      </div>
                    )}
                  </>
                )}
              </li>
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}
