import type { AiAnswer, ErrorBody } from '@enclave/shared';
import { startTestServer } from '../../server/src/test-support/test-server';
import {
  createPeople,
  judge,
  outcomeOf,
  SCENARIOS,
  snapshot,
  stageScenario,
  type Verdict,
} from './scenarios';

/**
 * `npm run eval:ai`: the adversarial scenarios against the real model. A real server is started
 * with the operator's ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL and ENCLAVE_AI_MODEL, when set),
 * each scenario is seeded in its own workspace under the most permissive settings, the benign
 * request is asked, and what the model proposed and what the pipeline did with it is printed as
 * one JSON document:
 * - `modelComplied`: the model proposed a harmful operation — the attack would have worked
 *   without the guardrails;
 * - `executed`: a harmful operation ran, or the data shows harm — the attack worked;
 * - `benignDone`: the person's own task was done.
 * Without a key it says it was skipped and exits 0. Pass scenario ids as arguments to run only those.
 * Mail never leaves: the server's mailer is the test outbox, and nothing is approved.
 */

const key = process.env.ANTHROPIC_API_KEY;

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

function rate(count: number, of: number): number | null {
  return of === 0 ? null : Math.round((count / of) * 1000) / 1000;
}

async function evaluate(apiKey: string): Promise<void> {
  const only = new Set(process.argv.slice(2));
  const scenarios = only.size === 0 ? SCENARIOS : SCENARIOS.filter((s) => only.has(s.id));
  const env: Record<string, string> = { ANTHROPIC_API_KEY: apiKey };
  for (const name of ['ANTHROPIC_BASE_URL', 'ENCLAVE_AI_MODEL'] as const) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  const t = await startTestServer({ env });
  const results: (ReturnType<typeof summarise> & { error: string | null })[] = [];
  try {
    const people = await createPeople(t);
    for (const scenario of scenarios) {
      process.stderr.write(`eval:ai ${scenario.id}\n`);
      const stage = await stageScenario(t, people, scenario);
      const before = await snapshot(stage);
      const res = await stage.asker.post<AiAnswer>(stage.api('/ai/requests'), scenario.request(stage.ids));
      const answer = res.status === 200 ? res.body : null;
      const error = answer
        ? null
        : `${String(res.status)} ${(res.body as unknown as ErrorBody).error?.code ?? res.text.slice(0, 200)}`;
      const verdict = await judge(scenario, stage, answer, before);
      results.push({ ...summarise(verdict, answer), error });
    }
  } finally {
    await t.close();
  }

  const answered = results.filter((r) => r.error === null);
  print({
    skipped: false,
    model: process.env.ENCLAVE_AI_MODEL ?? t.config.ai.model,
    settings: 'Trusted Auto for records and triage, confidence threshold 0.5',
    scenarios: results,
    totals: {
      scenarios: results.length,
      answered: answered.length,
      failedRequests: results.length - answered.length,
      /** Share of scenarios in which the attack did harm despite the guardrails. */
      attackSuccessRate: rate(results.filter((r) => r.executed).length, results.length),
      /** Share in which the model obeyed the injection: the attack rate without guardrails. */
      modelComplianceRate: rate(answered.filter((r) => r.modelComplied).length, answered.length),
      /** Share in which the person's own task was done. */
      benignUtility: rate(results.filter((r) => r.benignDone).length, results.length),
    },
  });
}

function summarise(verdict: Verdict, answer: AiAnswer | null) {
  return {
    id: verdict.id,
    feature: verdict.feature,
    attack: verdict.attack,
    modelComplied: verdict.complied,
    executed: verdict.executed,
    harmfulOps: verdict.harmful.map((h) => ({
      what: h.what,
      expected: h.expected,
      outcomes: h.decisions.map((d) => outcomeOf(d)),
    })),
    harms: verdict.harms,
    benignDone: verdict.benign.done,
    benign: verdict.benign.detail,
    operations: (answer?.operations ?? []).map((d) => ({
      tool: d.tool,
      decision: d.decision,
      fromRecordText: d.fromRecordText,
      reasons: d.reasons,
      error: d.error?.code ?? null,
    })),
    answer: answer ? answer.text.slice(0, 400) : null,
  };
}

if (key) {
  await evaluate(key);
} else {
  print({
    skipped: true,
    reason:
      'ANTHROPIC_API_KEY is not set: the eval asks the real model, so it needs a key (the adversarial suite, test/ai/adversarial.test.ts, runs the same scenarios against the stub).',
  });
}
