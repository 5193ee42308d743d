import { findEntityType, type AuditEvent, type WorkspaceSchema } from '@enclave/shared';
import { displayValue, humanise, plainText as plain, recordTitle, type TitleLookup } from '../records';

/** One changed value of an audit event, ready to show. */
export interface ValueChange {
  key: string;
  label: string;
  before: string;
  after: string;
  /** A secret field: the view masks both sides until asked. */
  secret: boolean;
}

/** Fields every snapshot carries that say nothing a person needs (the event's own header says it). */
const BOOKKEEPING = new Set(['id', 'rev', 'seq', 'createdAt', 'updatedAt', 'deletedAt', 'type']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What an audit event changed, field by field. Record events compare the records' data with the
 * entity type's labels and formats (a field the schema no longer has still shows, by its key);
 * other events compare their snapshots' top-level values.
 */
export function changesOf(
  event: AuditEvent,
  schema: WorkspaceSchema | null,
  titles?: TitleLookup,
): ValueChange[] {
  const before = isObject(event.before) ? event.before : {};
  const after = isObject(event.after) ? event.after : {};

  if (event.target.kind === 'record') {
    const beforeData = isObject(before.data) ? before.data : {};
    const afterData = isObject(after.data) ? after.data : {};
    const entity =
      schema && event.target.entityType ? findEntityType(schema, event.target.entityType) : undefined;
    const known = entity?.fields ?? [];
    const keys = [
      ...known.map((f) => f.key),
      ...[...new Set([...Object.keys(beforeData), ...Object.keys(afterData)])]
        .filter((key) => !known.some((f) => f.key === key))
        .sort(),
    ];
    return keys
      .filter((key) => !same(beforeData[key], afterData[key]))
      .map((key) => {
        const field = known.find((f) => f.key === key);
        const show = (value: unknown) => (field ? displayValue(field, value, titles) : plain(value));
        return {
          key,
          label: field?.label ?? humanise(key),
          before: show(beforeData[key]),
          after: show(afterData[key]),
          secret: field?.sensitivity === 'secret',
        };
      });
  }

  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => !BOOKKEEPING.has(key))
    .sort();
  return keys
    .filter((key) => !same(before[key], after[key]))
    .map((key) => ({
      key,
      label: humanise(key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()),
      before: plain(before[key]),
      after: plain(after[key]),
      secret: /secret|token|hash|key$/i.test(key),
    }));
}

const RECORD_VERBS: Record<string, string> = {
  'record.create': 'created',
  'record.update': 'edited',
  'record.delete': 'deleted',
  'record.restore': 'restored',
  'record.revert': 'undid a change to',
};

const OTHER_ACTIONS: Record<string, string> = {
  'device.pair': 'paired a device',
  'device.rename': 'renamed a device',
  'device.revoke': 'removed a device',
  'device.wipe_confirmed': 'confirmed it deleted its local copy',
  'device.createPairing': 'created a pairing code',
  'device.cancelPairing': 'cancelled a pairing code',
  'member.invite': 'invited a member',
  'member.cancelInvitation': 'cancelled an invitation',
  'member.join': 'joined the workspace',
  'member.remove': 'removed a member',
  'member.setRoles': 'changed a member’s roles',
  'workspace.create': 'created the workspace',
  'workspace.rename': 'renamed the workspace',
  'workspace.delete': 'deleted the workspace',
  'schema.createEntityType': 'added a record type',
  'schema.updateEntityType': 'changed a record type',
  'schema.removeEntityType': 'removed a record type',
  'role.create': 'created a role',
  'role.update': 'changed a role',
  'role.remove': 'removed a role',
  'audit.exported': 'exported the audit log',
};

export interface EventSummary {
  /** e.g. "edited", "paired a device". */
  verb: string;
  /** e.g. "Client “Acme Ltd”", or null when the verb says it all. */
  target: string | null;
}

/** The sentence an event makes after its actor's name: "edited Client “Acme Ltd”". */
export function summarise(event: AuditEvent, schema: WorkspaceSchema | null): EventSummary {
  const before = isObject(event.before) ? event.before : {};
  const after = isObject(event.after) ? event.after : {};
  if (event.target.kind === 'record') {
    const entity =
      schema && event.target.entityType ? findEntityType(schema, event.target.entityType) : undefined;
    const data = isObject(after.data) ? after.data : isObject(before.data) ? before.data : {};
    const label = entity?.label ?? humanise(event.target.entityType ?? 'record');
    return {
      verb:
        RECORD_VERBS[event.action] ?? humanise(event.action.split('.').pop() ?? event.action).toLowerCase(),
      target: `${label} “${recordTitle(entity, data)}”`,
    };
  }
  // Devices, members and workspaces have a name; record types (schema events) a label; an
  // invitation only its address. Whoever joins is the actor already: no need to name them twice.
  const named =
    event.action === 'member.join'
      ? undefined
      : [after.name, before.name, after.label, before.label, after.email, before.email].find(
          (n): n is string => typeof n === 'string' && n !== '',
        );
  const known = OTHER_ACTIONS[event.action] ?? OTHER_ACTIONS[`${event.target.kind}.${event.action}`];
  if (known) return { verb: known, target: named ? `“${named}”` : null };
  const [domain = event.action, verb = ''] = event.action.split('.');
  return {
    verb:
      verb === ''
        ? humanise(domain).toLowerCase()
        : `${humanise(verb).toLowerCase()} ${humanise(domain).toLowerCase()}`,
    target: named ? `“${named}”` : null,
  };
}

const GROUPS: readonly [prefix: string, label: string][] = [
  ['record', 'Records'],
  ['member', 'Members'],
  ['device', 'Devices'],
  ['role', 'Roles'],
  ['schema', 'Schema'],
  ['workspace', 'Workspace'],
  ['audit', 'Audit log'],
];

export interface ActionChoice {
  action: string;
  /** e.g. "Edited a record", "Paired a device". */
  label: string;
}

/**
 * Every action the server records, in words, grouped by what it is about: the choices of an
 * "action" filter. The words are the ones the log itself uses, so a filter reads like its rows.
 */
export function auditActionChoices(): { label: string; actions: ActionChoice[] }[] {
  const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
  const all: ActionChoice[] = [
    ...Object.entries(RECORD_VERBS).map(([action, verb]) => ({
      action,
      label: sentence(`${verb} a record`),
    })),
    ...Object.entries(OTHER_ACTIONS).map(([action, verb]) => ({
      action,
      label: sentence(action === 'device.wipe_confirmed' ? `a device ${verb}` : verb),
    })),
  ];
  return GROUPS.map(([prefix, label]) => ({
    label,
    actions: all.filter((choice) => choice.action.startsWith(`${prefix}.`)),
  })).filter((group) => group.actions.length > 0);
}
