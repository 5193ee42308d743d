import {
  AiOperation,
  ConstitutionRule,
  OutboxSendOperation,
  recordDataSchema,
  type EntityTypeDef,
  type FieldDef,
  type RuleEffect,
  type RuleMatch,
} from '@enclave/shared';
import { formData, humanise, readForm, type FieldErrors, type FormValues } from '../records';

/**
 * Editing a proposal before approving it, and the rule a rejection may add. An edit keeps the
 * operation's kind and target (the server refuses anything else); these functions check that, and
 * the values, before anything is sent, so that a person sees a mistake next to what they typed.
 */

/** How a proposal's operation is edited: its record data, its message, or not at all. */
export type EditKind = 'recordData' | 'message' | 'none';

export function editKindOf(op: AiOperation): EditKind {
  if (op.type === 'record.create' || op.type === 'record.update') return 'recordData';
  if (op.type === 'outbox.send') return 'message';
  return 'none';
}

/**
 * The fields an edit shows: for a new record every field of its type (the proposal fills some),
 * for a change only the fields the change sets, in the schema's order.
 */
export function editableFields(entity: EntityTypeDef, op: AiOperation): FieldDef[] {
  if (op.type === 'record.create') return entity.fields;
  if (op.type === 'record.update') return entity.fields.filter((f) => f.key in op.data);
  return [];
}

export type EditRead =
  { ok: true; operation: AiOperation } | { ok: false; errors: FieldErrors; formError: string | null };

/**
 * The edited record data as the operation to approve. A new record is checked as a whole record;
 * a change as a patch of the fields it sets, where a field left empty is no longer changed.
 */
export function readDataEdit(entity: EntityTypeDef, op: AiOperation, values: FormValues): EditRead {
  if (op.type === 'record.create') {
    const read = readForm(entity, values);
    return read.ok ? { ok: true, operation: { ...op, data: read.data } } : read;
  }
  if (op.type !== 'record.update') {
    return { ok: false, errors: {}, formError: 'Only record changes are edited field by field.' };
  }
  const shown = { ...entity, fields: editableFields(entity, op) };
  const { data, errors } = formData(shown, values, op.data);
  // A value the proposal clears on purpose (null) stays cleared while the person leaves it empty.
  for (const field of shown.fields) {
    if (op.data[field.key] === null && data[field.key] === undefined && values[field.key] === '')
      data[field.key] = null;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors, formError: null };
  if (Object.keys(data).length === 0) {
    return {
      ok: false,
      errors: {},
      formError: 'Nothing is left to change. Reject the proposal instead if it should not happen.',
    };
  }
  const parsed = recordDataSchema(entity, 'partial').safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      if (typeof key === 'string') errors[key] ??= 'Check this value.';
    }
    return { ok: false, errors, formError: Object.keys(errors).length ? null : 'Check the values.' };
  }
  return { ok: true, operation: { ...op, data } };
}

/** The edited subject and body of an email (the recipient and the record it is about stay). */
export function readMessageEdit(
  op: AiOperation,
  subject: string,
  body: string,
): { ok: true; operation: AiOperation } | { ok: false; errors: { subject?: string; body?: string } } {
  if (op.type !== 'outbox.send') return { ok: false, errors: {} };
  const parsed = OutboxSendOperation.safeParse({ ...op, subject, body });
  if (parsed.success) return { ok: true, operation: parsed.data };
  const errors: { subject?: string; body?: string } = {};
  for (const issue of parsed.error.issues) {
    if (issue.path[0] === 'subject')
      errors.subject ??= subject.trim()
        ? 'Use at most 200 characters, with no control characters.'
        : 'Write a subject.';
    if (issue.path[0] === 'body')
      errors.body ??= body.trim() ? 'This message is too long.' : 'Write a message.';
  }
  return { ok: false, errors };
}

/** Whether an edit keeps the operation's kind and what it acts on, as the server requires. */
export function sameTarget(original: AiOperation, edited: AiOperation): boolean {
  switch (original.type) {
    case 'record.create':
      return (
        edited.type === original.type &&
        edited.entityType === original.entityType &&
        edited.id === original.id
      );
    case 'record.update':
    case 'record.delete':
    case 'record.restore':
      return edited.type === original.type && edited.id === original.id;
    case 'record.revert':
      return edited.type === original.type && edited.eventId === original.eventId;
    case 'outbox.send':
      return edited.type === original.type && edited.recordId === original.recordId;
  }
}

/** An operation edited as JSON text: it must parse, be an operation the AI may propose, and keep its target. */
export function readJsonEdit(
  text: string,
  original: AiOperation,
): { ok: true; operation: AiOperation } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'This is not valid JSON. Check the brackets, quotes and commas.' };
  }
  const parsed = AiOperation.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return {
      ok: false,
      message: `This is not an operation the AI may propose${where}: ${issue?.message ?? 'check it'}.`,
    };
  }
  if (!sameTarget(original, parsed.data)) {
    return {
      ok: false,
      message:
        'An edit keeps the kind of operation and what it acts on; reject the proposal to do something else.',
    };
  }
  return { ok: true, operation: parsed.data };
}

const VERBS: Record<AiOperation['type'], { slug: string; ing: string; base: string }> = {
  'record.create': { slug: 'create', ing: 'Creating', base: 'create' },
  'record.update': { slug: 'update', ing: 'Changing', base: 'change' },
  'record.delete': { slug: 'delete', ing: 'Deleting', base: 'delete' },
  'record.restore': { slug: 'restore', ing: 'Restoring', base: 'restore' },
  'record.revert': { slug: 'undo', ing: 'Undoing changes to', base: 'undo changes to' },
  'outbox.send': { slug: 'email', ing: 'Sending emails', base: 'send emails' },
};

/** A rule id from words: lower case, a-z, 0-9 and -, at most 40 characters, starting with a letter. */
export function ruleIdOf(words: string): string {
  const slug = words
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug.length >= 2 ? slug : 'ai-rule';
}

/** What a rule says, in a sentence, for an operation type on an entity type (or any record). */
export function ruleTextOf(
  type: AiOperation['type'],
  entity: EntityTypeDef | undefined,
  effect: RuleEffect,
): string {
  const verb = VERBS[type];
  const things = type === 'outbox.send' ? '' : ` ${entity?.pluralLabel.toLowerCase() ?? 'records'}`;
  if (effect === 'forbid') return `The AI may not ${verb.base}${things}.`;
  if (effect === 'guidance') return `Be careful when you ${verb.base}${things}.`;
  return `${verb.ing}${things} waits for a person’s approval.`;
}

export interface RuleDraft {
  id: string;
  text: string;
  effect: Exclude<RuleEffect, 'guidance'>;
  /** Which parts of the match apply: the operation type always; the entity type and fields when chosen. */
  byEntityType: boolean;
  byFields: boolean;
}

/** The entity type an operation acts on, when it is known (a create names it; others need the record). */
export function entityTypeOf(op: AiOperation, targetType: string | null | undefined): string | null {
  if (op.type === 'record.create') return op.entityType;
  if (op.type === 'outbox.send' || op.type === 'record.revert') return null;
  return targetType ?? null;
}

/** The rule a rejection suggests: this kind of operation on this entity type waits for a person. */
export function draftRule(
  op: AiOperation,
  entity: EntityTypeDef | undefined,
  entityType: string | null,
): RuleDraft {
  const verb = VERBS[op.type];
  const subject = entityType ? `-${humanise(entityType)}` : '';
  return {
    id: ruleIdOf(`ask-before-${verb.slug}${subject}`),
    text: ruleTextOf(op.type, entity, 'requireApproval'),
    effect: 'requireApproval',
    byEntityType: entityType !== null,
    byFields: false,
  };
}

/** The fields a rule may match on: those an update sets. */
export function fieldsOf(op: AiOperation): string[] {
  return op.type === 'record.update' || op.type === 'record.create' ? Object.keys(op.data) : [];
}

/** The draft as the constitution rule the rejection adds, checked with the contract's own schema. */
export function ruleOf(
  draft: RuleDraft,
  op: AiOperation,
  entityType: string | null,
):
  | { ok: true; rule: ConstitutionRule }
  | { ok: false; errors: { id?: string; text?: string; match?: string } } {
  const match: RuleMatch = { operations: [op.type] };
  if (draft.byEntityType && entityType) match.entityTypes = [entityType];
  const fields = fieldsOf(op);
  if (draft.byFields && fields.length > 0) match.fields = fields;
  const parsed = ConstitutionRule.safeParse({
    id: draft.id.trim(),
    text: draft.text,
    effect: draft.effect,
    match,
  });
  if (parsed.success) return { ok: true, rule: parsed.data };
  const errors: { id?: string; text?: string; match?: string } = {};
  for (const issue of parsed.error.issues) {
    const at = issue.path[0];
    if (at === 'id')
      errors.id ??=
        'Use 2 to 40 characters: lower-case letters, digits and -, starting with a letter (like ask-before-update-ticket).';
    else if (at === 'text')
      errors.text ??= draft.text.trim()
        ? 'Use at most 500 characters, with no control characters.'
        : 'Say what the rule is.';
    else errors.match ??= 'This rule cannot be matched to the operation.';
  }
  return { ok: false, errors };
}
