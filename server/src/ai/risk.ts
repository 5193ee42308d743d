import type { AiOperation, EntityTypeDef, FieldDef, RiskClass } from '@enclave/shared';

/**
 * Stage 6 of the AI pipeline: the risk class of each operation. `low` operations are easy to put
 * right (a new record, a change to ordinary fields, a restore); `high` ones touch what matters
 * most or remove something (sensitive fields, deletion, undo); `irreversible` ones cannot be
 * taken back (a message that has left). Irreversible and outbound operations always wait for a
 * person, whatever the trust mode.
 */

/** Field names that hold payment details or a record's standing, whatever their type. */
const SENSITIVE_NAME =
  /(status|paid|pay|bank|iban|swift|bic|account|routing|payee|beneficiar|remit|sort_?code|card|amount|price|total|fee)/i;

/**
 * Sensitive fields: money, contact details (where messages and payments go), references (which
 * client an invoice bills), personal and secret data, and fields whose name says they hold
 * payment details or a status.
 */
export function isSensitiveField(field: FieldDef): boolean {
  return (
    field.type === 'money' ||
    field.type === 'email' ||
    field.type === 'phone' ||
    field.type === 'reference' ||
    field.sensitivity !== 'normal' ||
    SENSITIVE_NAME.test(field.key) ||
    SENSITIVE_NAME.test(field.label)
  );
}

export function riskOf(op: AiOperation, entity: EntityTypeDef | undefined): RiskClass {
  switch (op.type) {
    case 'outbox.send':
      return 'irreversible';
    case 'record.delete':
    case 'record.revert':
      return 'high';
    case 'record.restore':
    case 'record.create':
      return 'low';
    case 'record.update': {
      const touched = Object.keys(op.data).map((key) => entity?.fields.find((f) => f.key === key));
      // A field the schema does not know is refused by validation; here it counts as sensitive.
      return touched.some((f) => !f || isSensitiveField(f)) ? 'high' : 'low';
    }
  }
}
