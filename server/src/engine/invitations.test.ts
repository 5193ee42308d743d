import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../store/sqlite/embedded-store';
import type { InvitationRow, UserRow } from '../store/types';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { INVITATION_TTL_MS } from './admin-ops';
import { ChangeFeed } from './change-feed';
import type { OperationContext } from './context';
import { CommandEngine } from './engine';

const request = { ip: '198.51.100.7', userAgent: 'invitation-test', requestId: null };

/** Invitations expire: the engine runs on a clock the test moves, over a real encrypted store. */
describe('invitation expiry', () => {
  let dir: string;
  let store: EmbeddedStore;
  let now: Date;
  let engine: CommandEngine;

  const user = async (email: string): Promise<UserRow> => {
    const row: UserRow = {
      id: randomUUID(),
      email,
      name: email.split('@')[0] ?? email,
      passwordHash: 'unused',
      emailVerifiedAt: now.toISOString(),
      instanceAdmin: false,
      createdAt: now.toISOString(),
    };
    await store.control.createUser(row);
    return row;
  };
  const ctxOf = (u: UserRow, workspaceId: string): OperationContext => ({
    workspaceId,
    actor: { kind: 'user', id: u.id, label: u.email },
    principal: { userId: u.id, email: u.email, name: u.name },
    request,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enclave-invitations-'));
    store = new EmbeddedStore(dir, randomBytes(32), { cacheKiB: 2048 });
    now = new Date('2026-05-01T09:00:00.000Z');
    engine = new CommandEngine(store, new ChangeFeed(), () => now);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function invited(): Promise<{
    workspaceId: string;
    invitee: UserRow;
    invitation: InvitationRow;
    owner: UserRow;
  }> {
    const owner = await user('owner@example.com');
    const invitee = await user('invitee@example.com');
    const ws = await new WorkspacesService(store, engine, () => now).create(
      owner,
      'Expiry',
      'standard',
      request,
    );
    const result = await engine.execute(ctxOf(owner, ws.id), {
      type: 'member.invite',
      email: invitee.email,
      roles: ['member'],
    });
    return { workspaceId: ws.id, invitee, owner, invitation: result.extra.invitation as InvitationRow };
  }

  it('expires seven days after it was made', async () => {
    const { invitation } = await invited();
    expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)).toBe(INVITATION_TTL_MS);
    expect(INVITATION_TTL_MS).toBe(7 * 24 * 60 * 60 * 1000);
  });

  it('can be accepted just before it expires', async () => {
    const { workspaceId, invitee, invitation } = await invited();
    now = new Date(Date.parse(invitation.expiresAt) - 1000);
    await engine.execute(ctxOf(invitee, workspaceId), { type: 'member.accept', invitationId: invitation.id });
    const ws = await store.workspace(workspaceId);
    expect((await ws?.getMember(invitee.id))?.roles).toEqual(['member']);
  });

  it('is refused once expired, and makes nobody a member', async () => {
    const { workspaceId, invitee, invitation } = await invited();
    const ws = await store.workspace(workspaceId);
    const head = await ws?.head();
    now = new Date(Date.parse(invitation.expiresAt) + 1000);
    await expect(
      engine.execute(ctxOf(invitee, workspaceId), { type: 'member.accept', invitationId: invitation.id }),
    ).rejects.toMatchObject({ code: 'gone' });
    expect(await ws?.getMember(invitee.id)).toBeNull();
    expect(await ws?.head()).toEqual(head);
  });

  it('cannot be cancelled once expired (there is nothing left to cancel)', async () => {
    const { workspaceId, owner, invitation } = await invited();
    now = new Date(Date.parse(invitation.expiresAt) + 1000);
    await expect(
      engine.execute(ctxOf(owner, workspaceId), {
        type: 'member.cancelInvitation',
        invitationId: invitation.id,
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });
});
