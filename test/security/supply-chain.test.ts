import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface Run {
  code: number;
  output: string;
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

function git(cwd: string, ...args: string[]): Promise<Run> {
  return run('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=CI', ...args], cwd);
}

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-supply-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('the committed-secret scan (.ci/scan-secrets)', () => {
  const scan = (cwd: string) => run('bash', [join(ROOT, '.ci/scan-secrets')], cwd);

  it('fails on a repository with a private key or a token committed in it, naming them', async () => {
    const repo = tempDir();
    await git(repo, 'init', '-q');
    writeFileSync(join(repo, 'README.md'), 'Nothing to see here.\n');
    const clean = await scan(repo);
    // Made here, not written in this file: the test must not be a committed secret itself.
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    writeFileSync(join(repo, 'deploy.pem'), key);
    writeFileSync(
      join(repo, 'config.js'),
      `export const token = 'ghp_${randomBytes(18).toString('hex')}';\n`,
    );
    await git(repo, 'add', '.');
    expect((await git(repo, 'commit', '-q', '-m', 'oops')).code).toBe(0);

    const found = await scan(repo);
    expect(found.code, found.output).not.toBe(0);
    expect(found.output).toMatch(/deploy\.pem.*PrivateKey/);
    expect(found.output).toMatch(/config\.js.*GitHub/i);
    // Secrets are masked in the report.
    expect(found.output).not.toContain(key.toString().split('\n')[1]);
    expect(clean.code, clean.output).toBe(0);
  });

  it('passes on this repository, whose look-alike fixtures are allowed one by one', async () => {
    const ours = await scan(ROOT);
    expect(ours.code, ours.output).toBe(0);
    expect(ours.output).toMatch(/tracked files, nothing found/);
  });
});

/**
 * A registry on 127.0.0.1 that answers npm's bulk advisory request with the advisories given,
 * for whichever of their packages npm says are installed.
 */
async function advisoryRegistry(
  advisories: Record<string, { id: string; severity: string }[]> | 'no-audit-service',
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url?.startsWith('/-/npm/v1/security/advisories/bulk') && advisories !== 'no-audit-service') {
        const body = Buffer.concat(chunks);
        const installed = JSON.parse(
          (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8'),
        ) as Record<string, string[]>;
        const answer = Object.fromEntries(
          Object.entries(advisories)
            .filter(([name]) => name in installed)
            .map(([name, list]) => [
              name,
              list.map((a) => ({
                // npm caches what it works out per advisory number: one number per advisory.
                id: parseInt(createHash('sha256').update(a.id).digest('hex').slice(0, 8), 16),
                url: `https://github.com/advisories/${a.id}`,
                title: `Test advisory ${a.id}`,
                severity: a.severity,
                vulnerable_versions: '<1000.0.0',
                cwe: [],
                cvss: { score: 0, vectorString: null },
              })),
            ]),
        );
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer));
        return;
      }
      // Like a read-only mirror: no audit service, and no package documents for npm's fix hints.
      res.statusCode = req.method === 'POST' ? 405 : 404;
      res.end();
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

describe('the dependency audit (test/support/audit-dependencies.ts)', () => {
  const servers: Server[] = [];
  let allowlist: string;
  beforeAll(() => {
    allowlist = join(tempDir(), 'allowlist.json');
  });
  afterAll(() => {
    for (const server of servers) server.close();
  });

  async function audit(
    advisories: Parameters<typeof advisoryRegistry>[0],
    allowed: { id: string; package: string; reason: string }[] = [],
  ): Promise<Run> {
    const registry = await advisoryRegistry(advisories);
    servers.push(registry.server);
    writeFileSync(allowlist, JSON.stringify({ advisories: allowed }));
    const tsx = join(ROOT, 'node_modules/.bin/tsx');
    const script = join(ROOT, 'test/support/audit-dependencies.ts');
    // A cache of its own, so that no answer of an earlier run (or of the real registry) is reused.
    const env = { ...process.env, npm_config_cache: join(tempDir(), 'npm-cache') };
    return run(tsx, [script, '--registry', registry.url, '--allowlist', allowlist], ROOT, env);
  }

  it('fails on a high or a critical advisory in a production or a development dependency', async () => {
    const high = await audit({ express: [{ id: 'GHSA-test-high-0001', severity: 'high' }] });
    expect(high.code, high.output).toBe(1);
    expect(high.output).toMatch(/high GHSA-test-high-0001 in express/);
    const critical = await audit({ vitest: [{ id: 'GHSA-test-crit-0002', severity: 'critical' }] });
    expect(critical.code, critical.output).toBe(1);
    expect(critical.output).toMatch(/critical GHSA-test-crit-0002 in vitest/);
  }, 120_000);

  it('passes on moderate advisories, and on a high one allowed with its reason', async () => {
    const moderate = await audit({ express: [{ id: 'GHSA-test-mod-0003', severity: 'moderate' }] });
    expect(moderate.code, moderate.output).toBe(0);
    expect(moderate.output).toMatch(/no high or critical advisory outside the allowlist \(1 advisories/);
    const reason = 'Only the packaging step runs it, on our own files.';
    const allowed = await audit({ vitest: [{ id: 'GHSA-test-high-0004', severity: 'high' }] }, [
      { id: 'GHSA-test-high-0004', package: 'vitest', reason },
    ]);
    expect(allowed.code, allowed.output).toBe(0);
    expect(allowed.output).toContain(`allowed high GHSA-test-high-0004 in vitest: ${reason}`);
  }, 120_000);

  it('refuses an allowlist entry without a reason', async () => {
    const result = await audit({}, [{ id: 'GHSA-test-high-0005', package: 'vitest', reason: ' ' }]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/needs a non-empty "reason"/);
  }, 120_000);

  it('says "not checked", not "passed", when the registry has no audit service', async () => {
    const result = await audit('no-audit-service');
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(
      /NOT CHECKED: the registry has no advisory service here \(405 Method Not Allowed/,
    );
    expect(result.output).not.toMatch(/no high or critical advisory/);
  }, 120_000);
});
