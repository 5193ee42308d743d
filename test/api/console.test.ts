import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../server/src/http/console';
import { buildConsole, consoleBuildState } from '../../server/src/startup/console-build';
import { startTestServer, type TestServer } from '../../server/src/test-support/test-server';

let t: TestServer;

beforeAll(async () => {
  // npm test builds the console before the suites; run alone, this file builds it itself.
  if (consoleBuildState() !== 'built') await buildConsole();
  t = await startTestServer();
}, 120_000);

afterAll(async () => {
  await t.close();
});

const get = (path: string) => fetch(`${t.url}${path}`, { redirect: 'manual' });

describe('the web console as the server serves it', () => {
  it('answers every console path with the same page, never cached, under the strict CSP', async () => {
    const root = await get('/console/');
    const deep = await get('/console/w/0190a0b0-0000-7000-8000-000000000000/devices?x=1');
    expect(root.status).toBe(200);
    expect(deep.status).toBe(200);
    const html = await root.text();
    expect(await deep.text()).toBe(html);
    expect(root.headers.get('content-type')).toMatch(/^text\/html/);
    expect(root.headers.get('cache-control')).toBe('no-store');
    const csp = root.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    // No inline script: every <script> element loads a file.
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [tag, body] of scripts) {
      expect(tag).toMatch(/\ssrc="\/console\/assets\/[^"]+"/);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/);
  });

  it('serves the hashed assets as immutable, and nothing outside them', async () => {
    const html = await (await get('/console/')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      // A content hash in every name: a changed file gets a new name, so caching forever is safe.
      expect(asset).toMatch(/-[A-Za-z0-9_-]{8,}\.(js|css)$/);
      const res = await get(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
    }
    for (const probe of [
      '/console/assets/no-such-file.js',
      '/console/assets/..%2f..%2fpackage.json',
      '/console/assets/%2e%2e/%2e%2e/vite.config.ts',
      '/console/assets/',
    ]) {
      const res = await get(probe);
      expect(res.status, probe).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('sends the paths of older links to the same console page, query string and all', async () => {
    for (const page of ['setup', 'verify-email', 'invite', 'reset-password']) {
      const res = await get(`/${page}?token=abc_DEF-123&workspace=w1`);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`/console/${page}?token=abc_DEF-123&workspace=w1`);
    }
    const home = await get('/');
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/console/');
  });

  it('links in mail and the setup link point into the console', () => {
    expect(t.server.setupLink).toMatch(new RegExp(`^${t.url}/console/setup\\?token=[A-Za-z0-9_-]+$`));
  });
});

describe('a server whose console is not built', () => {
  let server: Server;
  let url: string;
  const empty = mkdtempSync(join(tmpdir(), 'enclave-no-console-'));
  beforeAll(async () => {
    const app = express();
    app.use(consoleRoutes(empty));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(empty, { recursive: true, force: true });
  });

  it('says so in a page, with what to run, instead of a blank one', async () => {
    const res = await fetch(`${url}/console/devices`);
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain('The web console is not built');
    expect(html).toContain('npm run build:console');
    expect(html).not.toMatch(/<script/);
  });
});
