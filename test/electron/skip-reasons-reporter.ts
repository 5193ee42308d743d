import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/**
 * Prints why tests were skipped (Playwright's `list` reporter shows that they were, not why): a
 * run without an Electron binary must say so, not read as a quiet success.
 */
export default class SkipReasonsReporter implements Reporter {
  private readonly skipped = new Map<string, number>();

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== 'skipped') return;
    const reasons = test.annotations.filter(
      (annotation) => annotation.type === 'skip' && annotation.description,
    );
    for (const reason of reasons.length > 0
      ? reasons.map((annotation) => annotation.description ?? '')
      : ['no reason given']) {
      this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
    }
  }

  onEnd(): void {
    for (const [reason, count] of this.skipped) console.log(`\n  SKIPPED ${count} test(s): ${reason}`);
  }

  printsToStdio(): boolean {
    return true;
  }
}
