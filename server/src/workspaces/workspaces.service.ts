import { randomUUID } from 'node:crypto';
import type { WorkspaceSummary } from '@enclave/shared';
import type { CommandEngine } from '../engine/engine';
import { AppError } from '../engine/errors';
import type { OperationContext } from '../engine/context';
import type { Store, UserRow } from '../store/types';
import { templates } from './templates';

export class WorkspacesService {
  constructor(
    private readonly store: Store,
    private readonly engine: CommandEngine,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** A new workspace: its own encrypted file, the template's schema, the creator as owner, all audited. */
  async create(
    user: UserRow,
    name: string,
    template: keyof typeof templates,
    request: OperationContext['request'],
  ): Promise<WorkspaceSummary> {
    const id = randomUUID();
    const createdAt = this.clock().toISOString();
    const ws = await this.store.createWorkspace({ id, name, createdAt, createdBy: user.id });
    const schema = templates[template];
    const owner = {
      userId: user.id,
      email: user.email,
      name: user.name,
      roles: ['owner'],
      joinedAt: createdAt,
    };
    try {
      await this.engine.bootstrap(
        ws,
        {
          workspaceId: id,
          actor: { kind: 'user', id: user.id, label: user.email },
          principal: { userId: user.id, email: user.email, name: user.name },
          request,
        },
        [
          { kind: 'meta.put', key: 'name', value: name },
          { kind: 'schema.put', schema },
          { kind: 'member.put', member: owner },
        ],
        { name, template, owner: user.id, schemaVersion: schema.version },
      );
    } catch (error) {
      // All or nothing: a workspace without its owner (e.g. the disk filled up between the two
      // writes) would be registered yet reachable by no one. Unregister it; that can fail too.
      await this.store.deleteWorkspace(id, createdAt).catch(() => undefined);
      throw error;
    }
    return { id, name, roles: ['owner'], createdAt, available: true };
  }

  /** The workspaces a user belongs to, as each workspace's own member table says. */
  async listFor(userId: string): Promise<WorkspaceSummary[]> {
    const out: WorkspaceSummary[] = [];
    for (const id of await this.store.control.listWorkspaceIdsOfUser(userId)) {
      try {
        const summary = await this.summary(id, userId);
        if (summary) out.push(summary);
      } catch (error) {
        // One damaged workspace must not take the list of all the others down with it.
        if (!(error instanceof AppError && error.code === 'workspace_unavailable')) throw error;
        const row = await this.store.control.getWorkspace(id);
        if (row) out.push({ id, name: row.name, roles: [], createdAt: row.createdAt, available: false });
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async summary(workspaceId: string, userId: string): Promise<WorkspaceSummary | null> {
    const row = await this.store.control.getWorkspace(workspaceId);
    const ws = row ? await this.store.workspace(workspaceId) : null;
    const member = ws ? await ws.getMember(userId) : null;
    if (!row || !member) return null;
    return { id: row.id, name: row.name, roles: member.roles, createdAt: row.createdAt, available: true };
  }
}
