import { describe, expect, it } from 'vitest';
import type { AiOperation, EntityTypeDef } from '@enclave/shared';
import { formValuesOf } from '../records';
import {
  draftRule,
  editableFields,
  editKindOf,
  readDataEdit,
  readJsonEdit,
  readMessageEdit,
  ruleIdOf,
  ruleOf,
  ruleTextOf,
  sameTarget,
} from './proposal-edit';

const ticket: EntityTypeDef = {
  key: 'ticket',
  label: 'Ticket',
  pluralLabel: 'Tickets',
  titleField: 'subject',
  fields: [
    { key: 'subject', label: 'Subject', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    {
      key: 'priority',
      label: 'Priority',
      type: 'enum',
      options: ['low', 'normal', 'urgent'],
      required: true,
      indexed: true,
      sensitivity: 'normal',
    },
    {
      key: 'estimate_hours',
      label: 'Estimate',
      type: 'number',
      required: false,
      indexed: false,
      sensitivity: 'normal',
    },
    {
      key: 'notes',
      label: 'Notes',
      type: 'longText',
      required: false,
      indexed: false,
      sensitivity: 'normal',
    },
  ],
};

const update: AiOperation = {
  type: 'record.update',
  id: 't1',
  data: { priority: 'urgent', estimate_hours: 3 },
};
const create: AiOperation = {
  type: 'record.create',
  entityType: 'ticket',
  data: { subject: 'Late', priority: 'normal' },
};
const email: AiOperation = {
  type: 'outbox.send',
  to: 'ap@globex.example',
  subject: 'Your delivery',
  body: 'It leaves today.',
  recordId: 't1',
};

describe('editing record data', () => {
  it('shows every field for a new record, only the changed ones for a change', () => {
    expect(editableFields(ticket, create).map((f) => f.key)).toEqual([
      'subject',
      'priority',
      'estimate_hours',
      'notes',
    ]);
    expect(editableFields(ticket, update).map((f) => f.key)).toEqual(['priority', 'estimate_hours']);
    expect(editKindOf(update)).toBe('recordData');
    expect(editKindOf(email)).toBe('message');
    expect(editKindOf({ type: 'record.delete', id: 't1' })).toBe('none');
  });

  it('turns typed values into the operation, keeping its target and revision', () => {
    const withRev: AiOperation = {
      type: 'record.update',
      id: 't1',
      expectedRev: 4,
      data: { priority: 'urgent', estimate_hours: 3 },
    };
    const values = { ...formValuesOf(ticket, withRev.data), priority: 'low', estimate_hours: '2,5' };
    const read = readDataEdit(ticket, withRev, values);
    expect(read).toEqual({
      ok: true,
      operation: {
        type: 'record.update',
        id: 't1',
        expectedRev: 4,
        data: { priority: 'low', estimate_hours: 2.5 },
      },
    });
  });

  it('leaves a field it emptied out of a change, and refuses a change with nothing left', () => {
    const values = { ...formValuesOf(ticket, { priority: 'urgent', estimate_hours: 3 }), estimate_hours: '' };
    expect(readDataEdit(ticket, update, values)).toEqual({
      ok: true,
      operation: { type: 'record.update', id: 't1', data: { priority: 'urgent' } },
    });
    const empty = readDataEdit(ticket, update, { priority: '', estimate_hours: '' });
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.formError).toMatch(/Nothing is left to change/);
  });

  it('puts a value it cannot read next to its field', () => {
    const read = readDataEdit(ticket, update, { priority: 'urgent', estimate_hours: 'three' });
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.errors.estimate_hours).toMatch(/number/);
  });

  it('checks a new record as a whole: a required field left empty is refused', () => {
    const read = readDataEdit(ticket, create, {
      ...formValuesOf(ticket, { subject: 'Late', priority: 'normal' }),
      subject: '',
    });
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.errors.subject).toBe('This field is required.');
    const good = readDataEdit(ticket, create, formValuesOf(ticket, { subject: 'Late', priority: 'urgent' }));
    expect(good).toEqual({
      ok: true,
      operation: {
        type: 'record.create',
        entityType: 'ticket',
        data: { subject: 'Late', priority: 'urgent' },
      },
    });
  });

  it('refuses an enum value the schema does not have', () => {
    const read = readDataEdit(ticket, update, { priority: 'whenever', estimate_hours: '3' });
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.errors.priority).toBeDefined();
  });
});

describe('editing an email', () => {
  it('changes subject and body, never the recipient', () => {
    expect(readMessageEdit(email, 'Re: delivery', 'Tomorrow.')).toEqual({
      ok: true,
      operation: { ...email, subject: 'Re: delivery', body: 'Tomorrow.' },
    });
  });

  it('says what is missing', () => {
    const read = readMessageEdit(email, ' ', '');
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.errors).toEqual({ subject: 'Write a subject.', body: 'Write a message.' });
  });
});

describe('editing as JSON', () => {
  it('accepts an operation of the same kind on the same target', () => {
    const text = JSON.stringify({ type: 'record.update', id: 't1', data: { priority: 'low' } });
    expect(readJsonEdit(text, update)).toEqual({
      ok: true,
      operation: { type: 'record.update', id: 't1', data: { priority: 'low' } },
    });
  });

  it('refuses text that is not JSON, not an operation, or aimed elsewhere', () => {
    const messageOf = (text: string) => {
      const read = readJsonEdit(text, update);
      return read.ok ? null : read.message;
    };
    expect(messageOf('{ nope')).toMatch(/not valid JSON/);
    expect(messageOf('{"type":"member.invite","email":"a@b.example"}')).toMatch(
      /not an operation the AI may propose/,
    );
    expect(messageOf(JSON.stringify({ type: 'record.update', id: 'other', data: {} }))).toMatch(
      /keeps the kind of operation/,
    );
    expect(readJsonEdit(JSON.stringify({ type: 'record.delete', id: 't1' }), update)).toMatchObject({
      ok: false,
    });
  });

  it('compares targets by what each kind acts on', () => {
    expect(sameTarget(create, { ...create, data: {} })).toBe(true);
    expect(sameTarget(create, { type: 'record.create', entityType: 'client', data: {} })).toBe(false);
    expect(sameTarget(email, { ...email, to: 'x@y.example' })).toBe(true);
    expect(sameTarget(email, { ...email, recordId: 'other' })).toBe(false);
  });
});

describe('the rule a rejection adds', () => {
  it('suggests this operation type on this entity type, waiting for a person', () => {
    const draft = draftRule(update, ticket, 'ticket');
    expect(draft).toEqual({
      id: 'ask-before-update-ticket',
      text: 'Changing tickets waits for a person’s approval.',
      effect: 'requireApproval',
      byEntityType: true,
      byFields: false,
    });
    expect(ruleOf(draft, update, 'ticket')).toEqual({
      ok: true,
      rule: {
        id: 'ask-before-update-ticket',
        text: 'Changing tickets waits for a person’s approval.',
        effect: 'requireApproval',
        match: { operations: ['record.update'], entityTypes: ['ticket'] },
      },
    });
  });

  it('can narrow the match to the fields the change sets, or widen it to every record', () => {
    const draft = { ...draftRule(update, ticket, 'ticket'), byFields: true, byEntityType: false };
    const read = ruleOf(draft, update, 'ticket');
    expect(read.ok && read.rule.match).toEqual({
      operations: ['record.update'],
      fields: ['priority', 'estimate_hours'],
    });
  });

  it('words emails and forbidding', () => {
    expect(draftRule(email, undefined, null)).toMatchObject({ id: 'ask-before-email', byEntityType: false });
    expect(ruleTextOf('outbox.send', undefined, 'forbid')).toBe('The AI may not send emails.');
    expect(ruleTextOf('record.delete', ticket, 'forbid')).toBe('The AI may not delete tickets.');
  });

  it('makes ids the constitution takes, and refuses ones it does not', () => {
    expect(ruleIdOf('Ask before: Update Support_Ticket!')).toBe('ask-before-update-support-ticket');
    expect(ruleIdOf('42')).toBe('ai-rule');
    expect(ruleIdOf('x'.repeat(60))).toHaveLength(40);
    const bad = ruleOf(
      { ...draftRule(update, ticket, 'ticket'), id: 'Not An Id', text: ' ' },
      update,
      'ticket',
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.id).toMatch(/lower-case letters/);
      expect(bad.errors.text).toBe('Say what the rule is.');
    }
  });
});
