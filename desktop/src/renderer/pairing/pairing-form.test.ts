import { describe, expect, it } from 'vitest';
import { PLAIN_HTTP_REFUSED } from '@enclave/shared';
import { BridgeError } from '../bridge/client';
import {
  defaultDeviceName,
  formatPairingCode,
  normaliseServerUrl,
  pairingErrorView,
  pairingLinkIn,
  validatePairingForm,
} from './pairing-form';

const CODE = 'ABCD-EFGH-JKMN-PQRS-TVWX';

describe('formatPairingCode', () => {
  it('groups symbols by four and reads the code forgivingly', () => {
    expect(formatPairingCode('abcdefghjkmnpqrstvwx')).toBe(CODE);
    expect(formatPairingCode(' abcd efgh-jkmn_pqrs.tvwx ')).toBe(CODE);
    // O reads as 0, I and L as 1 (Crockford).
    expect(formatPairingCode('oil')).toBe('011');
    expect(formatPairingCode('ABCDE')).toBe('ABCD-E');
    expect(formatPairingCode('ABCD')).toBe('ABCD');
  });

  it('stops at 20 symbols and keeps letters outside the alphabet for validation to flag', () => {
    expect(formatPairingCode(`${CODE}-ZZZZ`)).toBe(CODE);
    expect(formatPairingCode('uuuu')).toBe('UUUU');
  });
});

describe('pairingLinkIn', () => {
  it('reads the server and code of a pasted pairing link', () => {
    expect(
      pairingLinkIn(' enclave://pair?server=https%3A%2F%2Fenclave.example.com&code=abcdefghjkmnpqrstvwx '),
    ).toEqual({ serverUrl: 'https://enclave.example.com', code: CODE });
  });

  it('ignores anything that is not a complete pairing link', () => {
    expect(pairingLinkIn('https://enclave.example.com')).toBeNull();
    expect(pairingLinkIn('enclave://open?server=https://x.example&code=ABCD')).toBeNull();
    expect(pairingLinkIn('enclave://pair?server=https://x.example')).toBeNull();
    expect(pairingLinkIn(CODE)).toBeNull();
  });
});

describe('normaliseServerUrl', () => {
  it('adds https:// to a bare host and keeps explicit schemes', () => {
    expect(normaliseServerUrl(' enclave.example.com ')).toBe('https://enclave.example.com');
    expect(normaliseServerUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(normaliseServerUrl('')).toBe('');
  });
});

describe('validatePairingForm', () => {
  it('builds the request from valid input', () => {
    expect(
      validatePairingForm({ serverUrl: 'enclave.example.com', code: CODE, deviceName: ' Work laptop ' }),
    ).toEqual({
      ok: true,
      request: { serverUrl: 'https://enclave.example.com', code: CODE, deviceName: 'Work laptop' },
    });
  });

  it('names every field that is wrong', () => {
    const result = validatePairingForm({
      serverUrl: 'ftp://files.example.com',
      code: 'ABCD-EFGH',
      deviceName: '  ',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['code', 'deviceName', 'serverUrl']);
    expect(result.errors.code).toMatch(/20 letters and digits/);
  });

  it('refuses plain http:// to another computer, saying why, and allows it to this one', () => {
    const result = validatePairingForm({
      serverUrl: 'http://enclave.example.com',
      code: CODE,
      deviceName: 'a',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toEqual({ serverUrl: expect.stringMatching(/^Use https:\/\//) as unknown });
      expect(result.errors.serverUrl).toMatch(/only for this computer \(localhost\)/);
    }
    expect(validatePairingForm({ serverUrl: 'http://localhost:3000', code: CODE, deviceName: 'a' }).ok).toBe(
      true,
    );
  });

  it('refuses a code with a letter outside the alphabet', () => {
    const result = validatePairingForm({
      serverUrl: 'https://x.example',
      code: 'UBCD-EFGH-JKMN-PQRS-TVWX',
      deviceName: 'a',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.code).toMatch(/20 letters and digits/);
  });
});

describe('pairingErrorView', () => {
  it('explains each refusal and points at the field at fault', () => {
    const wrongCode = pairingErrorView(new BridgeError('invalid_credentials', 'x'));
    expect(wrongCode.code).toBe('invalid_credentials');
    expect(wrongCode.fieldErrors.code).toMatch(/does not match/);
    expect(pairingErrorView(new BridgeError('gone', 'x')).message).toMatch(/expired or was already used/);
    expect(pairingErrorView(new BridgeError('server_unreachable', 'x')).fieldErrors).toHaveProperty(
      'serverUrl',
    );
    expect(pairingErrorView(new BridgeError('rate_limited', 'x')).title).toBe('Too many attempts');
    expect(pairingErrorView(new BridgeError('keychain_unavailable', 'x')).fieldErrors).toEqual({});
  });

  it('maps validation issues from main and from the server to form fields', () => {
    const view = pairingErrorView(
      new BridgeError('validation_failed', 'The request is not valid', [
        { path: 'serverUrl', message: `${PLAIN_HTTP_REFUSED}.` },
        { path: 'name', message: 'is too long' },
      ]),
    );
    expect(view.fieldErrors.serverUrl).toBe(`${PLAIN_HTTP_REFUSED}.`);
    expect(view.fieldErrors.deviceName).toBe('This name is too long.');
    expect(view.fieldErrors.code).toBeUndefined();
  });

  it('blames the code when the server says it is not a pairing code', () => {
    const view = pairingErrorView(
      new BridgeError('validation_failed', 'That is not a pairing code: it has 20 letters and digits'),
    );
    expect(view.fieldErrors.code).toMatch(/20 letters/);
  });
});

describe('defaultDeviceName', () => {
  it('names the computer after its platform', () => {
    expect(defaultDeviceName('macos')).toBe('My Mac');
    expect(defaultDeviceName(null)).toBe('My computer');
  });
});
