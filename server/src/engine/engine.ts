import { issuesOf, Operation, type AuditEvent, type WorkspaceRecord } from '@enclave/shared';
import { uuidv7 } from '../crypto/uuid7';
import { isBuiltInRole, resolvePermissions, type Permissions } from '../policy/policy';
import { RevisionConflict, type PendingChange, type Store, type WorkspaceStore } from '../store/types';
import * as admin from './admin-ops';
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
};

/** Operations that can share a batch: they read and write records only, so a batch overlay suffices. */
const BATCHABLE = new Set<Operation['type']>([
  'record.create',
  'record.update',
  'record.delete',
  'record.restore',
]);

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
    const ops = input.map((raw, index) => {
      const parsed = Operation.safeParse(raw);
      if (!parsed.success) {
        throw invalid(
          'The operation is not valid',
          issuesOf(parsed.error).map((i) => ({
            ...i,
            path: input.length > 1 ? `${index}.${i.path}` : i.path,
          })),
        );
      }
      return parsed.data;
    });
    if (ops.length > 1 && !ops.every((op) => BATCHABLE.has(op.type))) {
      throw invalid('Only record operations can be batched');
    }
    const ws = await this.store.workspace(ctx.workspaceId);
    if (!ws) throw notFound('Workspace');

    // Writes to one workspace are serialised in this process; the store's revision check is the
    // second guard, for stores shared by several processes.
    return this.locks.run(ctx.workspaceId, async () => {
      const perms = await this.permissionsOf(ws, ctx.principal.userId);
      const schema = await ws.getSchema();
      const now = this.clock().toISOString();
      const overlay = new Map<string, Omit<WorkspaceRecord, 'seq'>>();
      const env: HandlerEnv = {
        ctx,
        store: ws,
        perms,
        schema,
        now,
        newId: uuidv7,
        getRecord: async (id) => overlay.get(id) ?? (await ws.getRecord(id)),
      };
      const outcomes: HandlerOutcome[] = [];
      for (const op of ops) {
        const outcome = await (handlers[op.type] as Handler<Operation>)(op, env);
        for (const m of outcome.change?.mutations ?? []) {
          if (m.kind === 'record.put') overlay.set(m.record.id, m.record);
        }
        outcomes.push(outcome);
      }
      const changes: PendingChange[] = [];
      for (const outcome of outcomes) {
        if (!outcome.change) continue;
        const { mutations, ...event } = outcome.change;
        changes.push({
          mutations,
          event: {
            ...event,
            id: uuidv7(),
            time: now,
            actor: ctx.actor,
            ip: ctx.request.ip,
            userAgent: ctx.request.userAgent,
            requestId: ctx.request.requestId,
          },
        });
      }
      if (changes.length === 0) return outcomes.map((o) => this.resultOf(o, null, null));
      let committed;
      try {
        committed = await ws.commit(changes);
      } catch (error) {
        if (error instanceof RevisionConflict)
          throw conflict('The record has changed; read it again', { recordId: error.recordId });
        throw error;
      }
      await this.updateControlIndexes(ctx.workspaceId, changes);
      this.feed.publish({
        workspaceId: ctx.workspaceId,
        events: committed.events,
        records: committed.records,
      });

      let next = 0;
      return outcomes.map((outcome) => {
        if (!outcome.change) return this.resultOf(outcome, null, null);
        const event = committed.events[next++] as AuditEvent;
        const record =
          committed.records.find((r) => r.id === event.target.id && event.target.kind === 'record') ?? null;
        return this.resultOf(outcome, event, record);
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
    const member = await ws.getMember(userId);
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
