import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchEngine } from './engine.bench';
import { benchGuardrails } from './guardrails.bench';
import { benchHttp } from './http.bench';
import { benchReplica } from './replica.bench';
import { benchSync } from './sync.bench';

/**
 * `npm run bench`: every benchmark, each measured against its peer in the same run, printed as
 * one JSON document. Figures are rates on this machine; the ratios are what to compare.
 *
 * Each benchmark runs in a process of its own, so none pays for the heap another left behind
 * (the sync fixtures' 100,000 documents made the next benchmark's garbage collections longer).
 */
const BENCHES: Record<string, () => Promise<unknown[]>> = {
  engine: benchEngine,
  http: benchHttp,
  sync: benchSync,
  replica: benchReplica,
  guardrails: benchGuardrails,
};

const only = process.argv[2];
if (only !== undefined) {
  const bench = BENCHES[only];
  if (!bench) throw new Error(`no benchmark named ${only}`);
  process.stdout.write(JSON.stringify(await bench()) + '\n');
} else {
  const benchmarks: unknown[] = [];
  for (const name of Object.keys(BENCHES)) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), name], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (child.status !== 0) {
      process.stderr.write(`benchmark ${name} failed (exit ${String(child.status ?? child.signal)})\n`);
      process.exit(1);
    }
    benchmarks.push(...(JSON.parse(child.stdout) as unknown[]));
  }
  const results = {
    machine: { node: process.version, platform: process.platform, arch: process.arch },
    benchmarks,
  };
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}
