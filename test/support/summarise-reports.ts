// Prints one line for CI: how many tests passed, failed and were skipped across the JSON reports
// of Vitest (vitest.json) and Playwright (e2e.json, electron.json) in the given folder. A suite
// whose report is missing did not run (an earlier step failed), and is named as such.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

interface PlaywrightReport {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
}

const dir = process.argv[2] ?? '.';
const totals = { passed: 0, failed: 0, skipped: 0 };
const notRun: string[] = [];

function read(name: string): unknown {
  const path = join(dir, `${name}.json`);
  if (!existsSync(path)) {
    notRun.push(name);
    return null;
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

const vitest = read('vitest') as VitestReport | null;
if (vitest) {
  totals.passed += vitest.numPassedTests;
  totals.failed += vitest.numFailedTests;
  totals.skipped += vitest.numPendingTests + vitest.numTodoTests;
}
for (const name of ['e2e', 'electron']) {
  const report = read(name) as PlaywrightReport | null;
  if (!report) continue;
  totals.passed += report.stats.expected;
  totals.failed += report.stats.unexpected + report.stats.flaky;
  totals.skipped += report.stats.skipped;
}
const missing = notRun.length > 0 ? ` (did not run: ${notRun.join(', ')})` : '';
console.log(
  `${String(totals.passed)} passed, ${String(totals.failed)} failed, ${String(totals.skipped)} skipped${missing}`,
);
