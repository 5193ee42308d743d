import { useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Actor, AiOperation, Proposal, ProposalStatus, RejectProposalBody } from '@enclave/shared';
import {
  ErrorNote,
  Icon,
  operationRecordId,
  PROPOSAL_STATUS_WORDS,
  ProposalCard,
  useNow,
  type DecisionError,
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

const PAGE = 20;

type StatusChoice = ProposalStatus | 'all';
const STATUS_CHOICES: readonly { value: StatusChoice; label: string }[] = [
  { value: 'pending', label: PROPOSAL_STATUS_WORDS.pending },
  { value: 'approved', label: PROPOSAL_STATUS_WORDS.approved },
  { value: 'rejected', label: PROPOSAL_STATUS_WORDS.rejected },
  { value: 'expired', label: PROPOSAL_STATUS_WORDS.expired },
  { value: 'all', label: 'All' },
];

interface Loaded {
  status: StatusChoice;
  items: Proposal[];
  nextBefore: string | null;
}

interface Decision {
  busy: boolean;
  error: DecisionError | null;
  note: ReactNode;
}

/** A refusal as the proposal card shows it: the server's words, and its field issues for an edit. */
function decisionError(error: BridgeError): DecisionError {
  return { code: error.code, message: error.message, issues: error.issues };
}

/**
 * The proposals queue (`ai:proposals`): what the AI may not do on its own for this device's
 * owner, waiting for a decision — approve as it is, edit then approve, or reject with a reason
 * (optionally a new rule, which the server allows owners and admins only). Approving runs the
 * operation as this device for its owner. The queue lives on the server: offline, it says so, and
 * what was loaded stays readable but cannot be decided.
 */
export function ProposalsView({
  focusId,
  ...navigation
}: AiNavigation & {
  /** A proposal to bring into view (a link from the assistant's answer). */
  focusId: string | null;
}) {
  const { client } = useServices();
  const { session, self } = useWorkspace();
  const schema = self.schema;
  const status = useBehavior(session.syncStatus$);
  const online = status?.status === 'online';
  const now = useNow(60_000);
  const id = useId();

  const [choice, setChoice] = useState<StatusChoice>('pending');
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<BridgeError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [decisions, setDecisions] = useState<Record<string, Decision>>({});

  const { links, missing } = useAiLinks(session, navigation);
  const refTypes = useMemo(() => refTypesOf(schema.entityTypes), [schema]);
  const titles = useTitleLookup(session, schema, refTypes);
  const references = useReferenceSource(session, schema, titles);
  const shown = loaded?.status === choice ? loaded : null;
  const targets = useRecordTargets(
    session,
    schema,
    (shown?.items ?? []).map((p) => operationRecordId(p.operation)),
  );

  const fetchPage = useCallback(
    (before?: string) =>
      client.call('ai:proposals', {
        ...(choice === 'all' ? {} : { status: choice }),
        ...(before ? { before } : {}),
        limit: PAGE,
      }),
    [client, choice],
  );

  // The first page when the view opens, on another filter, after Refresh, and when the connection
  // comes back before one could be loaded.
  useEffect(() => {
    if (shown !== null || !online) return;
    let live = true;
    fetchPage().then(
      (page) => {
        if (!live) return;
        setLoaded({ status: choice, items: page.items, nextBefore: page.nextBefore });
        setError(null);
      },
      (failure: unknown) => {
        if (live) setError(asBridgeError(failure));
      },
    );
    return () => {
      live = false;
    };
  }, [fetchPage, shown, online, choice, attempt]);

  const loadOlder = async () => {
    if (!shown?.nextBefore || loadingOlder) return;
    setLoadingOlder(true);
    setError(null);
    try {
      const page = await fetchPage(shown.nextBefore);
      setLoaded((current) => {
        if (current?.status !== choice) return current;
        const have = new Set(current.items.map((p) => p.id));
        return {
          ...current,
          items: [...current.items, ...page.items.filter((p) => !have.has(p.id))],
          nextBefore: page.nextBefore,
        };
      });
    } catch (failure) {
      setError(asBridgeError(failure));
    } finally {
      setLoadingOlder(false);
    }
  };

  const refresh = () => {
    setError(null);
    setDecisions({});
    setLoaded(null);
    setAttempt((n) => n + 1);
  };

  /** A decided proposal stays where it is, showing what came of it, until the queue is read again. */
  const replace = (proposal: Proposal) =>
    setLoaded((current) =>
      current
        ? { ...current, items: current.items.map((p) => (p.id === proposal.id ? proposal : p)) }
        : current,
    );
  const setDecision = (proposalId: string, decision: Decision) =>
    setDecisions((previous) => ({ ...previous, [proposalId]: decision }));

  const approve = async (proposal: Proposal, operation?: AiOperation) => {
    if (decisions[proposal.id]?.busy) return;
    setDecision(proposal.id, { busy: true, error: null, note: null });
    try {
      const decided = await client.call('ai:approve', {
        proposalId: proposal.id,
        ...(operation ? { operation } : {}),
      });
      setDecision(proposal.id, { busy: false, error: null, note: null });
      replace(decided.proposal);
    } catch (failure) {
      setDecision(proposal.id, { busy: false, error: decisionError(asBridgeError(failure)), note: null });
    }
  };

  const reject = async (proposal: Proposal, body: RejectProposalBody) => {
    if (decisions[proposal.id]?.busy) return;
    setDecision(proposal.id, { busy: true, error: null, note: null });
    try {
      const decided = await client.call('ai:reject', { proposalId: proposal.id, ...body });
      const note = body.addRule ? (
        <p data-testid="proposal-rule-added">
          The rule <code className="ai-rule-id">{body.addRule.id}</code> is now in the constitution: “
          {body.addRule.text}”
        </p>
      ) : null;
      setDecision(proposal.id, { busy: false, error: null, note });
      replace(decided.proposal);
    } catch (failure) {
      setDecision(proposal.id, { busy: false, error: decisionError(asBridgeError(failure)), note: null });
    }
  };

  const actorName = useCallback(
    (actor: Actor) =>
      actor.kind === 'device' && actor.id === self.device.id ? `${actor.label} (this device)` : actor.label,
    [self.device.id],
  );

  // A proposal asked for by a link comes into view once it is loaded.
  const focused = useRef<HTMLLIElement | null>(null);
  const focusShown = focusId !== null && (shown?.items.some((p) => p.id === focusId) ?? false);
  useEffect(() => {
    if (focusShown) focused.current?.scrollIntoView({ block: 'nearest' });
  }, [focusShown, focusId]);

  const offline = !online || isUnreachable(error);
  const items = shown?.items ?? null;
  const firstLoading = items === null && online && error === null;

  return (
    <section className="page ai-view" aria-labelledby={`${id}-title`} data-testid="proposals-view">
      <header className="view-header">
        <h1 id={`${id}-title`}>Proposals</h1>
        <div className="spacer" />
        <button
          type="button"
          className="button"
          onClick={refresh}
          disabled={firstLoading || !online}
          data-testid="proposals-refresh"
        >
          <Icon name="refresh" size={14} /> Refresh
        </button>
      </header>
      <p className="page-intro">
        What the AI may not do on its own waits here for a person. Owners and admins see every proposal of the
        workspace, others those made for their own requests. An approved one runs as this device, for you.
      </p>

      <div className="ai-view-body">
        <div className="ai-queue-filter">
          <label className="field-label" htmlFor={`${id}-status`}>
            Show
          </label>
          <select
            id={`${id}-status`}
            value={choice}
            onChange={(e) => {
              setChoice(e.target.value as StatusChoice);
              setError(null);
            }}
            data-testid="proposals-status"
          >
            {STATUS_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>

        {offline && items === null && (
          <NeedsConnection title="Proposals need a connection">
            The proposals are kept on the server. They show here when Enclave is back online.
          </NeedsConnection>
        )}
        {offline && items !== null && (
          <NeedsConnection title="Offline" compact>
            Showing what was loaded before the connection dropped. Decisions wait until Enclave is back
            online.
          </NeedsConnection>
        )}
        {!offline && error !== null && (
          <div className="ai-load-error">
            <ErrorNote error={error} title="The proposals could not be read" testId="proposals-error" />
            <button
              type="button"
              className="button small"
              onClick={items === null ? refresh : () => void loadOlder()}
            >
              Try again
            </button>
          </div>
        )}
        {firstLoading && <div className="list-loading" aria-busy="true" />}
        {missing !== null && (
          <p className="muted" role="status" data-testid="ai-record-missing">
            <Icon name="info" size={13} /> That record is not on this device: it was deleted, or it is not
            yours to read.
          </p>
        )}
        {items !== null && items.length === 0 && (
          <div className="empty-state" data-testid="proposals-empty">
            <Icon name="check" size={28} />
            <h2>
              {choice === 'pending'
                ? 'Nothing waits for a decision'
                : choice === 'all'
                  ? 'No proposals yet'
                  : `No ${PROPOSAL_STATUS_WORDS[choice].toLowerCase()} proposals`}
            </h2>
            <p>When the AI proposes something it may not do on its own, it waits here.</p>
          </div>
        )}
        {items !== null && items.length > 0 && (
          <ul className="ai-proposal-list" data-testid="proposals-list">
            {items.map((proposal) => {
              const recordId = operationRecordId(proposal.operation);
              const decision = decisions[proposal.id];
              const isFocus = proposal.id === focusId;
              return (
                <li
                  key={proposal.id}
                  ref={isFocus ? focused : undefined}
                  className={isFocus ? 'ai-focused' : undefined}
                >
                  <ProposalCard
                    proposal={proposal}
                    schema={schema}
                    target={recordId ? targets(recordId) : undefined}
                    now={now}
                    actorName={actorName}
                    links={links}
                    references={references}
                    canDecide={!offline}
                    busy={decision?.busy ?? false}
                    error={decision?.error ?? null}
                    outcome={decision?.note}
                    onApprove={(operation) => void approve(proposal, operation)}
                    onReject={(body) => void reject(proposal, body)}
                  />
                </li>
              );
            })}
          </ul>
        )}
        {shown !== null && shown.nextBefore !== null && (
          <div className="load-more">
            <button
              type="button"
              className="button"
              disabled={loadingOlder || offline}
              onClick={() => void loadOlder()}
              data-testid="proposals-more"
            >
              {loadingOlder ? 'Loading…' : 'Older proposals'}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
