import { describe, expect, it } from 'vitest';
import type { EntityTypeDef } from '@enclave/shared';
import {
  applyChanges,
  changedKeys,
  formData,
  formValuesOf,
  parseNumber,
  readForm,
  serverFieldErrors,
} from './form-values';

const invoice: EntityTypeDef = {
  key: 'invoice',
  label: 'Invoice',
  pluralLabel: 'Invoices',
  titleField: 'number',
  fields: [
    { key: 'number', label: 'Number', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    {
      key: 'client',
      label: 'Client',
      type: 'reference',
      refType: 'client',
      required: true,
      indexed: true,
      sensitivity: 'normal',
    },
    {
      key: 'amount',
      label: 'Amount',
      type: 'money',
      currency: 'EUR',
      required: true,
      indexed: true,
      sensitivity: 'normal',
    },
    {
      key: 'issued_on',
      label: 'Issued on',
      type: 'date',
      required: true,
      indexed: true,
      sensitivity: 'normal',
    },
    {
      key: 'status',
      label: 'Status',
      type: 'enum',
      required: true,
      indexed: true,
      sensitivity: 'normal',
      options: ['draft', 'sent', 'paid', 'void'],
    },
    { key: 'paid', label: 'Paid', type: 'boolean', required: false, indexed: false, sensitivity: 'normal' },
    {
      key: 'email',
      label: 'Billing email',
      type: 'email',
      required: false,
      indexed: false,
      sensitivity: 'pii',
    },
    { key: 'phone', label: 'Phone', type: 'phone', required: false, indexed: false, sensitivity: 'pii' },
    { key: 'hours', label: 'Hours', type: 'number', required: false, indexed: false, sensitivity: 'normal' },
    { key: 'memo', label: 'Memo', type: 'longText', required: false, indexed: false, sensitivity: 'normal' },
  ],
};

const valid = {
  number: ' INV-001 ',
  client: 'client-1',
  amount: '1.234,50',
  issued_on: '2024-05-01',
  status: 'sent',
  paid: false,
  email: '',
  phone: '',
  hours: '',
  memo: '',
};

describe('readForm', () => {
  it('builds record data: trimmed text, money in minor units, empty fields left out', () => {
    expect(readForm(invoice, valid)).toEqual({
      ok: true,
      data: {
        number: 'INV-001',
        client: 'client-1',
        amount: 123450,
        issued_on: '2024-05-01',
        status: 'sent',
      },
    });
  });

  it('keeps an unticked box absent on a new record but records "no" where it had a value', () => {
    expect(readForm(invoice, { ...valid, paid: true })).toMatchObject({ data: { paid: true } });
    expect(readForm(invoice, valid, { paid: true })).toMatchObject({ data: { paid: false } });
  });

  it('reports every required field that is empty', () => {
    const result = readForm(invoice, formValuesOf(invoice));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual({
      number: 'This field is required.',
      client: 'This field is required.',
      amount: 'This field is required.',
      issued_on: 'This field is required.',
      status: 'This field is required.',
    });
    expect(result.formError).toBeNull();
  });

  it('explains wrong values per field type', () => {
    const result = readForm(invoice, {
      ...valid,
      number: 'x'.repeat(1001),
      amount: '12.345.6',
      issued_on: '2024-13-45',
      status: 'lost',
      email: 'not an email',
      phone: 'call me',
      hours: '3 hours',
      client: 'not a valid id!',
    });
    expect(result).toEqual({
      ok: false,
      formError: null,
      errors: {
        number: 'Use at most 1000 characters.',
        amount: 'Use at most 2 decimals.',
        issued_on: 'Enter a date.',
        status: 'Choose one of the options.',
        email: 'Enter an email address, like name@example.com.',
        phone: 'Enter a phone number, like +44 20 7946 0958.',
        hours: 'Enter a number, like 12 or 3.5.',
        client: 'Choose a record from the list.',
      },
    });
  });

  it('keeps long text as typed', () => {
    expect(readForm(invoice, { ...valid, memo: '  line one\nline two  ' })).toMatchObject({
      data: { memo: '  line one\nline two  ' },
    });
  });
});

describe('formValuesOf', () => {
  it('shows stored values as editable text and reads back the same data', () => {
    const data = {
      number: 'INV-7',
      client: 'c1',
      amount: 5,
      issued_on: '2024-01-31',
      status: 'paid',
      paid: true,
      hours: 2.5,
    };
    const values = formValuesOf(invoice, data);
    expect(values).toMatchObject({ amount: '0.05', paid: true, hours: '2.5', email: '' });
    expect(readForm(invoice, values, data)).toEqual({ ok: true, data });
  });
});

describe('parseNumber', () => {
  it('accepts plain numbers with either decimal mark, and nothing else', () => {
    expect(parseNumber('12')).toBe(12);
    expect(parseNumber('-3,5')).toBe(-3.5);
    expect(parseNumber('.25')).toBe(0.25);
    expect(parseNumber('1e3')).toBe(1000);
    expect(parseNumber('3x')).toBeNull();
    expect(parseNumber('')).toBeNull();
    expect(parseNumber('1,000.5')).toBeNull();
  });
});

describe('applyChanges', () => {
  it('applies only what the form changed on top of the current record', () => {
    const opened = { name: 'Acme', status: 'lead', phone: '+1 555 0100' };
    const saved = { name: 'Acme Ltd', status: 'lead' };
    // Meanwhile the status changed on the server and synced in.
    const current = { name: 'Acme', status: 'active', phone: '+1 555 0100' };
    expect(applyChanges(current, saved, changedKeys(opened, saved))).toEqual({
      name: 'Acme Ltd',
      status: 'active',
    });
  });
});

describe('changedKeys', () => {
  it('lists added, removed and changed fields', () => {
    expect(changedKeys({ a: 1, b: 'x', c: true }, { a: 1, b: 'y', d: 0 }).sort()).toEqual(['b', 'c', 'd']);
  });
});

describe('formData', () => {
  it('converts what was typed but leaves the schema’s rules to whoever checks them', () => {
    const values = { ...formValuesOf(invoice), number: '  ', amount: '12,50', hours: 'many', status: 'nope' };
    const read = formData(invoice, values);
    // A blank required field is simply absent: the server (or readForm) says it is required.
    expect(read.data).toEqual({ amount: 1250, status: 'nope' });
    expect(read.errors).toEqual({ hours: 'Enter a number, like 12 or 3.5.' });
  });
});

describe('serverFieldErrors', () => {
  it('puts each issue the server reports at data.<field> next to that field, in words', () => {
    const sent = { amount: 1250, status: 'nope', client: 'gone-id', email: 'x' };
    const { errors, other } = serverFieldErrors(
      invoice,
      [
        { path: 'data.number', message: 'Invalid input: expected string, received undefined' },
        { path: 'data.status', message: 'Invalid option: expected one of "draft"|"sent"|"paid"|"void"' },
        { path: 'data.client', message: 'must be the id of a client record' },
        { path: 'data.email', message: 'Invalid email address' },
        { path: 'data.number', message: 'a second issue for the same field' },
        { path: 'data.unknown_field', message: 'Unrecognized key' },
        { path: 'type', message: 'unknown entity type' },
      ],
      sent,
    );
    expect(errors).toEqual({
      number: 'This field is required.',
      status: 'Choose one of the options.',
      client: 'That record is not there any more, or you may not see it. Choose another.',
      email: 'Enter an email address, like name@example.com.',
    });
    expect(other.map((issue) => issue.path)).toEqual(['data.unknown_field', 'type']);
  });

  it('says required for a field the form cleared (sent as null) and for a blank one', () => {
    const { errors } = serverFieldErrors(
      invoice,
      [
        { path: 'data.issued_on', message: 'Invalid input: expected string, received null' },
        { path: 'data.number', message: 'required: must not be blank' },
      ],
      { issued_on: null, number: ' ' },
    );
    expect(errors).toEqual({ issued_on: 'This field is required.', number: 'This field is required.' });
  });
});
