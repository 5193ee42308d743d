import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuditEvent,
  Constitution,
  ErrorBody,
  Proposal,
  ProposalDecided,
  PromptLogPage,
  UsageSummary,
} from '@enclave/shared';
import { expectError } from '../../server/src/test-support/expect-error';
import { addMember, createUser, startTestServer } from '../../server/src/test-support/test-server';
import { AiService } from '../../server/src/ai/ai-service';
import { createProvider } from '../../server/src/ai/provider';
import { textReply } from '../support/anthropic-stub';
import {
  ask,
  createRecord,
  getRecord,
  planReply,
  sentToModel,
  setAi,
  startAiWorld,
  STUB_KEY,
  type AiWorld,
} from './ai-support';

let world: AiWorld;
let globex: { id: string };
let invoice: { id: string };
let ticket: { id: string };
const TAX_ID = 'TAXID-SECRET-93be11';

async function audit(query = ''): Promise<AuditEvent[]> {
  const res = await world.owner.get<{ items: AuditEvent[] }>(world.api(`/audit${query}`));
  return res.body.items;
}

beforeAll(async () => {
  world = await startAiWorld();
  globex = await createRecord(world.owner, world, 'client', {
    name: 'Globex',
    email: 'ap@globex.example',
    status: 'active',
    tax_id: TAX_ID,
  });
  invoice = await createRecord(world.owner, world, 'invoice', {
    number: 'INV-0089',
    client: globex.id,
    amount: 125_000,
    issued_on: '2026-11-01',
    status: 'sent',
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

describe('switches and the provider', () => {
  it('with AI off, answers ai_disabled with who can change it, and makes no model call', async () => {
    const res = await ask(world.owner, world, { feature: 'assistant', message: 'show the last 20 changes' });
    expectError(res, 403, 'ai_disabled');
    expect((res.body as unknown as ErrorBody).error.message).toMatch(/owner or admin/);
    expect(world.stub.requests).toHaveLength(0);
  });

  it('with one feature off, that feature makes no call while the others work', async () => {
    await setAi(world, {
      features: { assistant: true, triage: false, draftReply: true, summary: true, auditQuestions: true },
    });
    const off = await ask(world.owner, world, { feature: 'triage', recordId: ticket.id });
    expectError(off, 403, 'ai_disabled');
    expect((off.body as unknown as ErrorBody).error.details).toMatchObject({
      reason: 'feature_off',
      feature: 'triage',
    });
    expect(world.stub.requests).toHaveLength(0);
    world.stub.enqueue(planReply({ answer: 'A summary.' }));
    const on = await ask(world.owner, world, { feature: 'summary', recordId: ticket.id });
    expect(on.status, on.text).toBe(200);
    expect(world.stub.requests).toHaveLength(1);
  });

  it('without a key, the AI says how to enable it and the rest of the server works', async () => {
    const t = await startTestServer();
    try {
      const owner = await createUser(t);
      const made = await owner.post<{ id: string }>('/api/v1/workspaces', {
        name: 'No AI',
        template: 'standard',
      });
      const api = `/api/v1/workspaces/${made.body.id}`;
      const view = await owner.get<{ provider: { configured: boolean }; howToEnable: string }>(
        `${api}/ai/settings`,
      );
      expect(view.body.provider.configured).toBe(false);
      expect(view.body.howToEnable).toMatch(/ANTHROPIC_API_KEY/);
      const res = await owner.post(`${api}/ai/requests`, { feature: 'assistant', message: 'hello there' });
      expectError(res, 503, 'ai_not_configured');
      const record = await owner.post(`${api}/records`, {
        type: 'client',
        data: { name: 'Initech', status: 'lead' },
      });
      expect(record.status).toBe(201);
    } finally {
      await t.close();
    }
  });
});

describe('plans: the model proposes, the engine decides', () => {
  it('Trusted Auto runs a low-risk create as the agent on the person’s behalf, audited with its prompt log entry', async () => {
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
        ruleIds: ['only-what-was-asked'],
      }),
    );
    const res = await ask(world.owner, world, {
      feature: 'assistant',
      message: 'create a ticket for Globex about the late delivery',
    });
    expect(res.status, res.text).toBe(200);
    const [op] = res.body.operations;
    expect(op?.decision, JSON.stringify(op)).toBe('executed');
    expect(op?.provenance.find((p) => p.path === 'data.client')?.source).toBe('request');
    expect(res.body.ruleIds).toEqual(['only-what-was-asked']);
    const event = (await audit('?action=record.create')).find((e) => e.id === op?.eventId);
    expect(event?.actor.kind).toBe('agent');
    expect(event?.details).toMatchObject({
      onBehalfOf: { id: world.owner.userId },
      promptLogId: res.body.requestId,
      constitutionVersion: 1,
    });
  });

  it('Propose Only files the same operation; approval runs it as the approving person, naming both', async () => {
    await setAi(world, { trust: { records: 'proposeOnly', triage: 'proposeOnly' } });
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
    const res = await ask(world.owner, world, {
      feature: 'assistant',
      message: 'add Initech as a lead client',
    });
    const [op] = res.body.operations;
    expect(op?.decision).toBe('proposed');
    expect(op?.reasons).toContain('proposeOnly');
    const pending = await world.owner.get<{ items: Proposal[] }>(world.api('/ai/proposals?status=pending'));
    expect(pending.body.items.map((p) => p.id)).toContain(op?.proposalId);
    const approved = await world.owner.post<ProposalDecided>(
      world.api(`/ai/proposals/${op?.proposalId ?? ''}/approve`),
      {},
    );
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.proposal.status).toBe('approved');
    const event = (await audit('?action=record.create')).find((e) => e.id === approved.body.eventId);
    expect(event?.actor).toMatchObject({ kind: 'user', id: world.owner.userId });
    expect(event?.details).toMatchObject({
      proposalId: op?.proposalId,
      requestedBy: { id: world.owner.userId },
      proposedBy: 'ai',
    });
    const again = await world.owner.post(world.api(`/ai/proposals/${op?.proposalId ?? ''}/approve`), {});
    expectError(again, 409, 'conflict');
  });

  it('"mark INV-0089 paid" waits for a person even in Trusted Auto, and can be approved edited', async () => {
    await setAi(world, { trust: { records: 'trustedAuto', triage: 'trustedAuto' } });
    world.stub.enqueue(
      planReply({
        operations: [
          { tool: 'record_update', input: { id: invoice.id, data: { status: 'paid', paid: true } } },
        ],
      }),
    );
    const res = await ask(world.owner, world, { feature: 'assistant', message: 'mark INV-0089 paid' });
    const [op] = res.body.operations;
    expect(op?.decision).toBe('proposed');
    expect(op?.risk).toBe('high');
    expect(op?.reasons).toEqual(expect.arrayContaining(['highRisk', 'ruleRequiresApproval']));
    expect(op?.fromRecordText).toBe(false);
    expect(op?.ruleIds).toContain('invoice-money-needs-a-person');
    expect((await getRecord(world, invoice.id)).data.status).toBe('sent');
    const edited = await world.owner.post<ProposalDecided>(
      world.api(`/ai/proposals/${op?.proposalId ?? ''}/approve`),
      {
        operation: { type: 'record.update', id: invoice.id, data: { status: 'paid' } },
      },
    );
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body.proposal.edited).toBe(true);
    const after = await getRecord(world, invoice.id);
    expect(after.data.status).toBe('paid');
    expect(after.data.paid).toBeUndefined();
  });

  it('an edit that changes the target is refused and changes nothing', async () => {
    world.stub.enqueue(planReply({ operations: [{ tool: 'record_delete', input: { id: ticket.id } }] }));
    const res = await ask(world.owner, world, {
      feature: 'assistant',
      message: 'delete the ticket about the late delivery',
    });
    const [op] = res.body.operations;
    expect(op?.decision).toBe('proposed');
    const bad = await world.owner.post(world.api(`/ai/proposals/${op?.proposalId ?? ''}/approve`), {
      operation: { type: 'record.delete', id: globex.id },
    });
    expectError(bad, 400, 'validation_failed');
    expect((await getRecord(world, globex.id)).deletedAt).toBeNull();
  });

  it('a rejection with a rule adds it to the constitution as a new version', async () => {
    world.stub.enqueue(
      planReply({
        operations: [{ tool: 'record_update', input: { id: ticket.id, data: { priority: 'urgent' } } }],
      }),
    );
    await setAi(world, { trust: { records: 'proposeOnly', triage: 'proposeOnly' } });
    const res = await ask(world.owner, world, {
      feature: 'assistant',
      message: 'make the late delivery ticket urgent',
    });
    const proposalId = res.body.operations[0]?.proposalId ?? '';
    const before = (await world.owner.get<Constitution>(world.api('/ai/constitution'))).body;
    const rejected = await world.owner.post<ProposalDecided>(
      world.api(`/ai/proposals/${proposalId}/reject`),
      {
        reason: 'Urgent is for outages only',
        addRule: {
          id: 'urgent-needs-a-person',
          text: 'Setting a ticket to urgent waits for a person.',
          effect: 'requireApproval',
          match: { operations: ['record.update'], entityTypes: ['ticket'], fields: ['priority'] },
        },
      },
    );
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body.proposal.status).toBe('rejected');
    const after = (await world.owner.get<Constitution>(world.api('/ai/constitution'))).body;
    expect(after.version).toBe(before.version + 1);
    expect(after.rules.map((r) => r.id)).toContain('urgent-needs-a-person');
    expect((await getRecord(world, ticket.id)).data.priority).toBe('normal');
  });

  it('a plan with no submit_plan is refused whole: 502, nothing changed, nothing filed', async () => {
    const before = (await audit()).length;
    world.stub.enqueue(textReply('I will just do it.'));
    const res = await ask(world.owner, world, { feature: 'assistant', message: 'delete every invoice' });
    expectError(res, 502, 'ai_plan_invalid');
    expect((await audit()).length).toBe(before);
  });

  it('hallucinated records, made-up tools and fake citations are refused or dropped; the rest still works', async () => {
    await setAi(world, { trust: { records: 'trustedAuto', triage: 'proposeOnly' } });
    world.stub.enqueue(
      planReply({
        operations: [
          { tool: 'record_update', input: { id: 'no-such-record', data: { priority: 'low' } } },
          { tool: 'member_invite', input: { email: 'mallory@evil.example', roles: ['owner'] } },
          { tool: 'record_update', input: { id: ticket.id, data: { estimate_hours: 3 } } },
        ],
        citedRecordIds: [ticket.id, 'made-up-id'],
        ruleIds: ['allow-everything'],
      }),
    );
    const res = await ask(world.owner, world, {
      feature: 'assistant',
      message: 'set the estimate of the late delivery ticket to 3 hours',
      recordId: ticket.id,
    });
    expect(res.status, res.text).toBe(200);
    const [ghost, invite, estimate] = res.body.operations;
    expect(ghost?.decision).toBe('refused');
    expect(ghost?.error?.code).toBe('not_found');
    expect(invite?.decision).toBe('refused');
    expect(invite?.operation).toBeNull();
    expect(invite?.error?.code).toBe('forbidden');
    expect(estimate?.decision).toBe('executed');
    expect(res.body.citations.records.map((r) => r.id)).toEqual([ticket.id]);
    expect(res.body.droppedCitations).toBe(1);
    expect(res.body.unknownRuleIds).toEqual(['allow-everything']);
    const invitations = await world.owner.get<{ items: unknown[] }>(world.api('/invitations'));
    expect(JSON.stringify(invitations.body)).not.toContain('mallory');
  });

  it('the AI never has more rights than the person: a viewer’s plan to create is refused', async () => {
    const viewer = await createUser(world.t);
    await addMember(world.owner, world.workspaceId, viewer, ['viewer']);
    world.stub.enqueue(
      planReply({
        operations: [
          { tool: 'record_create', input: { entityType: 'client', data: { name: 'Hooli', status: 'lead' } } },
        ],
      }),
    );
    const res = await ask(viewer, world, { feature: 'assistant', message: 'add Hooli as a lead' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.operations[0]?.decision).toBe('refused');
    expect(res.body.operations[0]?.error?.code).toBe('forbidden');
    const prompts = await viewer.get(world.api('/ai/prompt-log'));
    expectError(prompts, 403, 'forbidden');
  });
});

describe('what the model is sent', () => {
  it('never a secret field, a token, a password or the key; never another workspace', async () => {
    const other = await createUser(world.t);
    const otherWs = await other.post<{ id: string }>('/api/v1/workspaces', {
      name: 'Other firm',
      template: 'standard',
    });
    await other.post(`/api/v1/workspaces/${otherWs.body.id}/records`, {
      type: 'client',
      data: { name: 'Globex Other Tenant', status: 'active', notes: 'OTHER-TENANT-NOTE-5521' },
    });
    world.stub.enqueue(
      planReply({ answer: 'Globex is an active client.' }),
      planReply({ answer: 'Summary.' }),
    );
    await ask(world.owner, world, { feature: 'assistant', message: 'what changed on Globex this week?' });
    await ask(world.owner, world, { feature: 'summary', recordId: globex.id });
    const sent = sentToModel(world.stub);
    expect(sent).toContain('Globex');
    expect(sent).not.toContain(TAX_ID);
    expect(sent).not.toContain('OTHER-TENANT-NOTE-5521');
    expect(sent).not.toContain(world.owner.password);
    expect(sent).not.toContain(world.owner.cookie?.split('=')[1] ?? 'no-cookie');
    expect(sent).not.toContain(STUB_KEY);
    expect(world.t.logs()).not.toContain(STUB_KEY);
    // The person's words are fenced apart from the records, which are labelled untrusted.
    expect(sent).toMatch(/<data kind=\\"records\\" trust=\\"untrusted\\">/);
  });

  it('the prompt log keeps what was sent and answered, for owners and admins', async () => {
    world.stub.enqueue(planReply({ answer: 'Logged.' }));
    const res = await ask(world.owner, world, { feature: 'assistant', message: 'show the last 5 changes' });
    const log = await world.owner.get<PromptLogPage>(world.api('/ai/prompt-log?limit=5'));
    const entry = log.body.items.find((e) => e.id === res.body.requestId);
    expect(entry?.outcome).toBe('ok');
    expect(JSON.stringify(entry?.request)).toContain('show the last 5 changes');
    expect(entry?.inputTokens).toBeGreaterThan(0);
  });
});

describe('provider failures change nothing', () => {
  for (const [label, reply] of [
    ['rate limited (429)', { kind: 'error', status: 429 }],
    ['overloaded (529)', { kind: 'error', status: 529 }],
  ] as const) {
    it(`${label} → ai_unavailable, logged as an error`, async () => {
      const before = (await audit()).length;
      world.stub.enqueue(reply);
      const res = await ask(world.owner, world, { feature: 'assistant', message: 'mark INV-0089 paid' });
      expectError(res, 503, 'ai_unavailable');
      expect((await audit()).length).toBe(before);
      const log = await world.owner.get<PromptLogPage>(world.api('/ai/prompt-log?limit=1'));
      expect(log.body.items[0]?.outcome).toBe('error');
    });
  }

  it('a model that never answers times out → ai_unavailable', async () => {
    const slow = await startAiWorld({ ENCLAVE_AI_TIMEOUT_SECONDS: '1' });
    try {
      await setAi(slow);
      slow.stub.enqueue({ kind: 'hang' });
      const res = await ask(slow.owner, slow, { feature: 'assistant', message: 'hello there' });
      expectError(res, 503, 'ai_unavailable');
      expect((res.body as unknown as ErrorBody).error.message).toMatch(/in time/);
    } finally {
      await slow.close();
    }
  });
});

describe('proposals expire', () => {
  it('a pending proposal past its lifetime expires, cannot be approved, and the expiry is audited', async () => {
    await setAi(world, { trust: { records: 'proposeOnly', triage: 'proposeOnly' }, proposalTtlHours: 1 });
    world.stub.enqueue(
      planReply({
        operations: [
          {
            tool: 'record_create',
            input: { entityType: 'client', data: { name: 'Umbrella', status: 'lead' } },
          },
        ],
      }),
    );
    const res = await ask(world.owner, world, { feature: 'assistant', message: 'add Umbrella as a lead' });
    const proposalId = res.body.operations[0]?.proposalId ?? '';
    const { deps } = world.t.server;
    const later = new AiService({
      ...deps,
      provider: createProvider(world.t.config.ai),
      clock: () => new Date(Date.now() + 2 * 3_600_000),
    });
    const ws = await deps.store.workspace(world.workspaceId);
    if (!ws) throw new Error('no workspace');
    const ctx = {
      workspaceId: world.workspaceId,
      actor: { kind: 'system' as const, id: 'enclave', label: 'Enclave' },
      principal: { userId: 'enclave', email: '', name: 'Enclave' },
      request: { ip: null, userAgent: null, requestId: null },
    };
    expect(await later.expireDue(ws, ctx)).toBeGreaterThanOrEqual(1);
    const proposal = await world.owner.get<Proposal>(world.api(`/ai/proposals/${proposalId}`));
    expect(proposal.body.status).toBe('expired');
    expectError(
      await world.owner.post(world.api(`/ai/proposals/${proposalId}/approve`), {}),
      409,
      'conflict',
    );
    expect((await audit('?action=ai.proposal.expire')).some((e) => e.target.id === proposalId)).toBe(true);
  });
});

describe('the prompt log is kept for its retention, then swept', () => {
  it('the hourly sweep removes entries older than the workspace’s retention and keeps the usage ledger', async () => {
    await setAi(world, { promptLogRetentionDays: 30 });
    world.stub.enqueue(planReply({ answer: 'Kept a while.' }));
    const res = await ask(world.owner, world, { feature: 'assistant', message: 'anything new on Globex?' });
    expect(res.status).toBe(200);
    const usageBefore = (await world.owner.get<UsageSummary>(world.api('/ai/usage'))).body.usedTokens;
    const { deps } = world.t.server;
    const provider = createProvider(world.t.config.ai);
    // 29 days on, the entry is still there; 31 days on, it is gone.
    await new AiService({ ...deps, provider, clock: () => new Date(Date.now() + 29 * 86_400_000) }).sweep();
    let log = await world.owner.get<PromptLogPage>(world.api('/ai/prompt-log?limit=100'));
    expect(log.body.items.some((e) => e.id === res.body.requestId)).toBe(true);
    await new AiService({ ...deps, provider, clock: () => new Date(Date.now() + 31 * 86_400_000) }).sweep();
    log = await world.owner.get<PromptLogPage>(world.api('/ai/prompt-log?limit=100'));
    expect(log.body.items).toHaveLength(0);
    expect((await world.owner.get<UsageSummary>(world.api('/ai/usage'))).body.usedTokens).toBe(usageBefore);
  });
});

describe('draft replies are outbound and wait for a person', () => {
  it('files an outbox proposal; approving sends the email', async () => {
    await setAi(world, { trust: { records: 'trustedAuto', triage: 'trustedAuto' } });
    world.stub.enqueue(
      planReply({
        operations: [
          {
            tool: 'outbox_send',
            input: {
              to: 'ap@globex.example',
              subject: 'Your late delivery',
              body: 'We are sorry: the parcel leaves today.',
              recordId: ticket.id,
            },
          },
        ],
      }),
    );
    const res = await ask(world.owner, world, { feature: 'draftReply', recordId: ticket.id });
    const [op] = res.body.operations;
    expect(op?.decision).toBe('proposed');
    expect(op?.reasons).toEqual(expect.arrayContaining(['outbound', 'irreversible']));
    expect(op?.provenance.find((p) => p.path === 'to')?.source).toBe('namedRecord');
    expect(world.t.outbox.lastTo('ap@globex.example')).toBeUndefined();
    const approved = await world.owner.post<ProposalDecided>(
      world.api(`/ai/proposals/${op?.proposalId ?? ''}/approve`),
      {},
    );
    expect(approved.status, approved.text).toBe(200);
    await expect.poll(() => world.t.outbox.lastTo('ap@globex.example')?.subject).toBe('Your late delivery');
  });
});

describe('usage allowance', () => {
  it('alerts at 80% and 100% once each, pauses at 100%, and a top-up resumes', async () => {
    const w = await startAiWorld();
    try {
      await setAi(w, { monthlyAllowanceTokens: 1_000 });
      w.stub.enqueue({ ...planReply({ answer: 'one' }), usage: { input_tokens: 700, output_tokens: 150 } });
      expect((await ask(w.owner, w, { feature: 'assistant', message: 'hello there' })).status).toBe(200);
      w.stub.enqueue({ ...planReply({ answer: 'two' }), usage: { input_tokens: 100, output_tokens: 60 } });
      expect((await ask(w.owner, w, { feature: 'assistant', message: 'hello again' })).status).toBe(200);
      const calls = w.stub.requests.length;
      const paused = await ask(w.owner, w, { feature: 'assistant', message: 'and again' });
      expectError(paused, 429, 'ai_allowance_spent');
      expect(w.stub.requests.length).toBe(calls);
      const events = (await w.owner.get<{ items: AuditEvent[] }>(w.api('/audit?action=ai.usage.alert'))).body
        .items;
      expect(events.map((e) => (e.after as { threshold: string }).threshold).sort()).toEqual(['100', '80']);
      const usage = (await w.owner.get<UsageSummary>(w.api('/ai/usage'))).body;
      expect(usage).toMatchObject({ usedTokens: 1_010, paused: true, alert: '100' });
      expect(usage.byPerson[0]?.calls).toBe(2);
      await expect
        .poll(() => w.t.outbox.messages.filter((m) => /AI allowance/.test(m.subject)).length)
        .toBe(2);
      const alertMail = w.t.outbox.messages.find((m) => /AI allowance/.test(m.subject));
      // The email links to the console's usage page of the workspace.
      expect(alertMail?.text).toContain(`${w.t.url}/console/w/${w.workspaceId}/usage\n`);
      await setAi(w, { monthlyAllowanceTokens: 1_000, topUp: true });
      w.stub.enqueue(planReply({ answer: 'three' }));
      expect((await ask(w.owner, w, { feature: 'assistant', message: 'topped up' })).status).toBe(200);
      const again = (await w.owner.get<{ items: AuditEvent[] }>(w.api('/audit?action=ai.usage.alert'))).body
        .items;
      expect(again).toHaveLength(2);
    } finally {
      await w.close();
    }
  });
});
