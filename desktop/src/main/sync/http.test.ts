import { describe, expect, it } from 'vitest';
import { apiUrl, errorFromAnswer, webSocketUrl } from './http';
import { SyncError } from './errors';

describe('server addresses', () => {
  it('keeps a path prefix and drops a trailing slash', () => {
    expect(apiUrl('https://example.com/enclave/', '/api/v1/device')).toBe(
      'https://example.com/enclave/api/v1/device',
    );
    expect(apiUrl('http://127.0.0.1:8080', '/api/v1/device')).toBe('http://127.0.0.1:8080/api/v1/device');
  });

  it('puts query parameters in the query string, encoded, and drops any the server URL had', () => {
    expect(
      apiUrl('https://example.com/x?old=1', '/api/v1/device/activity', { limit: '5', before: '9&a=b' }),
    ).toBe('https://example.com/x/api/v1/device/activity?limit=5&before=9%26a%3Db');
  });

  it('maps http to ws and https to wss', () => {
    expect(webSocketUrl('https://example.com', '/api/v1/sync')).toBe('wss://example.com/api/v1/sync');
    expect(webSocketUrl('http://localhost:3000/', '/api/v1/sync')).toBe('ws://localhost:3000/api/v1/sync');
  });

  it('refuses other schemes', () => {
    expect(() => apiUrl('file:///etc/passwd', '/x')).toThrow(SyncError);
  });
});

describe('errorFromAnswer', () => {
  it('keeps the code, message and details of an error body', () => {
    const error = errorFromAnswer(
      401,
      JSON.stringify({ error: { code: 'device_revoked', message: 'Revoked', details: { wipe: true } } }),
    );
    expect(error).toMatchObject({ code: 'device_revoked', status: 401, details: { wipe: true } });
  });

  it('falls back on the status for a body that is not ours', () => {
    expect(errorFromAnswer(429, '<html>')).toMatchObject({ code: 'rate_limited', network: false });
    expect(errorFromAnswer(502, 'Bad gateway')).toMatchObject({ code: 'internal', network: true });
  });
});
