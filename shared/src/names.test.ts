import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DisplayName, SetupBody, SignUpBody } from './auth';
import { DeleteWorkspaceBody, RedeemPairingBody, RenameDeviceBody } from './devices';
import { nameText } from './names';
import { CustomRole, PutRoleBody } from './roles';
import { EntityTypeDef, FieldDef } from './workspace-schema';
import { CreateWorkspaceBody, RenameWorkspaceBody } from './workspaces';

const field = (label: string) => ({ key: 'title', label, type: 'text' });
const entity = (over: Record<string, unknown>) => ({
  key: 'matter',
  label: 'Matter',
  pluralLabel: 'Matters',
  titleField: 'title',
  fields: [field('Title')],
  ...over,
});

/** Every schema that carries a name people read, with the name put where it goes. */
const nameFields: [string, z.ZodType, (name: string) => unknown][] = [
  ['user name', DisplayName, (name) => name],
  [
    'setup: name',
    SetupBody,
    (name) => ({ token: 'a'.repeat(43), email: 'owner@example.com', name, password: 'long enough password' }),
  ],
  [
    'sign-up: name',
    SignUpBody,
    (name) => ({ email: 'someone@example.com', name, password: 'long enough password' }),
  ],
  ['workspace: name', CreateWorkspaceBody, (name) => ({ name })],
  ['workspace rename: name', RenameWorkspaceBody, (name) => ({ name })],
  ['workspace deletion: confirmName', DeleteWorkspaceBody, (name) => ({ confirmName: name })],
  [
    'pairing: device name',
    RedeemPairingBody,
    (name) => ({
      code: '0123-4567-89AB-CDEF-GHJK',
      publicKey: 'a'.repeat(43),
      proof: 'a'.repeat(86),
      name,
      platform: 'linux',
      appVersion: '1.0.0',
    }),
  ],
  [
    'pairing: app version',
    RedeemPairingBody,
    (appVersion) => ({
      code: '0123-4567-89AB-CDEF-GHJK',
      publicKey: 'a'.repeat(43),
      proof: 'a'.repeat(86),
      name: 'Laptop',
      platform: 'linux',
      appVersion,
    }),
  ],
  ['device rename: name', RenameDeviceBody, (name) => ({ name })],
  ['role: label', CustomRole, (label) => ({ key: 'desk', label, permissions: {} })],
  ['role body: label', PutRoleBody, (label) => ({ label, permissions: {} })],
  ['entity type: label', EntityTypeDef, (label) => entity({ label })],
  ['entity type: pluralLabel', EntityTypeDef, (pluralLabel) => entity({ pluralLabel })],
  ['entity type: field label', EntityTypeDef, (label) => entity({ fields: [field(label)] })],
  ['field: label', FieldDef, (label) => field(label)],
];

const unsafe: [string, string, RegExp][] = [
  ['NUL', 'Acme\u0000Legal', /control characters.*U\+0000 at position 5/],
  ['ESC (an ANSI colour)', '\u001b[31mAcme', /control characters.*U\+001B at position 1/],
  ['a line break inside', 'Acme\nLegal', /control characters.*U\+000A/],
  ['DEL', 'Acme\u007f', /control characters.*U\+007F/],
  ['a C1 control', 'Acme\u0085Legal', /control characters.*U\+0085/],
  ['the line separator', 'Acme\u2028Legal', /control characters.*U\+2028/],
  ['right-to-left override U+202E', 'Invoice \u202Efdp.exe', /bidirectional.*U\+202E at position 9/],
  ['a bidi isolate', 'Acme\u2066Legal\u2069', /bidirectional.*U\+2066/],
  ['a right-to-left mark', 'Acme\u200f', /bidirectional.*U\+200F/],
  ['the Arabic letter mark', 'Acme\u061c', /bidirectional.*U\+061C/],
  ['a lone high surrogate', 'Acme\ud800Legal', /valid Unicode.*U\+D800 at position 5/],
  ['a lone low surrogate', '\udc00Acme', /valid Unicode.*U\+DC00 at position 1/],
  ['a high surrogate at the end', 'Acme\ud83d', /valid Unicode.*U\+D83D/],
];

function messagesOf(result: z.ZodSafeParseResult<unknown>): string {
  return result.success ? '' : result.error.issues.map((i) => i.message).join('; ');
}

describe('names and labels', () => {
  it.each(nameFields)(
    '%s refuses control, bidi and broken characters, saying which and where',
    (_, schema, put) => {
      for (const [what, name, message] of unsafe) {
        const result = schema.safeParse(put(name));
        expect(result.success, what).toBe(false);
        expect(messagesOf(result), what).toMatch(message);
      }
    },
  );

  it.each(nameFields)('%s stores the name NFC-normalised', (_, schema, put) => {
    const decomposed = '  Cafe\u0301 Ha\u0308agen  ';
    const result = schema.safeParse(put(decomposed));
    expect(result.success, messagesOf(result)).toBe(true);
    expect(JSON.stringify(result.data)).toContain(JSON.stringify('Café Häagen').slice(1, -1));
    expect(JSON.stringify(result.data)).not.toContain('\u0301');
  });

  it.each(nameFields)('%s accepts letters of any script, emoji and inner spaces', (_, schema, put) => {
    for (const name of ['Müller & Söhne', 'שלום עולם', 'مكتب المحاماة', '法律事务所', 'Team 🚀 Ops']) {
      const result = schema.safeParse(put(name));
      expect(result.success, `${name}: ${messagesOf(result)}`).toBe(true);
    }
  });

  it('refuses an empty or blank name and one over its length, after normalising', () => {
    const name = nameText(5);
    expect(messagesOf(name.safeParse('   '))).toMatch(/must not be empty/);
    expect(messagesOf(name.safeParse('abcdef'))).toMatch(/at most 5 characters/);
    // Five letters once composed, though seven code units as sent.
    expect(name.safeParse('e\u0301e\u0301abc')).toEqual({ success: true, data: 'ééabc' });
  });

  it('trims names, but not a name typed again to confirm a deletion, which must match as typed', () => {
    expect(CreateWorkspaceBody.parse({ name: '  Acme  ' }).name).toBe('Acme');
    expect(DeleteWorkspaceBody.parse({ confirmName: 'Acme ' }).confirmName).toBe('Acme ');
    expect(DeleteWorkspaceBody.parse({ confirmName: 'Cafe\u0301' }).confirmName).toBe('Caf\u00e9');
  });

  it('refuses unsafe characters in enum options, which keep their spelling otherwise', () => {
    const enumField = (options: string[]) => ({ key: 'status', label: 'Status', type: 'enum', options });
    expect(messagesOf(FieldDef.safeParse(enumField(['open', 'clo\u0000sed'])))).toMatch(/U\+0000/);
    expect(messagesOf(FieldDef.safeParse(enumField(['open', '\u202Edesolc'])))).toMatch(/U\+202E/);
    expect(FieldDef.parse(enumField(['open ', 'closed'])).options).toEqual(['open ', 'closed']);
  });
});
