import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/src/test-support/test-server';

/** Behind a TLS-terminating proxy the public URL is https: then, and only then, HSTS is sent. */
describe('headers when served over TLS', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_PUBLIC_URL: 'https://enclave.example.com' } });
  });
  afterAll(() => t.close());

  it('sends HSTS for two years, with subdomains and preload, and lets the CSP upgrade insecure requests', async () => {
    const res = await t.client().get('/healthz');
    // 63,072,000 s = 2 × 365 days, the least the browsers' preload list accepts with `preload`.
    expect(res.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains; preload');
    expect(res.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });

  it('checks Origin against the public URL, not the address it listens on', async () => {
    const local = t.client();
    const fromListenAddress = await local.post<{ error: { code: string } }>('/api/v1/auth/signin', {
      email: 'a@example.com',
      password: 'whatever password',
    });
    expect(fromListenAddress.status).toBe(403);
    expect(fromListenAddress.body.error.code).toBe('origin_mismatch');
    local.origin = 'https://enclave.example.com';
    const fromPublic = await local.post('/api/v1/auth/signin', {
      email: 'a@example.com',
      password: 'whatever password',
    });
    expect(fromPublic.status).toBe(401);
  });
});
