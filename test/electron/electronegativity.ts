/**
 * Electronegativity (Doyensec's Electron security linter) over the desktop app's sources: prints
 * every finding and exits non-zero on any of HIGH or CRITICAL severity, or on a file it could not
 * parse (a file it cannot read is a file it did not check). Run with `npm run check:electron`.
 *
 *   tsx test/electron/electronegativity.ts [path …]     (default: desktop/src)
 *
 * A finding on our code is either fixed or justified where it is, with an inline
 * `eng-disable <CHECK_ID>` comment saying why; there is no list of ignored checks here.
 *
 * It runs the package's programmatic entry point: its CLI cannot start (it requires `commander`
 * without depending on it). Two parts of it that go to the network are kept offline: translations
 * are read from the package itself instead of being downloaded, and the check that fetches
 * Electron's release list (to suggest upgrades) is left out.
 *
 * Its CSP check is replaced by a stricter one. Electronegativity recognises a CSP only in two
 * literal code shapes (a `responseHeaders` callback, an HTML `<meta>`), so it reports "no CSP"
 * for ours, which is one constant (`RENDERER_CSP`) served as a header by the app protocol and
 * written into the built page's `<meta>` by Vite (the build checks it is there). That constant is
 * evaluated here with the same evaluator Electronegativity uses, and a policy it finds weak —
 * any finding from HIGH to HIGH_MAYBE — fails the check (Electronegativity itself would only
 * rate it LOW).
 */
import { Module, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { RENDERER_CSP } from '../../desktop/src/common/csp';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '..', '..');

/**
 * Left out: the check that fetches Electron's release list (network), and the CSP check, which
 * cannot see our policy and is replaced by `cspFindings` below.
 */
const EXCLUDED_CHECKS = ['availablesecurityfixesglobalcheck', 'cspglobalcheck'];
const FAILING_SEVERITIES = new Set(['HIGH', 'CRITICAL']);

const Finding = z.object({
  id: z.string(),
  file: z.string(),
  location: z.object({ line: z.number(), column: z.number() }),
  severity: z.object({ name: z.string(), value: z.number() }),
  confidence: z.object({ name: z.string() }),
  description: z.string(),
  manualReview: z.boolean().optional(),
});
export type Finding = z.infer<typeof Finding>;

const ScanOutput = z.object({
  globalChecks: z.number(),
  atomicChecks: z.number(),
  errors: z.array(z.object({ file: z.string(), message: z.string(), tolerable: z.boolean() })),
  issues: z.array(Finding),
});
export type ScanResult = z.infer<typeof ScanOutput>;

interface RunOptions {
  input: string;
  customScan: string[];
  excludeFromScan: string[];
  electronVersionOverride: string;
  parserPlugins: string[];
  isRelative: boolean;
}
type Run = (options: RunOptions) => Promise<unknown>;

let loaded: Run | undefined;

/**
 * Loads Electronegativity with its translations read from its own package. Its i18n module would
 * fetch the current locale's strings from an S3 bucket on every run; the module is replaced in
 * the require cache by one that configures `i18n` the same way, from the bundled en-US file.
 */
function electronegativity(): Run {
  if (loaded) return loaded;
  const i18nModulePath = require.resolve('@doyensec/electronegativity/dist/locales/i18n.js');
  const i18n = createRequire(i18nModulePath)('i18n') as {
    configure(options: Record<string, unknown>): void;
    setLocale(locale: string): void;
  };
  const offline = new Module(i18nModulePath);
  offline.filename = i18nModulePath;
  offline.loaded = true;
  offline.exports = async () => {
    i18n.configure({
      locales: ['en-US'],
      defaultLocale: 'en-US',
      directory: dirname(i18nModulePath),
      updateFiles: false,
      objectNotation: true,
      retryInDefaultLocale: true,
      register: globalThis,
    });
    i18n.setLocale('en-US');
  };
  require.cache[i18nModulePath] = offline;
  loaded = require('@doyensec/electronegativity') as Run;
  return loaded;
}

/** Scans a file or folder; the Electron version is the installed one (45), not a guess from a lockfile. */
export async function scanElectron(input: string): Promise<ScanResult> {
  const electronVersion = (require('electron/package.json') as { version: string }).version;
  const output = await electronegativity()({
    input: resolve(input),
    customScan: [],
    excludeFromScan: EXCLUDED_CHECKS,
    electronVersionOverride: electronVersion,
    parserPlugins: [],
    isRelative: false,
  });
  return ScanOutput.parse(output);
}

interface CspEvaluatorModule {
  CspParser: new (policy: string) => { csp: unknown };
  CspEvaluator: new (csp: unknown, version: number) => { evaluate(): unknown[] };
  Version: { CSP3: number };
  severities: Record<string, number>;
}

const CspFinding = z.object({ severity: z.number(), description: z.string(), directive: z.string() });
export interface CspResult {
  /** HIGH, SYNTAX, MEDIUM and HIGH_MAYBE findings: a weak policy. */
  weak: string[];
  /** The rest (MEDIUM_MAYBE, INFO): printed for review. */
  notes: string[];
}

/** Google's CSP evaluator (Electronegativity's own copy) on a policy. */
export function cspFindings(policy: string): CspResult {
  const fromScanner = createRequire(require.resolve('@doyensec/electronegativity/package.json'));
  const csp = fromScanner('@doyensec/csp-evaluator') as CspEvaluatorModule;
  const findings = z
    .array(CspFinding)
    .parse(new csp.CspEvaluator(new csp.CspParser(policy).csp, csp.Version.CSP3).evaluate());
  const names = Object.fromEntries(Object.entries(csp.severities).map(([name, value]) => [value, name]));
  const threshold = csp.severities.HIGH_MAYBE ?? 40;
  const describe = (finding: z.infer<typeof CspFinding>) =>
    `${names[finding.severity] ?? finding.severity} ${finding.directive}: ${finding.description}`;
  return {
    weak: findings.filter((finding) => finding.severity <= threshold).map(describe),
    notes: findings.filter((finding) => finding.severity > threshold).map(describe),
  };
}

/** What fails the check: HIGH or CRITICAL findings, and files that could not be parsed. */
export function failuresOf(result: ScanResult): { findings: Finding[]; unparsed: string[] } {
  return {
    findings: result.issues.filter((issue) => FAILING_SEVERITIES.has(issue.severity.name)),
    unparsed: result.errors
      .filter((error) => !error.tolerable)
      .map((error) => `${error.file}: ${error.message}`),
  };
}

export function formatFinding(finding: Finding, baseDir: string): string {
  const where =
    finding.file === 'N/A'
      ? '(whole app)'
      : `${relative(baseDir, finding.file)}:${finding.location.line}:${finding.location.column}`;
  const review = finding.manualReview ? ' [manual review]' : '';
  return `${finding.severity.name.padEnd(13)} ${finding.confidence.name.padEnd(9)} ${finding.id}${review}\n    ${where}\n    ${finding.description}`;
}

async function main(): Promise<void> {
  const inputs = process.argv.slice(2);
  const targets = inputs.length > 0 ? inputs : [join(root, 'desktop', 'src')];
  let failed = false;
  for (const target of targets) {
    const result = await scanElectron(target);
    const { findings, unparsed } = failuresOf(result);
    console.log(
      `Electronegativity on ${relative(process.cwd(), resolve(target)) || '.'}: ` +
        `${result.atomicChecks + result.globalChecks} checks, ${result.issues.length} finding(s)`,
    );
    for (const issue of result.issues) console.log(formatFinding(issue, process.cwd()));
    for (const error of result.errors) {
      console.log(
        `${error.tolerable ? 'parse warning' : 'PARSE ERROR'}: ${relative(process.cwd(), error.file)}: ${error.message}`,
      );
    }
    if (findings.length > 0 || unparsed.length > 0) {
      failed = true;
      console.error(
        `FAILED: ${findings.length} finding(s) of HIGH or CRITICAL severity, ${unparsed.length} file(s) not parsed`,
      );
    }
  }

  const policy = cspFindings(RENDERER_CSP);
  console.log(`CSP (RENDERER_CSP, desktop/src/common/csp.ts): ${policy.weak.length} weakness(es)`);
  for (const line of policy.weak) console.log(`  WEAK  ${line}`);
  // 'self' is flagged because a site's own origin may host JSONP or user uploads; app://enclave
  // serves the built renderer files and nothing else (resolveAppFile).
  for (const line of policy.notes) console.log(`  note  ${line}`);
  if (policy.weak.length > 0) {
    failed = true;
    console.error('FAILED: the renderer CSP is weak');
  }

  if (!failed) console.log('OK: no finding of HIGH or CRITICAL severity, and a strict CSP');
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  });
}
