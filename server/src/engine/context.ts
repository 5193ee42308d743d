import type { Actor, Operation, WorkspaceRecord, WorkspaceSchema } from '@enclave/shared';
import type { Permissions } from '../policy/policy';
import type { Mutation, PendingAuditEvent, WorkspaceStore } from '../store/types';

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** Who asks for an operation, and from where. */
export interface OperationContext {
  workspaceId: string;
  actor: Actor;
  /** The user whose rights apply: the user, or the owner of the device or agent acting. */
  principal: { userId: string; email: string; name: string };
  request: RequestMeta;
  /**
   * Added to the details of every event the operations write: for the AI, on whose behalf it
   * acted and which prompt log entry and constitution version the decision came from.
   */
  eventDetails?: Record<string, unknown>;
}

/** What an operation handler sees: the state as of this point in its batch. */
export interface HandlerEnv {
  ctx: OperationContext;
  store: WorkspaceStore;
  perms: Permissions;
  schema: WorkspaceSchema;
  now: string;
  getRecord(id: string): Promise<Omit<WorkspaceRecord, 'seq'> | null>;
  newId(): string;
}

/** What a handler decides: the change to commit, and what to tell the caller. */
export interface HandlerOutcome {
  /** null: the operation changes nothing (e.g. an update to the same values); no event is written. */
  change:
    | (Omit<PendingAuditEvent, 'id' | 'time' | 'actor' | 'ip' | 'userAgent' | 'requestId'> & {
        mutations: Mutation[];
        /** The event's id, when a mutation must name it (a proposal names the event that ran it). */
        eventId?: string;
      })
    | null;
  /** Extra data for the caller, e.g. an invitation's one-time token. */
  result?: Record<string, unknown>;
}

export type Handler<T extends { type: string } = Operation> = (
  op: T,
  env: HandlerEnv,
) => Promise<HandlerOutcome>;
