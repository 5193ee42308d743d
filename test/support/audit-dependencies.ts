// The dependency audit of CI: fails (exit 1) when an installed package, production or development,
// has a high or critical advisory that .ci/audit-allowlist.json does not name with a reason.
// Advisories come from the registry's audit service through `npm audit --json`; a registry without
// one (a mirror that answers only GET) is reported as "not checked", never as a pass.
// Usage: tsx test/support/audit-dependencies.ts [--allowlist FILE] [--registry URL]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BLOCKING = new Set(['high', 'critical']);

interface AllowedAdvisory {
  /** The advisory's GHSA id, as in its URL. */
  id: string;
  package: string;
  /** Why it cannot hurt us (a dev-only tool never given untrusted input, …) or when it goes. */
  reason: string;
}

interface Advisory {
  id: string;
  package: string;
  severity: string;
  title: string;
  url: string;
}

/** What `npm audit --json` prints (report version 2), as far as this script reads it. */
interface AuditReport {
  /** Set when the registry refused or failed the audit request; `message` then says how. */
  error?: { code?: string; summary?: string };
  message?: string;
  vulnerabilities?: Record<string, { via: (string | Record<string, unknown>)[] }>;
  metadata?: { dependencies?: { total?: number } };
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

function readAllowlist(path: string): AllowedAdvisory[] {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { advisories?: unknown };
  if (!Array.isArray(parsed.advisories)) throw new Error(`${path}: expected {"advisories": [...]}`);
  return parsed.advisories.map((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    for (const field of ['id', 'package', 'reason'] as const) {
      if (typeof e[field] !== 'string' || e[field].trim() === '')
        throw new Error(`${path}: advisories[${i}] needs a non-empty "${field}"`);
    }
    return { id: String(e.id), package: String(e.package), reason: String(e.reason) };
  });
}

/** The advisories themselves (not the packages that merely depend on an affected one). */
function advisoriesOf(report: AuditReport): Advisory[] {
  const found = new Map<string, Advisory>();
  for (const vulnerability of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vulnerability.via) {
      if (typeof via === 'string') continue;
      const url = typeof via.url === 'string' ? via.url : '';
      const advisory: Advisory = {
        id: url.split('/').pop() || String(via.source),
        package: String(via.name),
        severity: String(via.severity),
        title: String(via.title),
        url,
      };
      found.set(`${advisory.id} ${advisory.package}`, advisory);
    }
  }
  return [...found.values()];
}

function main(): number {
  const allowlistPath = resolve(option('--allowlist') ?? join(ROOT, '.ci/audit-allowlist.json'));
  const registry = option('--registry');
  const allowed = readAllowlist(allowlistPath);
  const args = ['audit', '--json', ...(registry ? ['--registry', registry] : [])];
  const run = spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let report: AuditReport;
  try {
    report = JSON.parse(run.stdout) as AuditReport;
  } catch {
    console.error(`dependency audit: npm audit printed no report (exit ${run.status}): ${run.stderr.trim()}`);
    return 2;
  }
  if (report.error) {
    const why = report.message || report.error.summary || report.error.code || 'no answer';
    console.log(`dependency audit: NOT CHECKED: the registry has no advisory service here (${why})`);
    return 0;
  }

  const advisories = advisoriesOf(report);
  const isAllowed = (a: Advisory) => allowed.some((x) => x.id === a.id && x.package === a.package);
  const blocking = advisories.filter((a) => BLOCKING.has(a.severity) && !isAllowed(a));
  for (const a of advisories.filter(isAllowed)) {
    const entry = allowed.find((x) => x.id === a.id && x.package === a.package);
    console.log(`dependency audit: allowed ${a.severity} ${a.id} in ${a.package}: ${entry?.reason}`);
  }
  for (const x of allowed.filter((x) => !advisories.some((a) => a.id === x.id && a.package === x.package))) {
    console.log(
      `dependency audit: ${x.id} in ${x.package} is no longer reported; remove it from the allowlist`,
    );
  }
  const total = report.metadata?.dependencies?.total ?? 0;
  if (blocking.length === 0) {
    console.log(
      `dependency audit: ${total} packages, no high or critical advisory outside the allowlist` +
        ` (${advisories.length} advisories in all)`,
    );
    return 0;
  }
  console.error(`dependency audit: ${blocking.length} high or critical advisories in ${total} packages:`);
  for (const a of blocking) console.error(`  ${a.severity} ${a.id} in ${a.package}: ${a.title} ${a.url}`);
  console.error(
    `Update the package, or allow the advisory in ${allowlistPath} with the reason it cannot hurt.`,
  );
  return 1;
}

process.exit(main());
