import { expect, test, type Locator, type Page } from '@playwright/test';
import {
  DEFAULT_AI_SETTINGS,
  type AiAnswer,
  type AiSettings,
  type Constitution,
  type Proposal,
  type WorkspaceRecord,
} from '@enclave/shared';
import type { TestClient } from '../../../server/src/test-support/test-client';
import {
  addMember,
  createUser,
  createWorkspace,
  type TestServer,
} from '../../../server/src/test-support/test-server';
import { planReply, type PlanScript } from '../../ai/ai-support';
import { startAnthropicStub, type AnthropicStub } from '../../support/anthropic-stub';
import { expectAccessible, screenshot, signIn, useConsoleServer, watchPage } from './console-support';

/**
 * The console's Proposals page against a real server: proposals are filed by real AI requests
 * (the stub plays the model), decided in the browser, and what the page says is checked against
 * the records, the outbox and the constitution.
 */

let t: TestServer;
let stub: AnthropicStub;
let owner: TestClient;
let member: TestClient;
let workspaceId: string;
/** A workspace with a long queue, for paging and for who sees what. */
let busyId: string;
let globex: WorkspaceRecord;
let initech: WorkspaceRecord;
let ticket: WorkspaceRecord;

const api = (ws: string, path = '') => `/api/v1/workspaces/${ws}${path}`;

async function createRecord(
  ws: string,
  type: string,
  data: Record<string, unknown>,
): Promise<WorkspaceRecord> {
  const res = await owner.post<WorkspaceRecord>(api(ws, '/records'), { type, data });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function getRecord(id: string): Promise<WorkspaceRecord> {
  const res = await owner.get<WorkspaceRecord>(api(workspaceId, `/records/${id}`));
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function getProposal(id: string): Promise<Proposal> {
  const res = await owner.get<Proposal>(api(workspaceId, `/ai/proposals/${id}`));
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function putAi(ws: string, change: Partial<AiSettings> = {}): Promise<void> {
  // New-ticket triage off: its own model call would take the replies a test scripts.
  const settings: AiSettings = { ...DEFAULT_AI_SETTINGS, enabled: true, triageNewTickets: false, ...change };
  const res = await owner.put(api(ws, '/ai/settings'), settings);
  expect(res.status, res.text).toBe(200);
}

/** Files proposals the way they are filed: an AI request whose plan the stub plays. */
async function propose(
  body: Record<string, unknown>,
  plan: PlanScript,
  options: { as?: TestClient; ws?: string } = {},
): Promise<string[]> {
  stub.enqueue(planReply(plan));
  const res = await (options.as ?? owner).post<AiAnswer>(
    api(options.ws ?? workspaceId, '/ai/requests'),
    body,
  );
  expect(res.status, res.text).toBe(200);
  const ids = res.body.operations.map((d) => d.proposalId);
  expect(
    ids.every((id) => id !== null),
    JSON.stringify(res.body.operations),
  ).toBe(true);
  return ids as string[];
}

const cardOf = (page: Page, id: string): Locator =>
  page.locator(`[data-testid="proposal-card"][data-id="${id}"]`);

async function openQueue(page: Page, user: TestClient = owner, ws = workspaceId, search = ''): Promise<void> {
  await signIn(page, t, user, { next: `/w/${ws}/proposals${search}` });
  await expect(page.getByTestId('proposals-page')).toBeVisible();
  await expect(page.getByTestId('proposals-list').or(page.getByTestId('proposals-empty'))).toBeVisible();
}

const env: Record<string, string> = { ANTHROPIC_API_KEY: 'sk-ant-console-test', ENCLAVE_AI_MAX_RETRIES: '0' };
// The server reads its model's address at start, and the stub's port is known only once it
// listens: this hook runs before the server's and fills in the environment it is started with.
test.beforeAll(async () => {
  stub = await startAnthropicStub();
  env.ANTHROPIC_BASE_URL = stub.url;
});
test.afterAll(async () => {
  await stub.close();
});

useConsoleServer(
  async (server) => {
    t = server;
    owner = await createUser(t, { name: 'Olivia Owner' });
    member = await createUser(t, { name: 'Milo Member' });
    workspaceId = await createWorkspace(owner, 'Acme Legal');
    busyId = await createWorkspace(owner, 'Busy Firm');
    await addMember(owner, busyId, member, ['member']);
    await putAi(workspaceId);
    await putAi(busyId);
    globex = await createRecord(workspaceId, 'client', {
      name: 'Globex',
      email: 'ap@globex.example',
      status: 'active',
    });
    initech = await createRecord(workspaceId, 'client', { name: 'Initech', status: 'lead' });
    ticket = await createRecord(workspaceId, 'ticket', {
      subject: 'Late delivery',
      client: globex.id,
      body: 'The parcel is two weeks late.',
      priority: 'normal',
      status: 'open',
    });
  },
  { env },
);

test.beforeEach(() => {
  stub.reset();
});

test('the queue shows what waits and why; approving runs it and says so', async ({ page }) => {
  const watch = watchPage(page);
  const [id] = await propose(
    { feature: 'assistant', message: 'make the late delivery ticket urgent' },
    {
      operations: [{ tool: 'record_update', input: { id: ticket.id, data: { priority: 'urgent' } } }],
      rationale: 'The person asked for urgent.',
      confidence: 0.97,
    },
  );
  await openQueue(page);
  const card = cardOf(page, id ?? '');
  await expect(card.getByTestId('proposal-status')).toHaveText('Waiting for approval');
  await expect(card.getByTestId('proposal-summary')).toContainText('Late delivery');
  await expect(card.getByTestId('proposal-requester')).toContainText('Olivia Owner');
  await expect(card.getByTestId('proposal-request')).toHaveText('make the late delivery ticket urgent');
  await expect(card.locator('[data-reason="proposeOnly"]')).toContainText('Propose Only');
  await expect(card.getByTestId('proposal-rationale')).toContainText(
    'The person asked for urgent. (confidence 97%)',
  );
  await expect(card.getByTestId('proposal-expires')).toBeVisible();
  await card.getByText('Where its values came from').click();
  await expect(card.getByTestId('ai-provenance').locator('tr[data-path="data.priority"]')).toContainText(
    'Priority',
  );
  await expectAccessible(page);
  await screenshot(page, 'ai-proposals-queue');

  await card.getByTestId('proposal-approve').click();
  await expect(card).toHaveAttribute('data-status', 'approved');
  await expect(card.getByTestId('proposal-outcome')).toContainText('Approved by Olivia Owner');
  await expect(card.getByTestId('proposal-event')).toHaveAttribute(
    'href',
    new RegExp(`/audit\\?recordId=${ticket.id}$`),
  );
  expect((await getRecord(ticket.id)).data.priority).toBe('urgent');
  expect((await getProposal(id ?? '')).status).toBe('approved');
  await expectAccessible(page);
  await screenshot(page, 'ai-proposals-approved');

  // The filter is in the address; approved ones are listed under Approved.
  await page.getByTestId('proposals-status').selectOption('approved');
  await expect(page).toHaveURL(/\/proposals\?status=approved$/);
  await expect(cardOf(page, id ?? '')).toHaveAttribute('data-status', 'approved');
  await page.getByTestId('proposals-status').selectOption('pending');
  await expect(cardOf(page, id ?? '')).toHaveCount(0);
  watch.check();
});

test('edit, then approve: record fields through the record inputs, an email’s subject and body', async ({
  page,
}) => {
  const watch = watchPage(page);
  const [change] = await propose(
    { feature: 'assistant', message: 'make the late delivery ticket urgent, estimate 5 hours' },
    {
      operations: [
        { tool: 'record_update', input: { id: ticket.id, data: { priority: 'urgent', estimate_hours: 5 } } },
      ],
    },
  );
  const [email] = await propose(
    { feature: 'draftReply', recordId: ticket.id },
    {
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
    },
  );
  await openQueue(page);

  const card = cardOf(page, change ?? '');
  await card.getByTestId('proposal-edit').click();
  const editor = card.getByTestId('proposal-editor');
  await expect(editor).toHaveAttribute('data-kind', 'data');
  // Only the fields the change sets, as the record form shows them.
  await expect(editor.getByTestId('field-priority')).toHaveValue('urgent');
  await expect(editor.getByTestId('field-estimate_hours')).toHaveValue('5');
  await expect(editor.getByTestId('field-subject')).toHaveCount(0);
  // A value that is not a number is caught before anything is sent.
  await editor.getByTestId('field-estimate_hours').fill('two');
  await editor.getByTestId('proposal-edit-approve').click();
  await expect(editor.getByText('Enter a number, like 12 or 3.5.')).toBeVisible();
  expect((await getProposal(change ?? '')).status).toBe('pending');
  await expectAccessible(page);
  await screenshot(page, 'ai-proposals-edit');

  await editor.getByTestId('field-estimate_hours').fill('2');
  await editor.getByTestId('proposal-edit-approve').click();
  await expect(card).toHaveAttribute('data-status', 'approved');
  await expect(card.getByTestId('proposal-outcome')).toContainText('edited before it ran');
  const after = await getRecord(ticket.id);
  expect(after.data).toMatchObject({ priority: 'urgent', estimate_hours: 2 });
  expect((await getProposal(change ?? '')).edited).toBe(true);

  // The email: its subject and body are edited; it goes out only when approved.
  const mail = cardOf(page, email ?? '');
  await expect(mail.locator('[data-reason="outbound"]')).toBeVisible();
  await mail.getByTestId('proposal-edit').click();
  await expect(mail.getByTestId('proposal-editor')).toHaveAttribute('data-kind', 'message');
  await mail.getByTestId('proposal-edit-subject').fill('Your parcel leaves today');
  await mail
    .getByTestId('proposal-edit-body')
    .fill('Dear Globex, your parcel leaves today. Sorry for the wait.');
  expect(t.outbox.lastTo('ap@globex.example')).toBeUndefined();
  await mail.getByTestId('proposal-edit-approve').click();
  await expect(mail).toHaveAttribute('data-status', 'approved');
  await expect.poll(() => t.outbox.lastTo('ap@globex.example')?.subject).toBe('Your parcel leaves today');
  expect(t.outbox.lastTo('ap@globex.example')?.text).toContain('your parcel leaves today');

  // Approving an email as it is asks first: once it has left, it cannot be taken back.
  const [asIs] = await propose(
    { feature: 'draftReply', recordId: ticket.id },
    {
      operations: [
        {
          tool: 'outbox_send',
          input: {
            to: 'ap@globex.example',
            subject: 'Tracking number',
            body: 'It is 1Z999.',
            recordId: ticket.id,
          },
        },
      ],
    },
  );
  await page.reload();
  const plain = cardOf(page, asIs ?? '');
  await plain.getByTestId('proposal-approve').click();
  await expect(page.getByRole('alertdialog', { name: 'Send this email?' })).toBeVisible();
  await expectAccessible(page);
  await page.getByTestId('proposal-confirm-send').click();
  await expect(plain).toHaveAttribute('data-status', 'approved');
  await expect.poll(() => t.outbox.lastTo('ap@globex.example')?.subject).toBe('Tracking number');
  watch.check();
});

test('reject with a rule: the rule is in the constitution, and the same proposal does not come back', async ({
  page,
}) => {
  const watch = watchPage(page);
  const before = (await owner.get<Constitution>(api(workspaceId, '/ai/constitution'))).body;
  const plan: PlanScript = { operations: [{ tool: 'record_delete', input: { id: initech.id } }] };
  const [id] = await propose({ feature: 'assistant', message: 'delete Initech' }, plan);
  await openQueue(page);
  const card = cardOf(page, id ?? '');
  await expect(card.locator('[data-reason="ruleRequiresApproval"]')).toBeVisible();
  await card.getByTestId('proposal-reject').click();

  // A reason is required; the rule starts from this proposal's operation and entity type.
  await card.getByTestId('proposal-reject-submit').click();
  await expect(card.getByText('Say why, so that the person who asked knows.')).toBeVisible();
  await card.getByTestId('proposal-reject-reason').fill('Clients are never deleted, only archived.');
  await card.getByTestId('proposal-reject-add-rule').check();
  await expect(card.getByTestId('proposal-rule-id')).toHaveValue('ask-before-delete-client');
  await expect(card.getByTestId('proposal-rule-text')).toHaveValue(
    'Deleting clients waits for a person’s approval.',
  );
  await expect(card.getByTestId('proposal-rule-by-type')).toBeChecked();
  await card.getByTestId('proposal-rule-effect').selectOption('forbid');
  await expect(card.getByTestId('proposal-rule-text')).toHaveValue('The AI may not delete clients.');
  await card.getByTestId('proposal-rule-id').fill('never-delete-clients');
  await expectAccessible(page);
  await screenshot(page, 'ai-proposals-reject');

  await card.getByTestId('proposal-reject-submit').click();
  await expect(card).toHaveAttribute('data-status', 'rejected');
  await expect(card.getByTestId('proposal-outcome')).toContainText('Rejected by Olivia Owner');
  await expect(card.getByTestId('proposal-outcome')).toContainText(
    '“Clients are never deleted, only archived.”',
  );
  await expect(card.getByTestId('proposal-rule-added')).toContainText('never-delete-clients');

  const after = (await owner.get<Constitution>(api(workspaceId, '/ai/constitution'))).body;
  expect(after.version).toBe(before.version + 1);
  expect(after.rules.find((r) => r.id === 'never-delete-clients')).toEqual({
    id: 'never-delete-clients',
    text: 'The AI may not delete clients.',
    effect: 'forbid',
    match: { operations: ['record.delete'], entityTypes: ['client'] },
  });
  expect((await getRecord(initech.id)).deletedAt).toBeNull();
  expect((await getProposal(id ?? '')).rejectReason).toBe('Clients are never deleted, only archived.');

  // The same plan again is refused by the new rule instead of waiting in the queue.
  stub.enqueue(planReply(plan));
  const again = await owner.post<AiAnswer>(api(workspaceId, '/ai/requests'), {
    feature: 'assistant',
    message: 'delete Initech',
  });
  expect(again.status, again.text).toBe(200);
  expect(again.body.operations[0]).toMatchObject({ decision: 'refused', proposalId: null });
  watch.check();
});

test('the queue pages by 20, and members see only the proposals made for them', async ({ page }) => {
  const watch = watchPage(page);
  const busyTicket = (
    await owner.post<WorkspaceRecord>(api(busyId, '/records'), {
      type: 'ticket',
      data: { subject: 'Printer', priority: 'normal', status: 'open' },
    })
  ).body;
  // A plan holds at most 20 operations: two requests make 21 proposals, one more than a page.
  const estimates = (from: number, count: number): PlanScript => ({
    operations: Array.from({ length: count }, (_, i) => ({
      tool: 'record_update',
      input: { id: busyTicket.id, data: { estimate_hours: from + i } },
    })),
  });
  const owners = [
    ...(await propose({ feature: 'assistant', message: 'try estimates of 1 to 11 hours' }, estimates(1, 11), {
      ws: busyId,
    })),
    ...(await propose(
      { feature: 'assistant', message: 'try estimates of 12 to 21 hours' },
      estimates(12, 10),
      {
        ws: busyId,
      },
    )),
  ];
  expect(owners).toHaveLength(21);
  const [mine] = await propose(
    { feature: 'assistant', message: 'make the printer ticket low priority' },
    { operations: [{ tool: 'record_update', input: { id: busyTicket.id, data: { priority: 'low' } } }] },
    { as: member, ws: busyId },
  );

  await openQueue(page, owner, busyId);
  await expect(page.getByTestId('proposal-card')).toHaveCount(20);
  await page.getByTestId('proposals-more').click();
  await expect(page.getByTestId('proposal-card')).toHaveCount(22);
  await expect(page.getByTestId('proposals-more')).toHaveCount(0);
  await expect(cardOf(page, mine ?? '').getByTestId('proposal-requester')).toContainText('Milo Member');

  await page.context().clearCookies();
  await openQueue(page, member, busyId);
  await expect(page.getByTestId('proposal-card')).toHaveCount(1);
  await expect(cardOf(page, mine ?? '')).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'ai-proposals-member');
  // Someone else's proposal is not there for them, even by its address.
  await page.goto(`${t.url}/console/w/${busyId}/proposals?proposal=${owners[0] ?? ''}`);
  await expect(page.getByTestId('proposals-error')).toHaveAttribute('data-code', 'not_found');
  watch.check();
});
