import { benchEngine } from './engine.bench';
import { benchGuardrails } from './guardrails.bench';
import { benchReplica } from './replica.bench';
import { benchSync } from './sync.bench';

/**
 * `npm run bench`: every benchmark, each measured against its peer in the same run, printed as
 * one JSON document. Figures are rates on this machine; the ratios are what to compare.
 */
const results = {
  machine: { node: process.version, platform: process.platform, arch: process.arch },
  benchmarks: [
    ...(await benchEngine()),
    ...(await benchSync()),
    ...(await benchReplica()),
    ...(await benchGuardrails()),
  ],
};
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
