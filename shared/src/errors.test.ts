import { describe, expect, it } from 'vitest';
import { issuesIn } from './errors';

describe('issuesIn', () => {
  it('reads the field issues of a validation refusal and drops what is not an issue', () => {
    const details = [{ path: 'name', message: 'Give it a name' }, { path: 3 }, 'text'];
    expect(issuesIn('validation_failed', details)).toEqual([{ path: 'name', message: 'Give it a name' }]);
  });

  it('finds none in other refusals or in details that are not a list', () => {
    expect(issuesIn('conflict', [{ path: 'name', message: 'Taken' }])).toEqual([]);
    expect(issuesIn('validation_failed', { path: 'name', message: 'x' })).toEqual([]);
    expect(issuesIn('validation_failed', undefined)).toEqual([]);
  });
});
