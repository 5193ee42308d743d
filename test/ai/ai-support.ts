import type { AiAnswer, AiSettings, WorkspaceRecord } from '@enclave/shared';
import { DEFAULT_AI_SETTINGS } from '@enclave/shared';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';
import {
  startAnthropicStub,
  toolUseReply,
  type AnthropicStub,
  type StubMessageReply,
} from '../support/anthropic-stub';

/**
 * A real server whose model provider is the local Messages API stub, a workspace with AI on, and
 * helpers to script the model's plan. The stub plays whatever model a test needs — including
 * one that obeys every instruction it reads.
 */

export const STUB_KEY = 'sk-ant-test-key-never-anywhere-else-7f3a';

export interface AiWorld {
  t: TestServer;
  stub: AnthropicStub;
  owner: TestClient;
  workspaceId: string;
  api: (path?: string) => string;
  close: () => Promise<void>;
}

export async function startAiWorld(env: Record<string, string> = {}): Promise<AiWorld> {
  const stub = await startAnthropicStub();
  const t = await startTestServer({
    env: { ANTHROPIC_API_KEY: STUB_KEY, ANTHROPIC_BASE_URL: stub.url, ENCLAVE_AI_MAX_RETRIES: '0', ...env },
  });
  const owner = await createUser(t, { name: 'Olivia Owner' });
  const workspaceId = await createWorkspace(owner);
  return {
    t,
    stub,
    owner,
    workspaceId,
    api: (path = '') => `/api/v1/workspaces/${workspaceId}${path}`,
    close: async () => {
      await t.close();
      await stub.close();
    },
  };
}

/**
 * AI on. New-ticket triage is off unless a test asks for it: it makes a model call of its own for
 * each ticket created, which would take the replies a test scripted for its requests.
 */
export async function setAi(world: AiWorld, change: Partial<AiSettings> = {}): Promise<AiSettings> {
  const settings: AiSettings = { ...DEFAULT_AI_SETTINGS, enabled: true, triageNewTickets: false, ...change };
  const res = await world.owner.put(world.api('/ai/settings'), settings);
  if (res.status !== 200) throw new Error(`settings: ${res.status} ${res.text}`);
  return settings;
}

export async function createRecord(
  client: TestClient,
  world: AiWorld,
  type: string,
  data: Record<string, unknown>,
): Promise<WorkspaceRecord> {
  const res = await client.post<WorkspaceRecord>(world.api('/records'), { type, data });
  if (res.status !== 201) throw new Error(`create ${type}: ${res.status} ${res.text}`);
  return res.body;
}

export async function getRecord(world: AiWorld, id: string): Promise<WorkspaceRecord> {
  const res = await world.owner.get<WorkspaceRecord>(world.api(`/records/${id}`));
  if (res.status !== 200) throw new Error(`get ${id}: ${res.status}`);
  return res.body;
}

export interface PlanScript {
  operations?: { tool: string; input: Record<string, unknown> }[];
  answer?: string;
  confidence?: number;
  rationale?: string;
  ruleIds?: string[];
  citedRecordIds?: string[];
  citedEventIds?: string[];
}

/** The model's reply: operation tool calls, then submit_plan. */
export function planReply(plan: PlanScript): StubMessageReply {
  return toolUseReply([
    ...(plan.operations ?? []).map((o) => ({ name: o.tool, input: o.input })),
    {
      name: 'submit_plan',
      input: {
        answer: plan.answer ?? 'Done.',
        confidence: plan.confidence ?? 0.95,
        rationale: plan.rationale ?? 'As asked.',
        ruleIds: plan.ruleIds ?? [],
        citedRecordIds: plan.citedRecordIds ?? [],
        citedEventIds: plan.citedEventIds ?? [],
      },
    },
  ]);
}

export function ask(
  client: TestClient,
  world: AiWorld,
  body: Record<string, unknown>,
): Promise<TestResponse<AiAnswer>> {
  return client.post<AiAnswer>(world.api('/ai/requests'), body);
}

/** Everything the model was sent, as one text: what a leak test searches. */
export function sentToModel(stub: AnthropicStub): string {
  return stub.requests.map((r) => r.rawBody).join('\n');
}
