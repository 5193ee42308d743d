import { describe, expect, it } from 'vitest';
import type { EntityTypeDef } from '@enclave/shared';
import type { ConflictDocType } from '../workspace/database';
import { conflictCopy } from './conflict-copy';

const client: EntityTypeDef = {
  key: 'client',
  label: 'Client',
  pluralLabel: 'Clients',
  titleField: 'name',
  fields: [
    { key: 'name', label: 'Name', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
  ],
};

const conflict = (partial: Partial<ConflictDocType>): ConflictDocType => ({
  id: 'c1',
  type: 'client',
  localData: { name: 'Acme Ltd' },
  localDeleted: false,
  serverData: { name: 'Acme Limited' },
  serverDeleted: false,
  at: 0,
  ...partial,
});

describe('conflictCopy', () => {
  it('says whose change was replaced, by the local title', () => {
    expect(conflictCopy(conflict({}), client)).toEqual({
      headline: 'Your change to “Acme Ltd” was replaced by the server’s version.',
      reason: null,
    });
  });

  it('tells deletions apart on either side', () => {
    expect(conflictCopy(conflict({ localDeleted: true }), client).headline).toBe(
      'Your deletion of “Acme Ltd” was replaced by the server’s version.',
    );
    expect(conflictCopy(conflict({ serverDeleted: true }), client).headline).toBe(
      '“Acme Ltd” was deleted on the server, so your change was not kept.',
    );
  });

  it('gives the server’s reason for a refusal', () => {
    const refused = conflictCopy(
      conflict({
        serverDeleted: true,
        serverData: {},
        reasonCode: 'forbidden',
        reasonMessage: 'no write right',
      }),
      client,
    );
    expect(refused.headline).toBe('Your change to “Acme Ltd” was not accepted by the server.');
    expect(refused.reason).toBe('You do not have permission to make this change.');
    expect(
      conflictCopy(conflict({ reasonCode: 'validation_failed', reasonMessage: 'name is too long' }), client)
        .reason,
    ).toBe('It does not fit the workspace’s fields: name is too long.');
    expect(
      conflictCopy(conflict({ reasonCode: 'internal', reasonMessage: 'Try later' }), client).reason,
    ).toBe('Try later');
  });
});
