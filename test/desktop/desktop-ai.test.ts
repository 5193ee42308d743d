import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ipcInvoke,
  type AuditEvent,
  type IpcInvokeChannel,
  type IpcRequest,
  type IpcResponse,
  type WorkspaceRecord,
} from '@enclave/shared';
import { DesktopCore } from '../../desktop/src/main/app/desktop-core';
import { dispatchInvoke } from '../../desktop/src/main/ipc/ipc-dispatch';
import { keytarSecretStore } from '../../desktop/src/main/keychain';
import {
  expectPrivateSecretService,
  uniqueService,
} from '../../desktop/src/main/keychain/test-support/fixtures';
import { createPairing } from '../../server/src/test-support/test-devices';
import {
  createRecord,
  getRecord,
  planReply,
  sentToModel,
  setAi,
  startAiWorld,
  type AiWorld,
} from '../ai/ai-support';

/**
 * The desktop core's AI channels against a real server whose model is the Messages API stub: the
 * renderer's calls go through the IPC dispatch, main calls the device routes with the device's
 * token, and nothing secret comes back.
 */

let world: AiWorld;
let core: DesktopCore;
let service: string;
let dataDir: string;
let ticket: WorkspaceRecord;

async function call<C extends IpcInvokeChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>> {
  const result = await dispatchInvoke(core.handlers, channel, request);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { error: result.error });
  return ipcInvoke[channel].response.parse(result.value) as IpcResponse<C>;
}

async function failure(channel: IpcInvokeChannel, request: unknown) {
  const result = await dispatchInvoke(core.handlers, channel, request);
  expect(result.ok, JSON.stringify(result)).toBe(false);
  return (result as { ok: false; error: { code: string; message: string; details?: unknown } }).error;
}

function proposeUrgent(): void {
  world.stub.enqueue(
    planReply({
      operations: [{ tool: 'record_update', input: { id: ticket.id, data: { priority: 'urgent' } } }],
      answer: 'Making it urgent needs your approval.',
    }),
  );
}

beforeAll(async () => {
  expectPrivateSecretService();
  world = await startAiWorld();
  const client = await createRecord(world.owner, world, 'client', { name: 'Globex', status: 'active' });
  ticket = await createRecord(world.owner, world, 'ticket', {
    subject: 'Late delivery',
    client: client.id,
    priority: 'normal',
    status: 'open',
  });
  dataDir = mkdtempSync(join(tmpdir(), 'enclave-desktop-ai-'));
  service = uniqueService();
  core = new DesktopCore({
    dataDir,
    secrets: keytarSecretStore(service),
    appVersion: '0.1.0',
    platform: 'linux',
    sync: { backoff: { baseMs: 50, maxMs: 500 }, requestTimeoutMs: 5000 },
    replicaCacheKiB: 2048,
  });
  await core.start();
  const { code } = await createPairing(world.owner, world.workspaceId);
  const state = await call('pairing:pair', { serverUrl: world.t.url, code, deviceName: 'AI laptop' });
  expect(state.kind).toBe('paired');
});

afterAll(async () => {
  await core.stop();
  for (const { account } of await keytar.findCredentials(service))
    await keytar.deletePassword(service, account);
  rmSync(dataDir, { recursive: true, force: true });
  await world.close();
});

beforeEach(() => {
  world.stub.reset();
});

describe('the AI over IPC', () => {
  it('carries the server’s refusal in the one error shape when AI is off', async () => {
    const refused = await failure('ai:request', { feature: 'assistant', message: 'what changed today?' });
    expect(refused.code).toBe('ai_disabled');
    expect(refused.message).toMatch(/owner or admin/);
    expect(world.stub.requests).toHaveLength(0);
  });

  it('asks, lists, approves and rejects through the device; decisions are on record as the device', async () => {
    await setAi(world, { trust: { records: 'proposeOnly', triage: 'proposeOnly' } });
    proposeUrgent();
    const answer = await call('ai:request', {
      feature: 'assistant',
      message: 'make the late delivery ticket urgent',
    });
    expect(answer.text).toBe('Making it urgent needs your approval.');
    const [decision] = answer.operations;
    expect(decision?.decision).toBe('proposed');
    expect(sentToModel(world.stub)).toContain('make the late delivery ticket urgent');

    const page = await call('ai:proposals', { status: 'pending' });
    expect(page.items.map((p) => p.id)).toEqual([decision?.proposalId]);

    const approved = await call('ai:approve', {
      proposalId: decision?.proposalId ?? '',
      operation: { type: 'record.update', id: ticket.id, data: { priority: 'high' } },
    });
    expect(approved.proposal).toMatchObject({ status: 'approved', edited: true });
    expect((await getRecord(world, ticket.id)).data.priority).toBe('high');
    const events = await world.owner.get<{ items: AuditEvent[] }>(world.api('/audit?action=record.update'));
    const event = events.body.items.find((e) => e.id === approved.eventId);
    expect(event?.actor).toMatchObject({
      kind: 'device',
      id: core.state.kind === 'paired' ? core.state.deviceId : '',
    });

    // Deciding twice is the server's conflict, in its words.
    const twice = await failure('ai:reject', { proposalId: decision?.proposalId, reason: 'changed my mind' });
    expect(twice.code).toBe('conflict');

    proposeUrgent();
    const second = await call('ai:request', {
      feature: 'assistant',
      message: 'make the late delivery ticket urgent',
    });
    const rejected = await call('ai:reject', {
      proposalId: second.operations[0]?.proposalId ?? '',
      reason: 'High is enough',
    });
    expect(rejected.proposal).toMatchObject({ status: 'rejected', rejectReason: 'High is enough' });
    expect((await getRecord(world, ticket.id)).data.priority).toBe('high');

    // What the renderer got never carries the device's token.
    const token = core.credential?.accessToken ?? 'no token';
    expect(JSON.stringify([answer, page, approved, rejected])).not.toContain(token);
  });

  it('says the server cannot be reached when it cannot, not what the socket said', async () => {
    const offline = new DesktopCore({
      dataDir,
      secrets: keytarSecretStore(service),
      appVersion: '0.1.0',
      platform: 'linux',
      fetch: () => Promise.reject(new TypeError('fetch failed: ECONNREFUSED 127.0.0.1')),
    });
    // The same credential and replica: a second window on the same app data, with the network gone.
    await core.stop();
    try {
      await offline.start();
      const result = await dispatchInvoke(offline.handlers, 'ai:proposals', {});
      expect(result).toMatchObject({ ok: false, error: { code: 'server_unreachable' } });
      expect(JSON.stringify(result)).not.toContain('ECONNREFUSED');
    } finally {
      await offline.stop();
      await core.start();
    }
  });
});
