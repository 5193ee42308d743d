import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_AI_SETTINGS } from '@enclave/shared';
import type {
  AiAnswer,
  AuditEvent,
  ErrorBody,
  ProposalDecided,
  ProposalPage,
  WorkspaceRecord,
} from '@enclave/shared';
import { expectError } from '../../server/src/test-support/expect-error';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';
import { pairDevice, type TestDevice } from '../../server/src/test-support/test-devices';
import { addMember, createUser, createWorkspace } from '../../server/src/test-support/test-server';
import {
  ask,
  createRecord,
  getRecord,
  planReply,
  sentToModel,
  setAi,
  startAiWorld,
  type AiWorld,
} from '../ai/ai-support';

/**
 * The AI through a paired device (`/api/v1/device/ai/…`): the device's token stands for its owner,
 * so the AI works with the owner's rights, and what the device decides is on record as the device.
 */

let world: AiWorld;
let member: TestClient;
let viewer: TestClient;
let memberDevice: TestDevice;
let viewerDevice: TestDevice;
let globex: WorkspaceRecord;
let ticket: WorkspaceRecord;

/** A desktop app is not a browser: no Origin, no cookie, only its bearer token. */
function deviceCall<T>(
  device: TestDevice,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<TestResponse<T>> {
  const client = world.t.client();
  client.origin = null;
  return client.request<T>(method, `/api/v1/device/ai${path}`, body, {
    authorization: `Bearer ${device.accessToken}`,
  });
}

const deviceAsk = (device: TestDevice, body: Record<string, unknown>) =>
  deviceCall<AiAnswer>(device, 'POST', '/requests', body);

async function auditEvent(id: string | null | undefined): Promise<AuditEvent | undefined> {
  const res = await world.owner.get<{ items: AuditEvent[] }>(world.api('/audit?limit=100'));
  expect(res.status, res.text).toBe(200);
  return res.body.items.find((e) => e.id === id);
}

/** Files a proposal to change the ticket's priority, asked through the member's device. */
async function proposalFromDevice(priority: string): Promise<string> {
  world.stub.enqueue(
    planReply({
      operations: [{ tool: 'record_update', input: { id: ticket.id, data: { priority } } }],
    }),
  );
  const res = await deviceAsk(memberDevice, {
    feature: 'assistant',
    message: `make the late delivery ticket ${priority}`,
  });
  expect(res.status, res.text).toBe(200);
  const [decision] = res.body.operations;
  expect(decision?.decision, JSON.stringify(decision)).toBe('proposed');
  return decision?.proposalId ?? '';
}

beforeAll(async () => {
  world = await startAiWorld();
  member = await createUser(world.t, { name: 'Mia Member' });
  viewer = await createUser(world.t, { name: 'Vera Viewer' });
  await addMember(world.owner, world.workspaceId, member, ['member']);
  await addMember(world.owner, world.workspaceId, viewer, ['viewer']);
  memberDevice = await pairDevice(world.t, member, world.workspaceId, 'Mia’s laptop');
  viewerDevice = await pairDevice(world.t, viewer, world.workspaceId, 'Vera’s laptop');
  globex = await createRecord(world.owner, world, 'client', {
    name: 'Globex',
    email: 'ap@globex.example',
    status: 'active',
  });
  ticket = await createRecord(world.owner, world, 'ticket', {
    subject: 'Late delivery of the November order',
    client: globex.id,
    body: 'The parcel is two weeks late.',
    priority: 'normal',
    status: 'open',
  });
});

afterAll(async () => {
  await world.close();
});

beforeEach(() => {
  world.stub.reset();
});

describe('AI requests from a device', () => {
  it('with AI off, answers ai_disabled as the console does, and asks no model', async () => {
    const res = await deviceAsk(memberDevice, { feature: 'assistant', message: 'show the last changes' });
    expectError(res, 403, 'ai_disabled');
    expect(world.stub.requests).toHaveLength(0);
  });

  it('runs with its owner’s rights: the agent acts for the owner, and the event names the device', async () => {
    await setAi(world, { trust: { records: 'trustedAuto', triage: 'proposeOnly' } });
    world.stub.enqueue(
      planReply({
        operations: [
          {
            tool: 'record_create',
            input: {
              entityType: 'ticket',
              data: { subject: 'Late delivery', client: globex.id, priority: 'normal', status: 'open' },
            },
          },
        ],
        answer: 'I created the ticket.',
        citedRecordIds: [globex.id],
      }),
    );
    const res = await deviceAsk(memberDevice, {
      feature: 'assistant',
      message: 'create a ticket for Globex about the late delivery',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.text).toBe('I created the ticket.');
    expect(res.body.citations.records.map((r) => r.id)).toEqual([globex.id]);
    const [op] = res.body.operations;
    expect(op?.decision, JSON.stringify(op)).toBe('executed');
    // The model was told who asks: the person, not the device.
    expect(sentToModel(world.stub)).toContain('Mia Member');
    const event = await auditEvent(op?.eventId);
    expect(event?.actor).toEqual({
      kind: 'agent',
      id: member.userId,
      label: `Enclave AI for ${member.email}`,
    });
    expect(event?.details).toMatchObject({
      onBehalfOf: { id: member.userId, label: member.email },
      viaDevice: { id: memberDevice.deviceId, label: 'Mia’s laptop' },
      promptLogId: res.body.requestId,
    });
  });

  it('gives the AI no more than the owner may do: a viewer’s device cannot have it create', async () => {
    world.stub.enqueue(
      planReply({
        operations: [
          { tool: 'record_create', input: { entityType: 'client', data: { name: 'Hooli', status: 'lead' } } },
        ],
      }),
    );
    const res = await deviceAsk(viewerDevice, { feature: 'assistant', message: 'add Hooli as a lead' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.operations[0]?.decision).toBe('refused');
    expect(res.body.operations[0]?.error?.code).toBe('forbidden');
    const clients = await world.owner.get<{ items: WorkspaceRecord[] }>(world.api('/records?type=client'));
    expect(clients.body.items.map((r) => r.data.name)).not.toContain('Hooli');
  });

  it('refuses a body the contract does not take, before any model call', async () => {
    const unknown = await deviceAsk(memberDevice, {
      feature: 'assistant',
      message: 'hello',
      workspaceId: randomUUID(),
    });
    expectError(unknown, 400, 'validation_failed');
    const empty = await deviceAsk(memberDevice, { feature: 'assistant', message: '   ' });
    expectError(empty, 400, 'validation_failed');
    expect((empty.body as unknown as ErrorBody).error.details).toEqual([
      expect.objectContaining({ path: 'body.message' }),
    ]);
    expect(world.stub.requests).toHaveLength(0);
  });
});

describe('proposals through a device', () => {
  it('lists the owner’s own proposals only, as the console shows a member', async () => {
    await setAi(world, { trust: { records: 'proposeOnly', triage: 'proposeOnly' } });
    const mine = await proposalFromDevice('urgent');
    world.stub.enqueue(
      planReply({
        operations: [{ tool: 'record_update', input: { id: ticket.id, data: { status: 'closed' } } }],
      }),
    );
    const owners = await ask(world.owner, world, { feature: 'assistant', message: 'close the ticket' });
    const ownersProposal = owners.body.operations[0]?.proposalId ?? '';
    expect(ownersProposal).not.toBe('');

    const page = await deviceCall<ProposalPage>(memberDevice, 'GET', '/proposals?status=pending');
    expect(page.status, page.text).toBe(200);
    const ids = page.body.items.map((p) => p.id);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(ownersProposal);
    expect(page.body.items.find((p) => p.id === mine)?.requestedBy).toMatchObject({
      kind: 'user',
      id: member.userId,
    });
    // Someone else's proposal is no proposal to this device: the same 404 as an unknown id.
    const theirs = await deviceCall(memberDevice, 'POST', `/proposals/${ownersProposal}/approve`, {});
    expectError(theirs, 404, 'not_found');
    const bad = await deviceCall(memberDevice, 'GET', '/proposals?status=maybe');
    expectError(bad, 400, 'validation_failed');
  });

  it('approves through the device: the change runs for the owner, on record as the device', async () => {
    const proposalId = await proposalFromDevice('urgent');
    const approved = await deviceCall<ProposalDecided>(
      memberDevice,
      'POST',
      `/proposals/${proposalId}/approve`,
      {},
    );
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.proposal.status).toBe('approved');
    expect(approved.body.proposal.decidedBy).toMatchObject({ kind: 'device', id: memberDevice.deviceId });
    expect((await getRecord(world, ticket.id)).data.priority).toBe('urgent');
    const event = await auditEvent(approved.body.eventId);
    expect(event).toMatchObject({
      action: 'record.update',
      actor: { kind: 'device', id: memberDevice.deviceId, label: 'Mia’s laptop' },
      details: { proposalId, requestedBy: { id: member.userId }, proposedBy: 'ai' },
    });
    const again = await deviceCall(memberDevice, 'POST', `/proposals/${proposalId}/approve`, {});
    expectError(again, 409, 'conflict');
  });

  it('approves an edit, and refuses an edit of another record, changing nothing', async () => {
    const proposalId = await proposalFromDevice('high');
    const retarget = await deviceCall(memberDevice, 'POST', `/proposals/${proposalId}/approve`, {
      operation: { type: 'record.update', id: globex.id, data: { status: 'inactive' } },
    });
    expectError(retarget, 400, 'validation_failed');
    expect((await getRecord(world, globex.id)).data.status).toBe('active');
    const edited = await deviceCall<ProposalDecided>(
      memberDevice,
      'POST',
      `/proposals/${proposalId}/approve`,
      {
        operation: { type: 'record.update', id: ticket.id, data: { priority: 'low' } },
      },
    );
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body.proposal.edited).toBe(true);
    expect((await getRecord(world, ticket.id)).data.priority).toBe('low');
  });

  it('rejects through the device with a reason, on record as the device', async () => {
    const proposalId = await proposalFromDevice('urgent');
    const noReason = await deviceCall(memberDevice, 'POST', `/proposals/${proposalId}/reject`, {});
    expectError(noReason, 400, 'validation_failed');
    const rejected = await deviceCall<ProposalDecided>(
      memberDevice,
      'POST',
      `/proposals/${proposalId}/reject`,
      {
        reason: 'Not urgent at all',
      },
    );
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body.proposal).toMatchObject({ status: 'rejected', rejectReason: 'Not urgent at all' });
    const event = await auditEvent(rejected.body.eventId);
    expect(event).toMatchObject({
      action: 'ai.proposal.reject',
      actor: { kind: 'device', id: memberDevice.deviceId },
    });
    expect((await getRecord(world, ticket.id)).data.priority).toBe('low');
  });

  it('answers another workspace’s proposal exactly as an id that names nothing, and leaves it pending', async () => {
    const otherWs = await createWorkspace(member, 'Mia’s own');
    const otherApi = `/api/v1/workspaces/${otherWs}`;
    const on = await member.put(`${otherApi}/ai/settings`, {
      ...DEFAULT_AI_SETTINGS,
      enabled: true,
      trust: { records: 'proposeOnly', triage: 'proposeOnly' },
    });
    expect(on.status, on.text).toBe(200);
    world.stub.enqueue(
      planReply({
        operations: [
          {
            tool: 'record_create',
            input: { entityType: 'client', data: { name: 'Initech', status: 'lead' } },
          },
        ],
      }),
    );
    const asked = await member.post<AiAnswer>(`${otherApi}/ai/requests`, {
      feature: 'assistant',
      message: 'add Initech as a lead client',
    });
    expect(asked.status, asked.text).toBe(200);
    const foreign = asked.body.operations[0]?.proposalId ?? '';
    expect(foreign).not.toBe('');

    // The device belongs to the same person, in another workspace: its token reaches only its own.
    for (const id of [foreign, randomUUID()]) {
      const approve = await deviceCall(memberDevice, 'POST', `/proposals/${id}/approve`, {});
      expectError(approve, 404, 'not_found');
      const reject = await deviceCall(memberDevice, 'POST', `/proposals/${id}/reject`, { reason: 'no' });
      expectError(reject, 404, 'not_found');
    }
    const listed = await deviceCall<ProposalPage>(memberDevice, 'GET', '/proposals');
    expect(listed.body.items.map((p) => p.id)).not.toContain(foreign);
    const still = await member.get<ProposalPage>(`${otherApi}/ai/proposals?status=pending`);
    expect(still.body.items.map((p) => p.id)).toContain(foreign);
  });

  it('refuses a revoked device on every AI route, and asks no model', async () => {
    const proposalId = await proposalFromDevice('urgent');
    world.stub.reset();
    const revoked = await world.owner.post(world.api(`/devices/${memberDevice.deviceId}/revoke`), {
      wipe: false,
    });
    expect(revoked.status, revoked.text).toBe(200);
    const answers = [
      await deviceAsk(memberDevice, { feature: 'assistant', message: 'make it urgent' }),
      await deviceCall(memberDevice, 'GET', '/proposals'),
      await deviceCall(memberDevice, 'POST', `/proposals/${proposalId}/approve`, {}),
      await deviceCall(memberDevice, 'POST', `/proposals/${proposalId}/reject`, { reason: 'no' }),
    ];
    for (const res of answers) {
      expectError(res, 401, 'device_revoked');
      expect((res.body as ErrorBody).error.details).toEqual({ wipe: false });
    }
    expect(world.stub.requests).toHaveLength(0);
    const pending = await member.get<ProposalPage>(world.api('/ai/proposals?status=pending'));
    expect(pending.body.items.map((p) => p.id)).toContain(proposalId);
  });
});

describe('rate limit on a device’s AI requests', () => {
  let limited: AiWorld;
  afterAll(async () => {
    await limited.close();
  });

  it('limits a device’s AI requests per minute as a person’s writes are: 429 with Retry-After, and no model call', async () => {
    limited = await startAiWorld({ ENCLAVE_WRITE_RATE_PER_USER: '3' });
    await setAi(limited, {});
    limited.stub.setDefault(planReply({ answer: 'Nothing changed this week.' }));
    const device = await pairDevice(limited.t, limited.owner, limited.workspaceId, 'Olivia’s laptop');
    const askFrom = () => {
      const client = limited.t.client();
      client.origin = null;
      return client.request<AiAnswer>(
        'POST',
        '/api/v1/device/ai/requests',
        { feature: 'assistant', message: 'what changed this week?' },
        { authorization: `Bearer ${device.accessToken}` },
      );
    };
    for (let i = 0; i < 3; i++) expect((await askFrom()).status).toBe(200);
    const refused = await askFrom();
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.stub.requests).toHaveLength(3);
  });
});
