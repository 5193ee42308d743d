import {
  AI_OPERATION_TYPES,
  issuesOf,
  Operation,
  type AuditEvent,
  type WorkspaceRecord,
} from '@enclave/shared';
import { uuidv7 } from '../crypto/uuid7';
import { isBuiltInRole, resolvePermissions, type Permissions } from '../policy/policy';
import {
  PairingUnavailable,
  RevisionConflict,
  type CommitResult,
  type MemberRow,
  type PendingChange,
  type Store,
  type WorkspaceStore,
} from '../store/types';
import * as admin from './admin-ops';
import * as ai from './ai-ops';
import type { InternalOperation } from './ai-ops';
import { sendMessage } from './outbox-ops';
import * as audit from './audit-ops';
import * as devices from './device-ops';
import type { ChangeFeed } from './change-feed';
import type { Handler, HandlerEnv, HandlerOutcome, OperationContext } from './context';
import { AppError, conflict, invalid, notFound } from './errors';
import { KeyedMutex } from './keyed-mutex';
import * as records from './record-ops';

const handlers: { [T in Operation['type']]: Handler<Extract<Operation, { type: T }>> } = {
  'record.create': records.createRecord,
  'record.update': records.updateRecord,
  'record.delete': records.deleteRecord,
  'record.restore': records.restoreRecord,
  'record.revert': records.revertRecord,
  'schema.putEntityType': admin.putEntityType,
  'schema.removeEntityType': admin.removeEntityType,
  'role.put': admin.putRole,
  'role.remove': admin.removeRole,
  'member.invite': admin.invite,
  'member.cancelInvitation': admin.cancelInvitation,
  'member.accept': admin.acceptInvitation,
  'member.setRoles': admin.setMemberRoles,
  'member.remove': admin.removeMember,
  'workspace.rename': admin.renameWorkspace,
  'workspace.delete': devices.deleteWorkspace,
  'device.createPairing': devices.createPairing,
  'device.cancelPairing': devices.cancelPairing,
  'device.pair': devices.pairDevice,
  'device.rename': devices.renameDevice,
  'device.revoke': devices.revokeDevice,
  'device.confirmWipe': devices.confirmWipe,
  'audit.export': audit.exportAudit,
  'outbox.send': sendMessage,
  'ai.putSettings': ai.putSettings,
  'ai.putConstitution': ai.putConstitution,
  'ai.approveProposal': ai.approveProposal((op, env) => handlerOf(op)(op, env)),
  'ai.rejectProposal': ai.rejectProposal,
};

const internalHandlers: {
  [T in InternalOperation['type']]: Handler<Extract<InternalOperation, { type: T }>>;
} = {
  'ai.fileProposal': ai.fileProposal,
  'ai.expireProposal': ai.expireProposal,
  'ai.usageAlert': ai.usageAlert,
};

type AnyOperation = Operation | InternalOperation;

function handlerOf(op: AnyOperation): Handler<AnyOperation> {
  const table = (Object.hasOwn(handlers, op.type) ? handlers : internalHandlers) as Record<
    string,
    Handler<AnyOperation>
  >;
  return table[op.type] as Handler<AnyOperation>;
}

/** Operations that can share a batch: they read and write records only, so a batch overlay suffices. */
const BATCHABLE = new Set<string>(['record.create', 'record.update', 'record.delete', 'record.restore']);

/** What `check` accepts: every operation the AI may propose (see `AiOperation`). */
const CHECKABLE = new Set<string>(AI_OPERATION_TYPES);

/** What an `executeEach` item sees while it plans its operations. */
export interface EachView {
  getRecord: (id: string) => Promise<Omit<WorkspaceRecord, 'seq'> | null>;
  perms: Permissions;
}
export type EachItem = (view: EachView) => Promise<AnyOperation[]>;
export type EachOutcome = { ok: true; results: OperationResult[] } | { ok: false; error: AppError };

function parseOperation(raw: unknown, pathPrefix: string): Operation {
  const parsed = Operation.safeParse(raw);
  if (!parsed.success) {
    throw invalid(
      'The operation is not valid',
      issuesOf(parsed.error).map((i) => ({ ...i, path: `${pathPrefix}${i.path}` })),
    );
  }
  return parsed.data;
}

export interface OperationResult {
  event: AuditEvent | null;
  record: WorkspaceRecord | null;
  extra: Record<string, unknown>;
}

/**
 * The command engine: the only code that changes workspace state. For each operation it
 * validates the input, asks the policy module, lets the operation's handler compute the change,
 * then commits the changes and their audit events in one transaction and publishes them.
 */
export class CommandEngine {
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly store: Store,
    private readonly feed: ChangeFeed,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Applies one operation; see `executeBatch`. */
  async execute(ctx: OperationContext, op: unknown): Promise<OperationResult> {
    const [result] = await this.executeBatch(ctx, [op]);
    return result as OperationResult;
  }

  /**
   * Applies operations all-or-nothing: if one is refused, none is applied. A batch of several
   * operations may hold record operations only.
   */
  async executeBatch(ctx: OperationContext, input: readonly unknown[]): Promise<OperationResult[]> {
    const ops = input.map((raw, index) => parseOperation(raw, input.length > 1 ? `${String(index)}.` : ''));
    if (ops.length > 1 && !ops.every((op) => BATCHABLE.has(op.type))) {
      throw invalid('Only record operations can be batched');
    }
    const [outcome] = await this.run(ctx, [async () => ops], 'all');
    if (!outcome) throw new Error('no outcome');
    if (!outcome.ok) throw outcome.error;
    return outcome.results;
  }

  /**
   * Applies one operation that only the server makes (filing an AI proposal, expiring one,
   * raising a usage alert): typed by the code that builds it, so not parsed as input.
   */
  async executeInternal(ctx: OperationContext, op: InternalOperation): Promise<OperationResult> {
    const [outcome] = await this.run(ctx, [async () => [op]], 'all');
    if (!outcome) throw new Error('no outcome');
    if (!outcome.ok) throw outcome.error;
    return outcome.results[0] as OperationResult;
  }

  /**
   * Checks operations as `executeEach` would apply them — each on its own, seeing the ones
   * accepted before it — and commits nothing: null for an operation that would be accepted, or
   * the error that refuses it. The AI pipeline validates a plan this way before anything runs.
   */
  async check(ctx: OperationContext, ops: readonly unknown[]): Promise<(AppError | null)[]> {
    const items = ops.map((op): EachItem => async () => [op as Operation]);
    const outcomes = await this.run(ctx, items, 'each', { dryRun: true, allowed: CHECKABLE });
    return outcomes.map((outcome) => (outcome.ok ? null : outcome.error));
  }

  /**
   * Applies items independently, in order, and commits the accepted ones together: an item that
   * is refused changes nothing, and the others go ahead. Each item sees the state left by the
   * items before it, and plans its record operations from that state (sync push: compare the
   * client's assumed state with the current one, then write). Record operations only.
   */
  async executeEach(ctx: OperationContext, items: readonly EachItem[]): Promise<EachOutcome[]> {
    return this.run(ctx, items, 'each');
  }

  private async run(
    ctx: OperationContext,
    items: readonly EachItem[],
    mode: 'all' | 'each',
    options: { dryRun?: boolean; allowed?: ReadonlySet<string> } = {},
  ): Promise<EachOutcome[]> {
    const ws = await this.store.workspace(ctx.workspaceId);
    if (!ws) throw notFound('Workspace');

    // Writes to one workspace are serialised in this process; the store's revision check is the
    // second guard, for stores shared by several processes.
    return this.locks.run(ctx.workspaceId, async () => {
      const perms = await this.permissionsOf(ws, ctx.principal.userId);
      const schema = await ws.getSchema();
      const now = this.clock().toISOString();
      const overlay = new Map<string, Omit<WorkspaceRecord, 'seq'>>();
      const planned: { outcomes: HandlerOutcome[] }[] = [];
      const results: (EachOutcome | null)[] = [];
      for (const item of items) {
        // An item's writes are visible to itself at once, and to later items only if it is accepted.
        const staged = new Map<string, Omit<WorkspaceRecord, 'seq'>>();
        const env: HandlerEnv = {
          ctx,
          store: ws,
          perms,
          schema,
          now,
          newId: uuidv7,
          getRecord: async (id) => staged.get(id) ?? overlay.get(id) ?? (await ws.getRecord(id)),
        };
        try {
          const itemOps = await item({ getRecord: (id) => env.getRecord(id), perms });
          // Items build operations in code; they are checked like any other input all the same.
          const ops: AnyOperation[] = mode === 'each' ? itemOps.map((op) => parseOperation(op, '')) : itemOps;
          const allowed = options.allowed ?? BATCHABLE;
          if (mode === 'each' && !ops.every((op) => allowed.has(op.type)))
            throw invalid('Only record operations can be applied this way');
          const outcomes: HandlerOutcome[] = [];
          for (const op of ops) {
            const outcome = await handlerOf(op)(op, env);
            for (const m of outcome.change?.mutations ?? []) {
              if (m.kind === 'record.put') staged.set(m.record.id, m.record);
            }
            outcomes.push(outcome);
          }
          for (const [id, record] of staged) overlay.set(id, record);
          planned.push({ outcomes });
          results.push(null);
        } catch (error) {
          if (!(error instanceof AppError) || mode === 'all') throw error;
          planned.push({ outcomes: [] });
          results.push({ ok: false, error });
        }
      }

      if (options.dryRun) {
        return results.map((refused) => refused ?? { ok: true, results: [] });
      }
      const changes: PendingChange[] = [];
      for (const { outcomes } of planned) {
        for (const outcome of outcomes) {
          if (!outcome.change) continue;
          const { mutations, eventId, ...event } = outcome.change;
          changes.push({
            mutations,
            event: {
              ...event,
              details: ctx.eventDetails ? { ...(event.details ?? {}), ...ctx.eventDetails } : event.details,
              id: eventId ?? uuidv7(),
              time: now,
              actor: ctx.actor,
              ip: ctx.request.ip,
              userAgent: ctx.request.userAgent,
              requestId: ctx.request.requestId,
            },
          });
        }
      }
      let committed: CommitResult = { events: [], records: [] };
      if (changes.length > 0) {
        try {
          committed = await ws.commit(changes);
        } catch (error) {
          if (error instanceof RevisionConflict)
            throw conflict('The record has changed; read it again', { recordId: error.recordId });
          if (error instanceof PairingUnavailable)
            throw new AppError('gone', 'The pairing code was already used; ask for a new one');
          throw error;
        }
        await this.updateControlIndexes(ctx.workspaceId, changes);
        this.feed.publish({
          workspaceId: ctx.workspaceId,
          events: committed.events,
          records: committed.records,
        });
        if (committed.events.some((e) => e.action === 'workspace.delete')) {
          await this.store.deleteWorkspace(ctx.workspaceId, now);
        }
      }

      let next = 0;
      return planned.map(({ outcomes }, index) => {
        const refused = results[index];
        if (refused) return refused;
        const opResults = outcomes.map((outcome) => {
          if (!outcome.change) return this.resultOf(outcome, null, null);
          const event = committed.events[next++] as AuditEvent;
          const record =
            committed.records.find((r) => r.id === event.target.id && event.target.kind === 'record') ?? null;
          return this.resultOf(outcome, event, record);
        });
        return { ok: true, results: opResults };
      });
    });
  }

  /**
   * Writes a workspace's first event: its creation, with its name, schema and owner, so that even
   * the initial state is on the record.
   */
  async bootstrap(
    ws: WorkspaceStore,
    ctx: OperationContext,
    change: PendingChange['mutations'],
    details: Record<string, unknown>,
  ): Promise<AuditEvent> {
    const now = this.clock().toISOString();
    const committed = await ws.commit([
      {
        mutations: change,
        event: {
          id: uuidv7(),
          time: now,
          actor: ctx.actor,
          action: 'workspace.create',
          target: { kind: 'workspace', entityType: null, id: ws.workspaceId },
          before: null,
          after: details,
          details: null,
          ip: ctx.request.ip,
          userAgent: ctx.request.userAgent,
          requestId: ctx.request.requestId,
        },
      },
    ]);
    await this.updateControlIndexes(ws.workspaceId, [{ mutations: change }]);
    return committed.events[0] as AuditEvent;
  }

  async permissionsOf(ws: WorkspaceStore, userId: string): Promise<Permissions> {
    return this.permissionsOfMember(ws, await ws.getMember(userId));
  }

  /** As `permissionsOf`, for a member row the caller has just read (null: not a member). */
  async permissionsOfMember(ws: WorkspaceStore, member: MemberRow | null): Promise<Permissions> {
    if (!member) return resolvePermissions([], []);
    const needsCustom = member.roles.some((r) => !isBuiltInRole(r));
    return resolvePermissions(member.roles, needsCustom ? await ws.listRoles() : []);
  }

  private resultOf(
    outcome: HandlerOutcome,
    event: AuditEvent | null,
    record: WorkspaceRecord | null,
  ): OperationResult {
    const extra = outcome.result ?? {};
    return { event, record: record ?? (extra.record as WorkspaceRecord | undefined) ?? null, extra };
  }

  /** The control store's copies (who belongs where, workspace names) follow the workspace's own tables. */
  private async updateControlIndexes(
    workspaceId: string,
    changes: Pick<PendingChange, 'mutations'>[],
  ): Promise<void> {
    for (const { mutations } of changes) {
      for (const m of mutations) {
        if (m.kind === 'member.put')
          await this.store.control.setMembershipIndex(m.member.userId, workspaceId, true);
        else if (m.kind === 'member.delete')
          await this.store.control.setMembershipIndex(m.userId, workspaceId, false);
        else if (m.kind === 'meta.put' && m.key === 'name')
          await this.store.control.setWorkspaceName(workspaceId, m.value);
      }
    }
  }
}

export { AppError };
