import {
  findEntityType,
  type AiOperation,
  type ArgumentProvenance,
  type ArgumentSource,
  type FieldDef,
  type WorkspaceRecord,
} from '@enclave/shared';
import { containsWord, normalise, WITHHELD, type ModelContext } from './context';
import { isSensitiveField } from './risk';

/**
 * Stage 7 of the AI pipeline: provenance. Every argument of a proposed operation is traced,
 * outside the model, to where its value came from: the person's own words, a typed field of a
 * record the request is about, text that others wrote (records, emails, the audit log), or
 * nowhere (the model made it up). The model cannot vouch for an argument: a value counts as the
 * person's only if it is in what they wrote or pointed at. An operation whose sensitive argument
 * came from record text never runs on its own (see trust.ts), which is what holds when record
 * text has steered the model.
 */

const FREE_TEXT = new Set(['text', 'longText']);
/** Values shorter than this are too common to trace an outbound body's contents by. */
const DISTINCTIVE_LENGTH = 8;

interface Traced {
  source: ArgumentSource;
  recordIds: string[];
}

function candidatesOf(field: FieldDef | undefined, value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (field?.type === 'money' && typeof value === 'number') {
    const major = value / 100;
    const grouped = major.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return [
      String(value),
      String(major),
      major.toFixed(2),
      major.toFixed(2).replace('.', ','),
      grouped,
      grouped.replace(/\.00$/, ''),
      // 12.500,00: the grouping of most of Europe.
      grouped.replace(/,/g, ' ').replace('.', ',').replace(/ /g, '.'),
    ];
  }
  if (typeof value === 'boolean') {
    // "mark it paid" says `paid: true` by naming the field.
    return field ? [field.key.replace(/_/g, ' '), field.label] : [String(value)];
  }
  if (typeof value === 'string' || typeof value === 'number') return [String(value)];
  return [JSON.stringify(value)];
}

function inRequest(context: ModelContext, candidates: string[]): boolean {
  return candidates.some((c) => containsWord(context.request, c));
}

/** Typed values (not free text) of the records the request is about, and the members' addresses. */
function inNamedRecords(context: ModelContext, candidates: string[]): boolean {
  const wanted = new Set(candidates.map(normalise));
  for (const item of context.records.values()) {
    if (!item.about) continue;
    for (const field of item.entity.fields) {
      const value = item.shown[field.key];
      if (FREE_TEXT.has(field.type) || value === undefined || value === WITHHELD) continue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (wanted.has(normalise(text))) return true;
    }
  }
  return context.members.some((m) => wanted.has(normalise(m.email)));
}

function inRecordText(context: ModelContext, candidates: string[], except: string | null = null): string[] {
  const ids = new Set<string>();
  for (const text of context.untrusted) {
    // A record's own title in its own fields says nothing of who chose it.
    if (except !== null && text.recordId === except) continue;
    if (candidates.some((c) => containsWord(text.text, c))) {
      ids.add(text.recordId ?? `event:${text.eventId ?? ''}`);
    }
  }
  return [...ids];
}

function trace(context: ModelContext, candidates: string[], typed: boolean): Traced {
  if (candidates.length === 0 || inRequest(context, candidates)) return { source: 'request', recordIds: [] };
  if (typed && inNamedRecords(context, candidates)) return { source: 'namedRecord', recordIds: [] };
  const recordIds = inRecordText(context, candidates);
  return recordIds.length > 0 ? { source: 'recordText', recordIds } : { source: 'model', recordIds: [] };
}

/** Where the choice of a target record came from: the record open or named, or someone's text. */
function traceRecord(context: ModelContext, id: string): Traced {
  const item = context.records.get(id);
  if (id === context.focusId) return { source: 'request', recordIds: [] };
  if (item && containsWord(context.request, item.title)) return { source: 'request', recordIds: [] };
  if (item?.about) return { source: 'namedRecord', recordIds: [] };
  const candidates = item && item.title !== id ? [id, item.title] : [id];
  const recordIds = inRecordText(context, candidates, id);
  return recordIds.length > 0 ? { source: 'recordText', recordIds } : { source: 'model', recordIds: [] };
}

function entry(path: string, traced: Traced, sensitive: boolean): ArgumentProvenance {
  return { path, source: traced.source, recordIds: traced.recordIds, sensitive };
}

/**
 * Values of records the message is not about, found in an outbound body: what a steered model
 * would smuggle out (another client's address, someone's notes).
 */
function smuggled(context: ModelContext, body: string, allowed: ReadonlySet<string>): string[] {
  const ids = new Set<string>();
  for (const item of context.records.values()) {
    if (allowed.has(item.record.id)) continue;
    for (const value of Object.values(item.shown)) {
      if (typeof value !== 'string' || value === WITHHELD || value.length < DISTINCTIVE_LENGTH) continue;
      if (normalise(body).includes(normalise(value))) ids.add(item.record.id);
    }
  }
  return [...ids];
}

/** The records a message may speak of: the one it is about, and the records that one points to. */
function messageRecords(context: ModelContext, recordId: string | null): ReadonlySet<string> {
  const allowed = new Set<string>();
  const item = recordId === null ? undefined : context.records.get(recordId);
  if (!item) return allowed;
  allowed.add(item.record.id);
  for (const field of item.entity.fields) {
    const ref = item.record.data[field.key];
    if (field.type === 'reference' && typeof ref === 'string') allowed.add(ref);
  }
  return allowed;
}

/** Addresses, links, account numbers and long numbers: what an injection wants a message to carry. */
const IDENTIFIER =
  /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?:\/\/\S+|\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,4})?\b|\b\d[\d -]{6,}\d\b/g;

/**
 * Identifiers in an outbound body that the person did not write and that others' text holds (an
 * IBAN pasted into a ticket, an address in a forwarded email): the records whose text holds them.
 */
function liftedIdentifiers(context: ModelContext, body: string): string[] {
  const ids = new Set<string>();
  for (const match of body.match(IDENTIFIER) ?? []) {
    const token = match.replace(/[.,;:)]+$/, '');
    if (containsWord(context.request, token)) continue;
    const compact = normalise(token).replace(/\s+/g, '');
    for (const text of context.untrusted) {
      if (normalise(text.text).replace(/\s+/g, '').includes(compact))
        ids.add(text.recordId ?? `event:${text.eventId ?? ''}`);
    }
  }
  return [...ids];
}

/** The verbs that ask for each kind of operation, in the person's words or in others' text. */
const VERBS: Partial<Record<AiOperation['type'], RegExp>> = {
  'record.delete': /\b(delete|remove|erase|purge|drop|get rid of)\b/i,
  'record.restore': /\b(restore|undelete|bring back|recover|reinstate)\b/i,
  'record.revert': /\b(undo|revert|roll ?back|reverse)\b/i,
  'outbox.send': /\b(send|e-?mail|mail|reply|forward|write to|notify)\b/i,
};

/** What each feature that works on one record is for: anything else was not asked for. */
function withinRemit(context: ModelContext, op: AiOperation): boolean {
  switch (context.feature) {
    case 'triage':
      return op.type === 'record.update' && op.id === context.focusId;
    case 'draftReply':
      return op.type === 'outbox.send';
    case 'summary':
      return false;
    case 'assistant':
    case 'auditQuestions': {
      const verb = VERBS[op.type];
      return verb === undefined || verb.test(context.request);
    }
  }
}

/**
 * Whether the kind of operation was asked for: an operation the request's feature or words do
 * not ask for (a deletion proposed while triaging, a message while summarising) came from
 * somewhere else — others' text, when it asks for it.
 */
function traceOperation(context: ModelContext, op: AiOperation): ArgumentProvenance | null {
  if (withinRemit(context, op)) return null;
  const verb = VERBS[op.type];
  const asking = context.untrusted.filter((t) => (verb ? verb.test(t.text) : true));
  const recordIds = [...new Set(asking.map((t) => t.recordId ?? `event:${t.eventId ?? ''}`))];
  return recordIds.length > 0
    ? { path: 'type', source: 'recordText', recordIds, sensitive: true }
    : { path: 'type', source: 'model', recordIds: [], sensitive: true };
}

export function provenanceOf(
  op: AiOperation,
  context: ModelContext,
  target: Pick<WorkspaceRecord, 'type'> | null,
  sensitiveChange: boolean,
): ArgumentProvenance[] {
  const args = argumentsOf(op, context, target, sensitiveChange);
  const kind = traceOperation(context, op);
  return kind ? [kind, ...args] : args;
}

function argumentsOf(
  op: AiOperation,
  context: ModelContext,
  target: Pick<WorkspaceRecord, 'type'> | null,
  sensitiveChange: boolean,
): ArgumentProvenance[] {
  const entity = findEntityType(
    context.schema,
    op.type === 'record.create' ? op.entityType : (target?.type ?? ''),
  );
  const dataArguments = (data: Record<string, unknown>) =>
    Object.entries(data).map(([key, value]) => {
      const field = entity?.fields.find((f) => f.key === key);
      const sensitive = !field || isSensitiveField(field);
      const traced =
        field?.type === 'reference' && typeof value === 'string'
          ? traceRecord(context, value)
          : trace(context, candidatesOf(field, value), !field || !FREE_TEXT.has(field.type));
      return entry(`data.${key}`, traced, sensitive);
    });

  switch (op.type) {
    case 'record.create':
      return [entry('entityType', { source: 'request', recordIds: [] }, false), ...dataArguments(op.data)];
    case 'record.update': {
      // Which record to change is sensitive when the change is, and whenever the person did not
      // point at it: a record chosen from others' text is how an injection aims.
      const target = traceRecord(context, op.id);
      const pointedAt = target.source === 'request' || target.source === 'namedRecord';
      return [entry('id', target, sensitiveChange || !pointedAt), ...dataArguments(op.data)];
    }
    case 'record.delete':
      return [entry('id', traceRecord(context, op.id), true)];
    case 'record.restore': {
      // Bringing back a record the person did not point at is how a deleted fraud comes back.
      const target = traceRecord(context, op.id);
      return [entry('id', target, target.source !== 'request' && target.source !== 'namedRecord')];
    }
    case 'record.revert': {
      const event = context.events.get(op.eventId)?.event;
      // "Undo that": the person's own change (or one the AI made for them) is theirs to name.
      const own =
        event !== undefined &&
        event.actor.id === context.requesterId &&
        /\b(undo|revert)\b/i.test(context.request);
      const traced: Traced = containsWord(context.request, op.eventId)
        ? { source: 'request', recordIds: [] }
        : own
          ? { source: 'request', recordIds: [] }
          : event
            ? { source: 'recordText', recordIds: [`event:${op.eventId}`] }
            : { source: 'model', recordIds: [] };
      return [entry('eventId', traced, true)];
    }
    case 'outbox.send': {
      const leaked = [
        ...new Set([
          ...smuggled(context, op.body, messageRecords(context, op.recordId ?? null)),
          ...liftedIdentifiers(context, op.body),
        ]),
      ];
      return [
        entry('to', trace(context, [op.to], true), true),
        entry('subject', trace(context, [op.subject], false), false),
        leaked.length > 0
          ? entry('body', { source: 'recordText', recordIds: leaked }, true)
          : entry('body', { source: 'model', recordIds: [] }, false),
        ...(op.recordId === undefined ? [] : [entry('recordId', traceRecord(context, op.recordId), true)]),
      ];
    }
  }
}

/** A sensitive argument came from others' text: shown as "from record text". */
export function fromRecordText(provenance: readonly ArgumentProvenance[]): boolean {
  return provenance.some((p) => (p.sensitive || p.path === 'type') && p.source === 'recordText');
}

/** A sensitive argument came from nowhere the person wrote or pointed at. */
export function madeUp(provenance: readonly ArgumentProvenance[]): boolean {
  return provenance.some((p) => p.sensitive && p.source === 'model');
}
