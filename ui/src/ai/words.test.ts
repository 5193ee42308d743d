import { describe, expect, it } from 'vitest';
import {
  AiFeature,
  ArgumentSource,
  HoldReason,
  ProposalStatus,
  RiskClass,
  type WorkspaceSchema,
} from '@enclave/shared';
import {
  aiRefusalWords,
  argumentLabel,
  ARGUMENT_SOURCE_WORDS,
  confidenceText,
  FEATURE_WORDS,
  HOLD_REASON_WORDS,
  holdReasonSentences,
  operationRecordId,
  operationSummary,
  PROPOSAL_STATUS_WORDS,
  RISK_WORDS,
} from './words';

const schema: WorkspaceSchema = {
  version: 1,
  entityTypes: [
    {
      key: 'invoice',
      label: 'Invoice',
      pluralLabel: 'Invoices',
      titleField: 'number',
      fields: [
        {
          key: 'number',
          label: 'Number',
          type: 'text',
          required: true,
          indexed: true,
          sensitivity: 'normal',
        },
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
          indexed: false,
          sensitivity: 'normal',
        },
        {
          key: 'status',
          label: 'Status',
          type: 'enum',
          options: ['draft', 'sent', 'paid'],
          required: true,
          indexed: true,
          sensitivity: 'normal',
        },
        {
          key: 'bank_code',
          label: 'Bank code',
          type: 'text',
          required: false,
          indexed: false,
          sensitivity: 'secret',
        },
      ],
    },
  ],
};
const invoice = schema.entityTypes[0];

describe('every value of the contracts has words', () => {
  // A new reason or source added to shared/ without words here would show as nothing.
  it.each([
    ['hold reasons', HoldReason.options, HOLD_REASON_WORDS],
    ['argument sources', ArgumentSource.options, ARGUMENT_SOURCE_WORDS],
  ] as const)('%s', (_name, options, words) => {
    expect(Object.keys(words).sort()).toEqual([...options].sort());
    for (const option of options) {
      const entry = (words as Record<string, { label: string; explanation: string }>)[option];
      expect(entry?.label.trim()).not.toBe('');
      expect(entry?.explanation).toMatch(/\.$/);
    }
  });

  it.each([
    ['risk classes', RiskClass.options, RISK_WORDS],
    ['proposal statuses', ProposalStatus.options, PROPOSAL_STATUS_WORDS],
    ['features', AiFeature.options, FEATURE_WORDS],
  ] as const)('%s', (_name, options, words) => {
    expect(Object.keys(words).sort()).toEqual([...options].sort());
  });

  it('says a value from record text could be a prompt injection', () => {
    expect(HOLD_REASON_WORDS.fromRecordText.label).toBe('From record text');
    expect(HOLD_REASON_WORDS.fromRecordText.explanation).toMatch(/prompt injection/);
  });

  it('gives each reason once, in the order given', () => {
    expect(holdReasonSentences(['highRisk', 'outbound', 'highRisk'])).toEqual([
      HOLD_REASON_WORDS.highRisk.explanation,
      HOLD_REASON_WORDS.outbound.explanation,
    ]);
  });
});

describe('operationSummary', () => {
  it('names the record and the changed fields with their labels and formats', () => {
    expect(
      operationSummary(
        { type: 'record.update', id: 'inv1', data: { status: 'paid', amount: 125_000 } },
        schema,
        { type: 'invoice', title: 'INV-0089' },
      ),
    ).toBe(
      `Update invoice “INV-0089”: Status → Paid, Amount → ${new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' }).format(1250)}`,
    );
  });

  it('falls back to the record id and the field keys when the target is not known', () => {
    expect(
      operationSummary({ type: 'record.update', id: 'abc123', data: { due_on: '2026-12-01' } }, schema),
    ).toBe('Update record abc123: Due on → 2026-12-01');
  });

  it('never shows a secret value, and names a referenced record by its title when known', () => {
    const summary = operationSummary(
      {
        type: 'record.create',
        entityType: 'invoice',
        data: { number: 'INV-1', client: 'c1', bank_code: 'S3CRET' },
      },
      schema,
      {},
      (type, id) => (type === 'client' && id === 'c1' ? 'Globex' : undefined),
    );
    expect(summary).toBe(
      'Create invoice “INV-1”: Number → INV-1, Client → Globex, Bank code → a secret value',
    );
    expect(summary).not.toContain('S3CRET');
  });

  it('words deletions, restores, undo and emails', () => {
    expect(operationSummary({ type: 'record.delete', id: 'x1' }, schema, { type: 'invoice' })).toBe(
      'Delete invoice x1',
    );
    expect(operationSummary({ type: 'record.restore', id: 'x1' }, null, { title: 'Acme' })).toBe(
      'Restore record “Acme”',
    );
    expect(
      operationSummary({ type: 'record.revert', eventId: '0190a0b0-0000-7000-8000-000000000001' }, schema),
    ).toBe('Undo an earlier change (event 0190a0b0-0000-7000-8000-000000000001)');
    expect(
      operationSummary(
        { type: 'outbox.send', to: 'ap@globex.example', subject: 'Your late delivery', body: 'Sorry.' },
        schema,
      ),
    ).toBe('Send an email to ap@globex.example: “Your late delivery”');
  });

  it('shortens long values', () => {
    const summary = operationSummary(
      { type: 'record.update', id: 'x', data: { number: 'N'.repeat(200) } },
      schema,
      { type: 'invoice' },
    );
    expect(summary.length).toBeLessThan(100);
    expect(summary.endsWith('…')).toBe(true);
  });
});

describe('argumentLabel and operationRecordId', () => {
  it('labels data paths by their field and the rest in words', () => {
    expect(argumentLabel('data.status', invoice)).toBe('Status');
    expect(argumentLabel('data.due_on')).toBe('Due on');
    expect(argumentLabel('to')).toBe('Recipient');
    expect(argumentLabel('id')).toBe('Which record');
    expect(argumentLabel('something.else')).toBe('something.else');
  });

  it('finds the record an operation is about', () => {
    expect(operationRecordId({ type: 'record.update', id: 'r1', data: {} })).toBe('r1');
    expect(operationRecordId({ type: 'record.create', entityType: 'invoice', data: {} })).toBeNull();
    expect(
      operationRecordId({ type: 'outbox.send', to: 'a@b.example', subject: 's', body: 'b', recordId: 't1' }),
    ).toBe('t1');
    expect(
      operationRecordId({ type: 'record.revert', eventId: '0190a0b0-0000-7000-8000-000000000001' }),
    ).toBeNull();
  });
});

describe('confidenceText', () => {
  it('is a whole percentage, kept within 0–100', () => {
    expect(confidenceText(0.925)).toBe('93%');
    expect(confidenceText(1)).toBe('100%');
    expect(confidenceText(-1)).toBe('0%');
  });
});

describe('aiRefusalWords', () => {
  it('tells admins where to switch AI on, and others whom to ask', () => {
    expect(aiRefusalWords('ai_disabled', true)?.advice).toMatch(/You can switch it on/);
    expect(aiRefusalWords('ai_disabled', false)?.advice).toMatch(/Ask an owner or admin/);
  });

  it('passes the server’s own instructions for setting up a model on', () => {
    const words = aiRefusalWords('ai_not_configured', true, {
      howToEnable: 'Set ANTHROPIC_API_KEY and restart.',
    });
    expect(words?.howToEnable).toBe('Set ANTHROPIC_API_KEY and restart.');
    expect(words?.advice).toMatch(/where the server runs/);
    expect(aiRefusalWords('ai_not_configured', true)?.howToEnable).toBeUndefined();
  });

  it('knows every request-level refusal, and nothing else', () => {
    for (const code of [
      'ai_disabled',
      'ai_not_configured',
      'ai_allowance_spent',
      'ai_unavailable',
      'ai_plan_invalid',
    ])
      expect(aiRefusalWords(code, false)).not.toBeNull();
    expect(aiRefusalWords('forbidden', false)).toBeNull();
  });
});
