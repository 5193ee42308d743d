import {
  findEntityType,
  type AiFeature,
  type AuditEvent,
  type EntityTypeDef,
  type FieldDef,
  type WorkspaceRecord,
  type WorkspaceSchema,
} from '@enclave/shared';
import { notFound } from '../engine/errors';
import { canRecord, canSeeAuditEvent, type Permissions } from '../policy/policy';
import type { MemberRow, WorkspaceStore } from '../store/types';

/**
 * Stage 2 of the AI pipeline: the context. The model gets the workspace schema and only the
 * records the request is about or mentions, as the person may read them:
 * - fields marked `secret` never leave the server, in records and in audit events alike;
 * - `pii` fields only of the records the request is about (the one open, the ones it names, and
 *   the records those point to); elsewhere they are withheld;
 * - nothing of accounts, sessions, tokens, keys or devices is ever read here;
 * - every text that others wrote is fenced as untrusted data, in a way no text inside can close.
 */

export const WITHHELD = '[withheld: personal data]';
const MAX_TERMS = 8;
const HITS_PER_TERM = 5;
const MAX_RECORDS = 30;
const EVENTS_PER_RECORD = 10;
const DEFAULT_RECENT_EVENTS = 20;
const MAX_RECENT_EVENTS = 50;

/** Words too common to find a record by. */
const STOPWORDS = new Set(
  'the and for with about that this what who when where which why how show list last changes changed change undo mark make create add new set update delete remove paid please from into onto than then them they their there here have has had was were will would could should can may might all any some our your you me my mine ticket tickets invoice invoices client clients record records week month today yesterday'.split(
    ' ',
  ),
);

export interface ContextRecord {
  record: WorkspaceRecord;
  entity: EntityTypeDef;
  title: string;
  /** The request is about it: it is open, named in the request, or one of those points to it. */
  about: boolean;
  /** What the model sees of its data: no secret field, and personal data only if `about`. */
  shown: Record<string, unknown>;
}

export interface ContextEvent {
  event: AuditEvent;
  /** What the model sees of it. */
  shown: Record<string, unknown>;
}

/** A text the model read that someone other than the person asking could have written. */
export interface UntrustedText {
  recordId: string | null;
  eventId: string | null;
  text: string;
}

export interface ModelContext {
  feature: AiFeature;
  /** The person's own words (for features without a message: what the feature asks for). */
  request: string;
  /** The record the request was made on, if any. */
  focusId: string | null;
  requesterId: string;
  schema: WorkspaceSchema;
  records: Map<string, ContextRecord>;
  events: Map<string, ContextEvent>;
  members: { email: string; name: string }[];
  untrusted: UntrustedText[];
}

export interface ContextInput {
  ws: WorkspaceStore;
  schema: WorkspaceSchema;
  perms: Permissions;
  userId: string;
  feature: AiFeature;
  request: string;
  recordId: string | null;
}

/** The schema as the model sees it: secret fields are not there at all. */
export function visibleSchema(schema: WorkspaceSchema, perms: Permissions): WorkspaceSchema {
  return {
    version: schema.version,
    entityTypes: schema.entityTypes
      .filter((e) => canRecord(perms, 'read', e.key))
      .map((e) => ({ ...e, fields: e.fields.filter((f) => f.sensitivity !== 'secret') })),
  };
}

/** A record's title; a personal or secret title field is shown only where its value may be. */
export function titleOf(entity: EntityTypeDef | undefined, record: WorkspaceRecord, about = true): string {
  const field = entity?.fields.find((f) => f.key === entity.titleField);
  if (!field || field.sensitivity === 'secret' || (field.sensitivity === 'pii' && !about)) return record.id;
  const value = record.data[field.key];
  return typeof value === 'string' && value.length > 0 ? value : record.id;
}

/** Lower-case, NFKC, one space between words: how request and record text are compared. */
export function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function termsOf(request: string): string[] {
  const words = request.match(/[\p{L}\p{N}][\p{L}\p{N}_.@'-]{2,}/gu) ?? [];
  const terms: string[] = [];
  for (const raw of words) {
    const word = raw.replace(/['.-]+$/, '');
    if (word.length < 3 || STOPWORDS.has(word.toLowerCase())) continue;
    if (!terms.some((t) => t.toLowerCase() === word.toLowerCase())) terms.push(word);
  }
  // Words that look like names or numbers (INV-0089, Globex) first: a long request keeps them.
  const likeName = (w: string) => /[\p{Lu}\p{N}]/u.test(w);
  return [...terms.filter(likeName), ...terms.filter((w) => !likeName(w))].slice(0, MAX_TERMS);
}

function wordIn(haystack: string, needle: string): boolean {
  const n = normalise(needle);
  if (n.length === 0) return false;
  const h = normalise(haystack);
  let at = h.indexOf(n);
  while (at !== -1) {
    const before = at === 0 ? '' : h.charAt(at - 1);
    const after = h.charAt(at + n.length);
    if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after)) return true;
    at = h.indexOf(n, at + 1);
  }
  return false;
}
export { wordIn as containsWord };

function shownValue(field: FieldDef, value: unknown, about: boolean): unknown {
  if (field.sensitivity === 'pii' && !about) return WITHHELD;
  return value;
}

function show(entity: EntityTypeDef, data: Record<string, unknown>, about: boolean): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const field of entity.fields) {
    if (field.sensitivity === 'secret' || data[field.key] === undefined) continue;
    shown[field.key] = shownValue(field, data[field.key], about);
  }
  return shown;
}

const TEXT_TYPES = new Set(['text', 'longText', 'email', 'phone', 'enum']);

function asksAboutHistory(feature: AiFeature, request: string): boolean {
  return (
    feature === 'auditQuestions' ||
    feature === 'summary' ||
    /\b(change[sd]?|history|activity|undo|revert|who|when|last|recent|happened)\b/i.test(request)
  );
}

function recentCount(request: string): number {
  const match = /\blast\s+(\d{1,3})\b/i.exec(request);
  const n = match ? Number(match[1]) : DEFAULT_RECENT_EVENTS;
  return Math.min(Math.max(n, 1), MAX_RECENT_EVENTS);
}

export async function buildContext(input: ContextInput): Promise<ModelContext> {
  const { ws, perms } = input;
  const schema = visibleSchema(input.schema, perms);
  const readable = schema.entityTypes;
  const records = new Map<string, ContextRecord>();
  const named = new Set<string>();

  const add = (record: WorkspaceRecord, about: boolean) => {
    const entity = findEntityType(schema, record.type);
    if (!entity || !canRecord(perms, 'read', record.type)) return;
    const existing = records.get(record.id);
    if (existing && (existing.about || !about)) return;
    if (!existing && records.size >= MAX_RECORDS) return;
    records.set(record.id, {
      record,
      entity,
      title: titleOf(entity, record, about),
      about,
      shown: show(entity, record.data, about),
    });
  };

  if (input.recordId !== null) {
    const focus = await ws.getRecord(input.recordId);
    // A record the person may not read is, to them, no record.
    if (!focus || !canRecord(perms, 'read', focus.type)) throw notFound('Record');
    named.add(focus.id);
    add(focus, true);
  }

  // Records the request names by their title: a range scan of the title's index for each word
  // (as written, capitalised and in capitals), so a large workspace costs a few index seeks.
  for (const term of termsOf(input.request)) {
    for (const entity of readable) {
      for (const hit of await titleMatches(ws, entity, term)) {
        const isNamed = wordIn(input.request, titleOf(entity, hit)) || wordIn(titleOf(entity, hit), term);
        if (isNamed) named.add(hit.id);
        add(hit, isNamed);
      }
    }
  }

  // The records the named ones point to (a ticket's client, an invoice's client) are part of what it is about.
  for (const id of [...named]) {
    const item = records.get(id);
    if (!item) continue;
    for (const field of item.entity.fields) {
      const ref = item.record.data[field.key];
      if (field.type !== 'reference' || typeof ref !== 'string') continue;
      const target = await ws.getRecord(ref);
      if (target && target.deletedAt === null) add(target, true);
    }
  }

  const events = new Map<string, ContextEvent>();
  const addEvent = (event: AuditEvent) => {
    if (events.has(event.id) || !canSeeAuditEvent(perms, event.target)) return;
    events.set(event.id, { event, shown: showEvent(event, schema, records) });
  };
  if (asksAboutHistory(input.feature, input.request)) {
    for (const item of records.values()) {
      if (!item.about) continue;
      for (const event of await ws.queryAudit({ recordId: item.record.id, limit: EVENTS_PER_RECORD }))
        addEvent(event);
    }
    const recent = await ws.queryAudit({ limit: recentCount(input.request) * 2 });
    for (const event of recent.slice(0, recentCount(input.request))) addEvent(event);
    if (/\b(undo|revert)\b/i.test(input.request)) {
      for (const event of await ws.queryAudit({ actorId: input.userId, limit: 5 })) addEvent(event);
    }
  }

  const members =
    input.feature === 'triage'
      ? (await ws.listMembers())
          .filter((m) => memberCanWork(m))
          .map((m) => ({ email: m.email, name: m.name }))
      : [];

  const untrusted: UntrustedText[] = [];
  for (const item of records.values()) {
    for (const value of Object.values(item.shown)) {
      if (typeof value === 'string' && value !== WITHHELD) {
        untrusted.push({ recordId: item.record.id, eventId: null, text: value });
      }
    }
  }
  for (const { event, shown } of events.values()) {
    untrusted.push({ recordId: null, eventId: event.id, text: JSON.stringify(shown) });
  }

  return {
    feature: input.feature,
    request: input.request,
    focusId: input.recordId,
    requesterId: input.userId,
    schema,
    records,
    events,
    members,
    untrusted,
  };
}

/** Records of a type whose title starts with the term; through the title field's index when it has one. */
async function titleMatches(
  ws: WorkspaceStore,
  entity: EntityTypeDef,
  term: string,
): Promise<WorkspaceRecord[]> {
  const title = entity.fields.find((f) => f.key === entity.titleField);
  if (!title || title.sensitivity === 'secret' || !TEXT_TYPES.has(title.type)) return [];
  const fieldTypes = new Map(entity.fields.map((f) => [f.key, f.type]));
  if (!title.indexed) {
    return ws.listRecords(
      { type: entity.key, q: term, sort: 'updatedAt', order: 'desc', limit: HITS_PER_TERM, after: null },
      fieldTypes,
      [title.key],
    );
  }
  const variants = new Set([term, term.charAt(0).toUpperCase() + term.slice(1), term.toUpperCase()]);
  const found = new Map<string, WorkspaceRecord>();
  for (const prefix of variants) {
    const hits = await ws.listRecords(
      {
        type: entity.key,
        filter: [
          { field: title.key, op: 'gte', value: prefix },
          { field: title.key, op: 'lt', value: `${prefix}\uffff` },
        ],
        sort: title.key,
        order: 'asc',
        limit: HITS_PER_TERM,
        after: null,
      },
      fieldTypes,
      [],
    );
    for (const hit of hits) found.set(hit.id, hit);
  }
  return [...found.values()].slice(0, HITS_PER_TERM);
}

function memberCanWork(member: MemberRow): boolean {
  return !member.roles.every((r) => r === 'viewer');
}

/** An audit event as the model sees it: who, what, when, and the fields that changed — never a secret one. */
function showEvent(
  event: AuditEvent,
  schema: WorkspaceSchema,
  records: Map<string, ContextRecord>,
): Record<string, unknown> {
  const shown: Record<string, unknown> = {
    id: event.id,
    seq: event.seq,
    time: event.time,
    actor: { kind: event.actor.kind, label: event.actor.label },
    action: event.action,
    target: event.target,
  };
  if (event.target.kind !== 'record' || event.target.entityType === null) return shown;
  const entity = findEntityType(schema, event.target.entityType);
  if (!entity) return shown;
  const about = event.target.id !== null && (records.get(event.target.id)?.about ?? false);
  const dataOf = (state: unknown) =>
    state && typeof state === 'object' && 'data' in state
      ? (state as { data: Record<string, unknown> }).data
      : {};
  const before = dataOf(event.before);
  const after = dataOf(event.after);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of entity.fields) {
    if (field.sensitivity === 'secret') continue;
    const from = before[field.key];
    const to = after[field.key];
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes[field.key] = {
      from: from === undefined ? null : shownValue(field, from, about),
      to: to === undefined ? null : shownValue(field, to, about),
    };
  }
  shown.changes = changes;
  if (event.target.id !== null) {
    const title = records.get(event.target.id)?.title;
    if (title) shown.recordTitle = title;
  }
  return shown;
}
