import { describe, expect, it } from 'vitest';
import { ApiError, urlOf } from './client';

describe('urlOf', () => {
  it('fills path parameters from the route table, encoded so that none can add a segment', () => {
    expect(urlOf('listDevices', { params: { workspaceId: 'w1' } })).toBe('/api/v1/workspaces/w1/devices');
    expect(urlOf('getRecord', { params: { workspaceId: '../../auth', recordId: 'a/b?c' } })).toBe(
      '/api/v1/workspaces/..%2F..%2Fauth/records/a%2Fb%3Fc',
    );
  });

  it('writes a query with repeated keys for lists, leaving out what is empty', () => {
    expect(
      urlOf('listRecords', {
        params: { workspaceId: 'w1' },
        query: { type: 'client', filter: ['status:eq:open', 'name:contains:a&b'], q: '', limit: 20 },
      }),
    ).toBe(
      '/api/v1/workspaces/w1/records?type=client&filter=status%3Aeq%3Aopen&filter=name%3Acontains%3Aa%26b&limit=20',
    );
  });
});

describe('ApiError', () => {
  it('finds the issue of one field in a validation refusal, and none in any other', () => {
    const refusal = new ApiError('validation_failed', 'Check the fields', 400, [
      { path: 'data.name', message: 'is required' },
      { path: 'data.email', message: 'must be an email address' },
      { nonsense: true },
    ]);
    expect(refusal.issueAt('data.email')).toBe('must be an email address');
    expect(refusal.issues).toHaveLength(2);
    expect(new ApiError('conflict', 'moved on', 409, [{ path: 'data.name', message: 'x' }]).issues).toEqual(
      [],
    );
  });
});
