import { readFileSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { expect, test, type Page, type Request } from '@playwright/test';
import type { AuditEvent, AuditPage, AuditVerifyResult, WorkspaceRecord } from '@enclave/shared';
import type { OperationContext } from '../../../server/src/engine/context';
import type { TestClient } from '../../../server/src/test-support/test-client';
import {
  addMember,
  createUser,
  createWorkspace,
  type TestServer,
} from '../../../server/src/test-support/test-server';
import {
  consoleUrl,
  expectAccessible,
  screenshot,
  signIn,
  useConsoleServer,
  watchPage,
} from './console-support';

let t: TestServer;
let owner: TestClient;
let member: TestClient;
let workspaceId: string;
/** Records made in beforeAll, by name. */
const records: Record<string, WorkspaceRecord> = {};

const api = (path = '') => `/api/v1/workspaces/${workspaceId}${path}`;

async function createRecord(client: TestClient, type: string, data: Record<string, unknown>) {
  const res = await client.post<WorkspaceRecord>(api('/records'), { type, data });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function patchRecord(client: TestClient, id: string, data: Record<string, unknown>) {
  const res = await client.patch<WorkspaceRecord>(api(`/records/${id}`), { data });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function auditOf(query: string): Promise<AuditEvent[]> {
  const res = await owner.get<AuditPage>(api(`/audit?${query}`));
  expect(res.status, res.text).toBe(200);
  return res.body.items;
}

async function openAudit(page: Page, query = '', workspace = workspaceId) {
  await page.goto(consoleUrl(t, `/w/${workspace}/audit${query ? `?${query}` : ''}`));
  await expect(page.getByTestId('audit-page')).toBeVisible();
  await expect(page.getByTestId('audit-list').or(page.getByTestId('audit-empty'))).toBeVisible();
}

/** The sequence numbers of the events the page lists, top to bottom. */
const shownSeqs = async (page: Page) =>
  (
    await page
      .getByTestId('audit-event')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-seq')))
  ).map(Number);

useConsoleServer(async (server) => {
  t = server;
  owner = await createUser(t, { name: 'Olivia Owner' });
  member = await createUser(t, { name: 'Milo Member' });
  workspaceId = await createWorkspace(owner, 'Acme Legal');
  await addMember(owner, workspaceId, member, ['member']);
  records.acme = await createRecord(owner, 'client', { name: 'Acme Ltd', status: 'lead' });
  records.acme = await patchRecord(owner, records.acme.id, { status: 'active' });
  records.beta = await createRecord(member, 'client', { name: 'Beta GmbH', status: 'lead' });
  records.ticket = await createRecord(owner, 'ticket', {
    subject: 'Printer on fire',
    priority: 'urgent',
    status: 'open',
  });
});

test('filters narrow the list, and the URL keeps them for a link or a reload', async ({ page }) => {
  const watch = watchPage(page);
  await signIn(page, t, owner);
  await openAudit(page);
  const everything = await auditOf('limit=100');
  await expect(page.getByTestId('audit-event')).toHaveCount(everything.length);
  // Who, what and to what, in words; member names rather than addresses.
  await expect(page.getByTestId('audit-event').first()).toContainText(
    'Olivia Owner created Ticket “Printer on fire”',
  );
  await expectAccessible(page);
  await screenshot(page, 'audit-log');

  // Who: a member picked from the list.
  await page.getByTestId('audit-filter-actor').selectOption({ label: `Milo Member (${member.email})` });
  await expect(page).toHaveURL(new RegExp(`actorId=${member.userId}`));
  const byMilo = await auditOf(`actorId=${member.userId}`);
  expect(byMilo.length).toBeGreaterThan(0);
  expect(byMilo.length).toBeLessThan(everything.length);
  await expect(page.getByTestId('audit-event')).toHaveCount(byMilo.length);
  for (const actor of await page.getByTestId('activity-actor').allTextContents())
    expect(actor).toBe('Milo Member');

  // The link is the view: a reload shows the same events and the same choice.
  await page.reload();
  await expect(page.getByTestId('audit-event')).toHaveCount(byMilo.length);
  await expect(page.getByTestId('audit-filter-actor')).toHaveValue(`id:${member.userId}`);

  // Action and record type, on top of who: the filters add up.
  await page.getByTestId('audit-filter-actor').selectOption('');
  await page.getByTestId('audit-filter-action').selectOption('record.create');
  await page.getByTestId('audit-filter-type').selectOption('client');
  await expect(page).toHaveURL(/action=record\.create/);
  await expect(page).toHaveURL(/entityType=client/);
  await expect(page).not.toHaveURL(/actorId=/);
  const createdClients = await auditOf('action=record.create&entityType=client');
  expect(createdClients.map((e) => e.target.id).sort()).toEqual([records.acme?.id, records.beta?.id].sort());
  await expect(page.getByTestId('audit-event')).toHaveCount(2);
  await expect(page.getByTestId('audit-event').filter({ hasText: 'Beta GmbH' })).toHaveCount(1);

  // One record's history, by its id.
  await page.getByTestId('audit-filter-clear').click();
  await expect(page.getByTestId('audit-event')).toHaveCount(everything.length);
  await page.getByTestId('audit-filter-record').fill(records.acme?.id ?? '');
  await page.getByTestId('audit-filter-apply').click();
  await expect(page).toHaveURL(new RegExp(`recordId=${records.acme?.id}`));
  await expect(page.getByTestId('audit-event')).toHaveCount(2);
  await expect(page.getByTestId('audit-event').nth(0)).toHaveAttribute('data-action', 'record.update');
  await expect(page.getByTestId('audit-event').nth(1)).toHaveAttribute('data-action', 'record.create');

  // A time range that holds nothing yet: the list says so and how to widen it.
  await page.getByTestId('audit-filter-clear').click();
  await page.getByTestId('audit-filter-from').fill('2099-01-01T00:00');
  await page.getByTestId('audit-filter-apply').click();
  await expect(page.getByTestId('audit-empty')).toContainText('No events match these filters');
  const from = new URL(page.url()).searchParams.get('from') ?? '';
  expect(new Date(from).getFullYear()).toBe(2099);
  expect(await auditOf(`from=${encodeURIComponent(from)}`)).toEqual([]);
  // …and a range around now holds everything.
  await page.getByTestId('audit-filter-from').fill('2000-01-01T00:00');
  await page.getByTestId('audit-filter-to').fill('2099-01-01T00:00');
  await page.getByTestId('audit-filter-apply').click();
  await expect(page).toHaveURL(/to=/);
  const to = new URL(page.url()).searchParams.get('to') ?? '';
  // "To" a minute means to the end of that minute.
  expect(new Date(to).getTime() - new Date(2099, 0, 1).getTime()).toBe(59_999);
  await expect(page.getByTestId('audit-event')).toHaveCount(everything.length);
  await expectAccessible(page);

  // A hand-edited link with a value the server refuses: said next to its field, nothing listed.
  await page.goto(consoleUrl(t, `/w/${workspaceId}/audit?recordId=${'x'.repeat(80)}`));
  await expect(page.getByTestId('audit-filters')).toContainText('A record id is at most 64 characters long.');
  await expect(page.getByTestId('audit-filter-record')).toHaveAttribute('aria-invalid', 'true');
  watch.check();
});

test('an update event opens to its changed field, old value → new value', async ({ page }) => {
  const watch = watchPage(page);
  await signIn(page, t, owner);
  await openAudit(page, `entityType=client&recordId=${records.acme?.id}`);
  const row = page.locator('[data-testid="audit-event"][data-action="record.update"]');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Olivia Owner edited Client “Acme Ltd”');
  await row.getByRole('button', { name: /edited Client/ }).click();
  const status = row.locator('.diff-table tr[data-field="status"]');
  await expect(status.locator('td.before')).toHaveText('Lead');
  await expect(status.locator('td.after')).toHaveText('Active');
  // Only what changed: the name stayed, so it is not a row of the diff.
  await expect(row.locator('.diff-table tr[data-field="name"]')).toHaveCount(0);
  const [event] = await auditOf(`entityType=client&recordId=${records.acme?.id}&action=record.update`);
  await expect(row).toContainText(`Event #${event?.seq}`);
  await expectAccessible(page);
  await screenshot(page, 'audit-diff');
  watch.check();
});

test('Undo puts the old value back; undoing a change the record has moved on from is refused in the server’s words', async ({
  page,
}) => {
  const watch = watchPage(page);
  const record = await createRecord(owner, 'client', { name: 'Undo Corp', status: 'lead' });
  await patchRecord(owner, record.id, { name: 'Undo Corporation' });
  await signIn(page, t, owner);
  await openAudit(page, `entityType=client&recordId=${record.id}`);
  const update = page.locator('[data-testid="audit-event"][data-action="record.update"]');
  await expect(update).toHaveCount(1);
  const updateSeq = await update.getAttribute('data-seq');

  await update.getByTestId('audit-undo').click();
  await expect(update.getByTestId('audit-undo-done')).toContainText('Undone');
  // The server holds the old value again, and the undo is the newest event of the record.
  const after = await owner.get<WorkspaceRecord>(api(`/records/${record.id}`));
  expect(after.body.data.name).toBe('Undo Corp');
  await expect(page.getByTestId('audit-event').first()).toHaveAttribute('data-action', 'record.revert');
  await expect(page.getByTestId('audit-event').first()).toContainText('undid a change to Client “Undo Corp”');

  // Later (another visit), the same event again: the record has moved on since, so the server refuses.
  await page.reload();
  const again = page.locator(`[data-testid="audit-event"][data-seq="${updateSeq}"]`);
  await again.getByTestId('audit-undo').click();
  const refusal = again.getByTestId('audit-undo-error');
  await expect(refusal).toHaveAttribute('data-code', 'conflict');
  await expect(refusal).toContainText(
    'The record has changed since this event; undo the later changes first',
  );
  const still = await owner.get<WorkspaceRecord>(api(`/records/${record.id}`));
  expect(still.body.data.name).toBe('Undo Corp');
  expect(still.body.rev).toBe(after.body.rev);
  await expectAccessible(page);
  await screenshot(page, 'audit-undo-refused');
  watch.check();
});

test('Verify chain says in words that the log is intact, and a downloaded receipt checks out', async ({
  page,
}) => {
  const watch = watchPage(page);
  await signIn(page, t, owner);
  await openAudit(page);

  // The receipt checkpoints the chain now, so the check below has a signed checkpoint to name.
  const download = page.waitForEvent('download');
  await page.getByTestId('audit-receipt').click();
  const receiptPath = await (await download).path();
  const receipt = JSON.parse(readFileSync(receiptPath, 'utf8')) as { format: string; seq: number };
  expect(receipt.format).toBe('enclave-audit-receipt/1');

  await page.getByTestId('audit-verify').click();
  const result = page.getByTestId('audit-verify-result');
  await expect(result).toHaveAttribute('data-ok', 'true');
  const verified = (await owner.get<AuditVerifyResult>(api('/audit/verify'))).body;
  expect(verified.ok).toBe(true);
  await expect(result).toContainText(
    `The log is intact: ${verified.checked.toLocaleString('en-US')} events checked, last signed checkpoint at #${receipt.seq.toLocaleString('en-US')}`,
  );
  await expectAccessible(page);
  await screenshot(page, 'audit-verified');

  // Checked against the receipt kept outside the server.
  await page.getByTestId('audit-receipt-file').setInputFiles(receiptPath);
  await expect(result).toContainText(`matches your receipt at #${receipt.seq.toLocaleString('en-US')}`);
  // A file that is not a receipt is named as such, and nothing is sent.
  await page.getByTestId('audit-receipt-file').setInputFiles({
    name: 'notes.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"hello":"world"}'),
  });
  await expect(page.getByTestId('audit-receipt-problem')).toHaveText(
    'notes.json is not an Enclave audit receipt.',
  );
  watch.check();
});

test('the export link downloads JSONL of the current filter, line for line the events; the export is itself audited', async ({
  page,
}) => {
  const watch = watchPage(page);
  await signIn(page, t, owner);
  await openAudit(page, 'entityType=client');
  await expect(page.getByTestId('audit-tools')).toContainText('rate-limited');
  await expect(page.getByText('each export is itself recorded in this log')).toBeVisible();
  const href = await page.getByTestId('audit-export-jsonl').getAttribute('href');
  expect(href).toBe(`${api('/audit/export')}?entityType=client&format=jsonl`);

  const download = page.waitForEvent('download');
  await page.getByTestId('audit-export-jsonl').click();
  const file = await (await download).path();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const exported = lines.map((line) => JSON.parse(line) as AuditEvent);
  // Oldest first, exactly the events the filter lists.
  const expected = (await auditOf('entityType=client&limit=500')).reverse();
  expect(exported.map((e) => e.id)).toEqual(expected.map((e) => e.id));
  expect(exported[0]).toEqual(expected[0]);
  expect(exported.every((e) => e.target.entityType === 'client')).toBe(true);

  // The server recorded the export, with its filter.
  const [recorded] = await auditOf('action=audit.exported');
  expect(recorded?.actor.id).toBe(owner.userId);
  expect(recorded?.details).toMatchObject({ format: 'jsonl', filter: { entityType: 'client' } });
  watch.check();
});

test('a change made elsewhere appears at the top while the page is open, without a reload', async ({
  page,
}) => {
  const watch = watchPage(page);
  await signIn(page, t, owner);
  await openAudit(page);
  await expect(page.getByTestId('audit-live')).toHaveAttribute('data-state', 'live');
  // A mark on the window: a reload would lose it.
  await page.evaluate(() => Object.assign(window, { stillTheSamePage: true }));

  const changed = await patchRecord(member, records.beta?.id ?? '', { status: 'active' });
  const top = page.getByTestId('audit-event').first();
  await expect(top).toHaveAttribute('data-action', 'record.update');
  await expect(top).toContainText('Milo Member edited Client “Beta GmbH”');
  const [latest] = await auditOf('limit=1');
  await expect(top).toHaveAttribute('data-seq', String(latest?.seq));
  expect(changed.rev).toBe(2);
  expect(await page.evaluate(() => (window as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);

  // A live event that the filter does not take stays out of a filtered view.
  await page.getByTestId('audit-filter-type').selectOption('ticket');
  await expect(page.getByTestId('audit-event')).toHaveCount(1);
  await patchRecord(member, records.beta?.id ?? '', { status: 'inactive' });
  await patchRecord(owner, records.ticket?.id ?? '', { status: 'pending' });
  // The ticket's event came after the client's on the same channel: once it shows, the client's
  // was seen and left out.
  await expect(page.getByTestId('audit-event').first()).toContainText('Olivia Owner edited Ticket');
  await expect(page.getByTestId('audit-event')).toHaveCount(2);
  watch.check();
});

test('a member who may not read the log is told who can, and shown no event', async ({ page }) => {
  const watch = watchPage(page);
  const refused = await member.get(api('/audit'));
  expect(refused.status).toBe(403);
  await signIn(page, t, member);
  await page.goto(consoleUrl(t, `/w/${workspaceId}/audit`));
  await expect(page.getByTestId('audit-forbidden')).toContainText(
    'Only owners and admins can read the audit log',
  );
  await expect(page.getByTestId('audit-event')).toHaveCount(0);
  await expect(page.getByTestId('audit-export-jsonl')).toHaveCount(0);
  await expectAccessible(page);
  watch.check();
});

test('over 100,000 events: the newest 100 first, then 100 older, never more than a page per request', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const watch = watchPage(page);
  const big = await createWorkspace(owner, 'Big Archive', 'empty');
  const schema = await owner.put(`/api/v1/workspaces/${big}/schema/entity-types/entry`, {
    key: 'entry',
    label: 'Entry',
    pluralLabel: 'Entries',
    titleField: 'title',
    fields: [
      { key: 'title', label: 'Title', type: 'text', required: true, indexed: false, sensitivity: 'normal' },
    ],
  });
  expect(schema.status, schema.text).toBe(200);

  // Seeded through the command engine in this process, as the HTTP routes would write: each
  // record.create is validated, authorised, committed with its audit event (chained and hashed)
  // and published, 1,000 to a transaction. On a 2-core machine this took 15 s, and up to a minute
  // while other suites ran beside it; the time it took is attached to the test's report.
  const ctx: OperationContext = {
    workspaceId: big,
    actor: { kind: 'user', id: owner.userId, label: owner.email },
    principal: { userId: owner.userId, email: owner.email, name: 'Olivia Owner' },
    request: { ip: '127.0.0.1', userAgent: 'audit.spec seeding', requestId: null },
  };
  const TOTAL = 100_000;
  const BATCH = 1_000;
  const started = performance.now();
  for (let done = 0; done < TOTAL; done += BATCH) {
    await t.server.deps.engine.executeBatch(
      ctx,
      Array.from({ length: BATCH }, (_, i) => ({
        type: 'record.create',
        entityType: 'entry',
        data: { title: `Entry ${done + i + 1}` },
      })),
    );
    // The store answers without real I/O waits, so without this the loop would starve the
    // server's sockets and timers for the whole seeding.
    await yieldToEventLoop();
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  test.info().annotations.push({ type: 'seeding', description: `${TOTAL} events in ${seconds} s` });

  const head = (await owner.get<AuditPage>(`/api/v1/workspaces/${big}/audit?limit=1`)).body.items[0];
  expect(head?.seq).toBeGreaterThan(TOTAL);

  const asked: URL[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname === `/api/v1/workspaces/${big}/audit`) asked.push(url);
  });
  await signIn(page, t, owner);
  await openAudit(page, '', big);
  await expect(page.getByTestId('audit-event')).toHaveCount(100);
  const first = await shownSeqs(page);
  expect(first[0]).toBe(head?.seq);
  expect(first.at(-1)).toBe((head?.seq ?? 0) - 99);
  await expect(page.getByTestId('audit-event').first()).toContainText(`created Entry “Entry ${TOTAL}”`);
  await screenshot(page, 'audit-paging');

  await page.getByTestId('audit-older').click();
  await expect(page.getByTestId('audit-event')).toHaveCount(200);
  const both = await shownSeqs(page);
  expect(both.slice(100)).toEqual(Array.from({ length: 100 }, (_, i) => (head?.seq ?? 0) - 100 - i));

  // Every request is for one page. The newest page is asked for when the page opens, and may be
  // asked for once more when the live channel says hello after it came (what happened in between);
  // "Older events" asks for the page before the oldest event shown, and nothing else is loaded.
  const asks = asked.map((url) => Object.fromEntries(url.searchParams));
  expect(asks.every((ask) => ask.limit === '100')).toBe(true);
  expect(asks.filter((ask) => ask.before !== undefined)).toEqual([
    { limit: '100', before: String(first.at(-1)) },
  ]);
  expect(asks.filter((ask) => ask.before === undefined).length).toBeLessThanOrEqual(2);
  expect(asks.every((ask) => Object.keys(ask).every((key) => key === 'limit' || key === 'before'))).toBe(
    true,
  );
  await expectAccessible(page);
  watch.check();
});
