import { useCallback, useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import {
  ProposalStatus,
  type Actor,
  type AiOperation,
  type Proposal,
  type RejectProposalBody,
  type WorkspaceSchema,
} from '@enclave/shared';
import {
  ErrorNote,
  Icon,
  operationRecordId,
  PROPOSAL_STATUS_WORDS,
  ProposalCard,
  Spinner,
  useNow,
  type AiLinks,
  type ReferenceSource,
} from '@enclave/ui';
import { asApiError, call, type ApiError } from '../api/client';
import { useResource } from '../api/use-resource';
import { Link, navigate, useQuery } from '../app/router';
import { useWorkspace } from '../app/workspace';
import { PageHeader } from '../layout/ConsoleShell';
import { useTitles } from '../records/use-titles';
import { consoleAiLinks } from './ai-links';
import { useRecordTargets, type Targets } from './use-targets';
import './assistant.css';

/** Proposals a page: the queue is read a page at a time, older ones on request. */
const PAGE = 20;

type StatusChoice = ProposalStatus | 'all';
const STATUS_CHOICES: { value: StatusChoice; label: string }[] = [
  { value: 'pending', label: PROPOSAL_STATUS_WORDS.pending },
  { value: 'approved', label: PROPOSAL_STATUS_WORDS.approved },
  { value: 'rejected', label: PROPOSAL_STATUS_WORDS.rejected },
  { value: 'expired', label: PROPOSAL_STATUS_WORDS.expired },
  { value: 'all', label: 'All' },
];

function statusOf(query: URLSearchParams): StatusChoice {
  const value = query.get('status');
  if (value === 'all') return 'all';
  const parsed = ProposalStatus.safeParse(value);
  return parsed.success ? parsed.data : 'pending';
}

interface Queue {
  /** The status these proposals are for: what was loaded for another is not shown. */
  key: string;
  items: Proposal[];
  nextBefore: string | null;
  error: ApiError | null;
}

/** The proposals of one status, newest first, a page at a time (`before` the last one shown). */
function useProposalQueue(workspaceId: string, status: StatusChoice) {
  const [queue, setQueue] = useState<Queue | null>(null);
  const [more, setMore] = useState<{ busy: boolean; error: ApiError | null }>({ busy: false, error: null });
  const [attempt, setAttempt] = useState(0);
  const key = `${workspaceId}:${status}`;

  const fetchPage = useCallback(
    (before?: string) =>
      call('listProposals', {
        params: { workspaceId },
        query: { status: status === 'all' ? undefined : status, before, limit: PAGE },
      }),
    [workspaceId, status],
  );

  useEffect(() => {
    let current = true;
    fetchPage().then(
      (page) => {
        if (current) setQueue({ key, items: page.items, nextBefore: page.nextBefore, error: null });
      },
      (failure: unknown) => {
        if (current) setQueue({ key, items: [], nextBefore: null, error: asApiError(failure) });
      },
    );
    return () => {
      current = false;
    };
  }, [fetchPage, key, attempt]);

  const shown = queue?.key === key ? queue : null;

  const loadMore = async () => {
    if (!shown || shown.nextBefore === null || more.busy) return;
    setMore({ busy: true, error: null });
    try {
      const page = await fetchPage(shown.nextBefore);
      setQueue((previous) => {
        if (previous?.key !== key) return previous;
        const have = new Set(previous.items.map((p) => p.id));
        return {
          ...previous,
          items: [...previous.items, ...page.items.filter((p) => !have.has(p.id))],
          nextBefore: page.nextBefore,
        };
      });
      setMore({ busy: false, error: null });
    } catch (failure) {
      setMore({ busy: false, error: asApiError(failure) });
    }
  };

  /** A decided proposal stays where it is, showing its outcome, until the list is read again. */
  const replace = (proposal: Proposal) =>
    setQueue((previous) =>
      previous?.key === key
        ? { ...previous, items: previous.items.map((p) => (p.id === proposal.id ? proposal : p)) }
        : previous,
    );

  return {
    items: shown?.items ?? null,
    nextBefore: shown?.nextBefore ?? null,
    error: shown?.error ?? null,
    more,
    loadMore,
    replace,
    retry: () => setAttempt((n) => n + 1),
  };
}

interface Decision {
  busy: boolean;
  error: ApiError | null;
  /** What the page adds under the outcome: the rule a rejection added. */
  note: ReactNode;
}

/**
 * The proposals queue: what the AI wanted to do and may not do on its own, waiting for a person.
 * Owners and admins see every proposal; others the ones made for their own requests. Each can be
 * approved as it is, edited and approved (as the same kind of operation on the same record), or
 * rejected with a reason — optionally adding a rule to the constitution so that the same kind of
 * operation does not come back. `?status=` filters (pending by default); `?proposal=<id>` shows one.
 */
export function ProposalsPage() {
  const { workspace, isAdmin } = useWorkspace();
  const workspaceId = workspace.id;
  const query = useQuery();
  const status = statusOf(query);
  const single = query.get('proposal');
  const id = useId();
  const now = useNow(60_000);

  const links = useMemo(() => consoleAiLinks(workspaceId), [workspaceId]);
  const schema = useResource(`schema:${workspaceId}`, () => call('getSchema', { params: { workspaceId } }));
  const members = useResource(`members:${workspaceId}`, () =>
    call('listMembers', { params: { workspaceId } }),
  );
  const targets = useRecordTargets(workspaceId, schema.data);
  const titles = useTitles(workspaceId, schema.data?.entityTypes ?? []);

  const names = useMemo(() => {
    const map = new Map<string, string>();
    for (const member of members.data?.items ?? []) map.set(member.userId, member.name);
    return map;
  }, [members.data]);
  const actorName = useCallback(
    (actor: Actor) => (actor.kind === 'system' ? 'Enclave' : (names.get(actor.id) ?? actor.label)),
    [names],
  );

  const choose = (next: StatusChoice) =>
    navigate(`/w/${workspaceId}/proposals${next === 'pending' ? '' : `?status=${next}`}`);

  return (
    <div className="page console-page proposals-page" data-testid="proposals-page">
      <PageHeader
        title="Proposals"
        intro={
          isAdmin
            ? 'What the AI may not do on its own waits here for a person. As an owner or admin you see every proposal in this workspace; an approved one runs as you.'
            : 'What the AI may not do on its own for your requests waits here for you. An approved one runs as you, with your rights.'
        }
      />
      {single ? (
        <SingleProposal
          workspaceId={workspaceId}
          proposalId={single}
          schema={schema.data}
          targets={targets}
          references={titles.references}
          links={links}
          now={now}
          actorName={actorName}
        />
      ) : (
        <>
          <section className="console-section ai-queue-filter" aria-label="Filter">
            <label className="field-label" htmlFor={`${id}-status`}>
              Show
            </label>
            <select
              id={`${id}-status`}
              value={status}
              onChange={(e) => choose(e.target.value as StatusChoice)}
              data-testid="proposals-status"
            >
              {STATUS_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </section>
          <ProposalQueue
            key={status}
            workspaceId={workspaceId}
            status={status}
            schema={schema.data}
            targets={targets}
            references={titles.references}
            links={links}
            now={now}
            actorName={actorName}
          />
        </>
      )}
    </div>
  );
}

interface ListProps {
  workspaceId: string;
  schema: WorkspaceSchema | undefined;
  targets: Targets;
  references: ReferenceSource;
  links: AiLinks;
  now: number;
  actorName: (actor: Actor) => string;
}

/** Runs approvals and rejections, one at a time per proposal, and keeps each one's outcome. */
function useDecisions(workspaceId: string, onDecided: (proposal: Proposal) => void) {
  const [decisions, setDecisions] = useState<Record<string, Decision>>({});
  const set = (proposalId: string, decision: Decision) =>
    setDecisions((previous) => ({ ...previous, [proposalId]: decision }));

  const approve = async (proposal: Proposal, operation?: AiOperation) => {
    if (decisions[proposal.id]?.busy) return;
    set(proposal.id, { busy: true, error: null, note: null });
    try {
      const decided = await call('approveProposal', {
        params: { workspaceId, proposalId: proposal.id },
        body: operation ? { operation } : {},
      });
      set(proposal.id, { busy: false, error: null, note: null });
      onDecided(decided.proposal);
    } catch (failure) {
      set(proposal.id, { busy: false, error: asApiError(failure), note: null });
    }
  };

  const reject = async (proposal: Proposal, body: RejectProposalBody) => {
    if (decisions[proposal.id]?.busy) return;
    set(proposal.id, { busy: true, error: null, note: null });
    try {
      const decided = await call('rejectProposal', {
        params: { workspaceId, proposalId: proposal.id },
        body,
      });
      const note = body.addRule ? (
        <p data-testid="proposal-rule-added">
          The rule <code className="ai-rule-id">{body.addRule.id}</code> is now in the constitution: “
          {body.addRule.text}”
        </p>
      ) : null;
      set(proposal.id, { busy: false, error: null, note });
      onDecided(decided.proposal);
    } catch (failure) {
      set(proposal.id, { busy: false, error: asApiError(failure), note: null });
    }
  };

  return { decisions, approve, reject };
}

function ProposalItem({
  proposal,
  schema,
  targets,
  references,
  links,
  now,
  actorName,
  decision,
  onApprove,
  onReject,
}: Omit<ListProps, 'workspaceId'> & {
  proposal: Proposal;
  decision: Decision | undefined;
  onApprove: (operation?: AiOperation) => void;
  onReject: (body: RejectProposalBody) => void;
}) {
  const recordId = proposal.operation.type === 'record.create' ? null : operationRecordId(proposal.operation);
  return (
    <li>
      <ProposalCard
        proposal={proposal}
        schema={schema}
        target={recordId ? targets.target(recordId) : undefined}
        targetLoading={recordId ? targets.loading(recordId) || !schema : !schema}
        now={now}
        actorName={actorName}
        links={links}
        references={references}
        busy={decision?.busy ?? false}
        error={decision?.error ?? null}
        outcome={decision?.note}
        onApprove={onApprove}
        onReject={onReject}
      />
    </li>
  );
}

function ProposalQueue({ workspaceId, status, ...rest }: ListProps & { status: StatusChoice }) {
  const queue = useProposalQueue(workspaceId, status);
  const { decisions, approve, reject } = useDecisions(workspaceId, queue.replace);
  const { want } = rest.targets;

  useEffect(() => {
    if (queue.items)
      want(
        queue.items.map((p) =>
          p.operation.type === 'record.create' ? null : operationRecordId(p.operation),
        ),
      );
  }, [queue.items, want]);

  return (
    <section className="console-section" aria-label="Proposals">
      {queue.error && (
        <div className="ai-load-error">
          <ErrorNote error={queue.error} title="The proposals could not be read" testId="proposals-error" />
          <button type="button" className="button small" onClick={queue.retry}>
            Try again
          </button>
        </div>
      )}
      {queue.items === null && !queue.error && <Spinner label="Loading the proposals" />}
      {queue.items !== null && queue.items.length === 0 && !queue.error && (
        <div className="empty-state" data-testid="proposals-empty">
          <Icon name="check" size={28} />
          <h2>
            {status === 'pending'
              ? 'Nothing waits for a decision'
              : status === 'all'
                ? 'No proposals yet'
                : `No ${PROPOSAL_STATUS_WORDS[status].toLowerCase()} proposals`}
          </h2>
          <p>
            When the AI proposes something it may not do on its own, it waits here.{' '}
            <Link to={`/w/${workspaceId}/assistant`}>Ask the assistant</Link>
          </p>
        </div>
      )}
      {queue.items !== null && queue.items.length > 0 && (
        <ul className="ai-proposal-list" data-testid="proposals-list">
          {queue.items.map((proposal) => (
            <ProposalItem
              key={proposal.id}
              proposal={proposal}
              decision={decisions[proposal.id]}
              onApprove={(operation) => void approve(proposal, operation)}
              onReject={(body) => void reject(proposal, body)}
              {...rest}
            />
          ))}
        </ul>
      )}
      {queue.more.error && (
        <ErrorNote error={queue.more.error} title="The older proposals could not be read" />
      )}
      {queue.items !== null && queue.nextBefore !== null && (
        <div className="load-more">
          <button
            type="button"
            className="button"
            disabled={queue.more.busy}
            onClick={() => void queue.loadMore()}
            data-testid="proposals-more"
          >
            {queue.more.busy ? 'Loading…' : 'Older proposals'}
          </button>
        </div>
      )}
    </section>
  );
}

function SingleProposal({ workspaceId, proposalId, ...rest }: ListProps & { proposalId: string }) {
  const proposal = useResource(`proposal:${workspaceId}:${proposalId}`, () =>
    call('getProposal', { params: { workspaceId, proposalId } }),
  );
  const { setData } = proposal;
  const { decisions, approve, reject } = useDecisions(workspaceId, (decided) => setData(() => decided));
  const { want } = rest.targets;
  const shown = proposal.data;

  useEffect(() => {
    if (shown && shown.operation.type !== 'record.create') want([operationRecordId(shown.operation)]);
  }, [shown, want]);

  return (
    <section className="console-section" aria-label="Proposal">
      <p>
        <Link to={`/w/${workspaceId}/proposals`} data-testid="proposals-back">
          All proposals waiting for a decision
        </Link>
      </p>
      {proposal.error && (
        <ErrorNote
          error={proposal.error}
          title="This proposal could not be read"
          message={
            proposal.error.code === 'not_found'
              ? 'There is no such proposal, or it was made for someone else’s request.'
              : undefined
          }
          testId="proposals-error"
        />
      )}
      {!shown && !proposal.error && <Spinner label="Loading the proposal" />}
      {shown && (
        <ul className="ai-proposal-list" data-testid="proposals-list">
          <ProposalItem
            proposal={shown}
            decision={decisions[shown.id]}
            onApprove={(operation) => void approve(shown, operation)}
            onReject={(body) => void reject(shown, body)}
            {...rest}
          />
        </ul>
      )}
    </section>
  );
}
