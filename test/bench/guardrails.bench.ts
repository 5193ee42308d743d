import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_AI_SETTINGS } from '@enclave/shared';
import { AiService } from '../../server/src/ai/ai-service';
import type { AiProvider } from '../../server/src/ai/provider';
import type { Mailer } from '../../server/src/auth/mailer';
import { ChangeFeed } from '../../server/src/engine/change-feed';
import { CommandEngine } from '../../server/src/engine/engine';
import type { WorkspaceAccess } from '../../server/src/http/workspace-access';
import { createLogger } from '../../server/src/logger';
import { EmbeddedStore } from '../../server/src/store/sqlite/embedded-store';
import { benchWorkspace } from './bench-support';

export interface GuardrailBenchResult {
  name: string;
  records: number;
  requests: number;
  pipelineP50Ms: number;
  pipelineP99Ms: number;
  /** The same operations run straight through the engine, without the AI pipeline. */
  engineP50Ms: number;
  engineP99Ms: number;
  method: string;
  target: string;
  meetsTarget: boolean;
}

const RECORDS = 10_000;
const REQUESTS = 300;
/** Requests run first and not counted, on both sides: what is measured is the steady state, not the JIT warming up. */
const WARM_UP = 30;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number).toFixed(2));
}

/**
 * The guardrail pipeline's own cost per request: switches, context (search of a 10,000-record
 * workspace), the prompt built and logged, plan parsing, validation by the engine, constitution,
 * risk, provenance, trust, the run of what may run and the filing of what waits, with their audit
 * events and the usage ledger. The model is an in-process provider that answers at once, so what
 * is measured is everything but the model's time. Beside it, the same two operations (a create
 * that runs, a proposal filed) committed straight through the engine.
 */
export async function benchGuardrails(): Promise<GuardrailBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-bench-ai-'));
  const store = new EmbeddedStore(dir, randomBytes(32));
  try {
    const engine = new CommandEngine(store, new ChangeFeed());
    const { workspaceId, ctx } = await benchWorkspace(store, engine);
    const ws = await store.workspace(workspaceId);
    if (!ws) throw new Error('no workspace');

    // 10,000 records: 2,500 clients, 5,000 invoices, 2,500 tickets.
    const clients: string[] = [];
    for (let i = 0; i < RECORDS / 4; i += 100) {
      const ops = Array.from({ length: 100 }, (_, j) => ({
        type: 'record.create',
        entityType: 'client',
        data: { name: `Client ${String(i + j)}`, status: 'active', email: `c${String(i + j)}@example.com` },
      }));
      for (const r of await engine.executeBatch(ctx, ops)) clients.push(r.record?.id ?? '');
    }
    const invoices: string[] = [];
    for (let i = 0; i < RECORDS / 2; i += 100) {
      const ops = Array.from({ length: 100 }, (_, j) => ({
        type: 'record.create',
        entityType: 'invoice',
        data: {
          number: `INV-${String(i + j).padStart(5, '0')}`,
          client: clients[(i + j) % clients.length],
          amount: 10_000 + i + j,
          issued_on: '2026-11-01',
          status: 'sent',
        },
      }));
      for (const r of await engine.executeBatch(ctx, ops)) invoices.push(r.record?.id ?? '');
    }
    for (let i = 0; i < RECORDS / 4; i += 100) {
      const ops = Array.from({ length: 100 }, (_, j) => ({
        type: 'record.create',
        entityType: 'ticket',
        data: {
          subject: `Question ${String(i + j)} about an order`,
          client: clients[(i + j) % clients.length],
          body: 'The parcel is late. '.repeat(5),
          priority: 'normal',
          status: 'open',
        },
      }));
      await engine.executeBatch(ctx, ops);
    }
    await engine.execute(ctx, {
      type: 'ai.putSettings',
      settings: {
        ...DEFAULT_AI_SETTINGS,
        enabled: true,
        trust: { records: 'trustedAuto', triage: 'trustedAuto' },
      },
    });

    let n = 0;
    const planFor = (k: number): Anthropic.Message =>
      ({
        id: `msg_${String(k)}`,
        type: 'message',
        role: 'assistant',
        model: 'bench',
        stop_reason: 'tool_use',
        stop_sequence: null,
        container: null,
        usage: { input_tokens: 1, output_tokens: 1 },
        content: [
          {
            type: 'tool_use',
            id: 'toolu_1',
            name: 'record_update',
            input: { id: invoices[(k + WARM_UP) % invoices.length], data: { status: 'paid' } },
          },
          {
            type: 'tool_use',
            id: 'toolu_2',
            name: 'record_create',
            input: {
              entityType: 'ticket',
              data: {
                subject: 'Late delivery',
                client: clients[(k + WARM_UP) % clients.length],
                priority: 'normal',
                status: 'open',
              },
            },
          },
          {
            type: 'tool_use',
            id: 'toolu_3',
            name: 'submit_plan',
            input: { answer: 'Done.', confidence: 0.95, rationale: 'As asked.', ruleIds: [] },
          },
        ],
      }) as unknown as Anthropic.Message;
    const provider: AiProvider = {
      configured: true,
      model: 'bench',
      complete: () => Promise.resolve(planFor(n)),
    };
    const quiet: Mailer = { kind: 'outbox', send: () => Promise.resolve() };
    const ai = new AiService({
      store,
      engine,
      provider,
      mailer: quiet,
      logger: createLogger('silent'),
      origin: () => '',
    });
    const perms = await engine.permissionsOf(ws, ctx.principal.userId);
    const member = await ws.getMember(ctx.principal.userId);
    if (!member) throw new Error('no member');
    const access: WorkspaceAccess = { ws, member, perms, ctx };

    const pipeline: number[] = [];
    const direct: number[] = [];
    for (n = -WARM_UP; n < REQUESTS; n++) {
      const counted = n >= 0;
      const k = n + WARM_UP;
      const number = `INV-${String(k % invoices.length).padStart(5, '0')}`;
      const start = performance.now();
      const answer = await ai.request(access, {
        feature: 'assistant',
        message: `mark ${number} paid and create a ticket for Client ${String(k % clients.length)} about the late delivery`,
      });
      if (counted) pipeline.push(performance.now() - start);
      if (answer.operations.length !== 2) throw new Error('the bench plan did not come back whole');

      // The same work without the pipeline: the create committed, the proposal filed.
      const t0 = performance.now();
      await engine.execute(ctx, {
        type: 'record.create',
        entityType: 'ticket',
        data: {
          subject: 'Late delivery',
          client: clients[k % clients.length],
          priority: 'normal',
          status: 'open',
        },
      });
      await engine.execute(ctx, {
        type: 'record.update',
        id: invoices[(k + 1) % invoices.length] ?? '',
        data: { status: 'sent' },
      });
      if (counted) direct.push(performance.now() - t0);
    }
    const p99 = percentile(pipeline, 0.99);
    return [
      {
        name: 'AI guardrail pipeline per request (model time excluded), 10,000-record workspace',
        records: RECORDS,
        requests: REQUESTS,
        pipelineP50Ms: percentile(pipeline, 0.5),
        pipelineP99Ms: p99,
        engineP50Ms: percentile(direct, 0.5),
        engineP99Ms: percentile(direct, 0.99),
        method:
          'AiService.request with an in-process provider that answers at once with a two-operation plan (an invoice marked paid: filed as a proposal; a ticket created: run in Trusted Auto), against two engine.execute calls of comparable writes; both on one encrypted workspace of 10,000 records, after 30 uncounted requests on each side, in a process of its own',
        target: 'pipeline p99 < 20 ms',
        meetsTarget: p99 < 20,
      },
    ];
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
