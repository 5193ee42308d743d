import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/src/test-support/test-server';

/** Behind a TLS-terminating proxy the public URL is https: then, and only then, HSTS is sent. */
describe('headers when served over TLS', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_PUBLIC_URL: 'https://enclave.example.com' } });
  });
  afterAll(() => t.close());

  it('sends HSTS and lets the CSP upgrade insecure requests', async () => {
    const res = await t.client().get('/healthz');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
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
