import type { AuditEvent } from '@enclave/shared';

export const CSV_COLUMNS = [
  'seq',
  'id',
  'time',
  'actor_kind',
  'actor_id',
  'actor_label',
  'action',
  'target_kind',
  'target_entity_type',
  'target_id',
  'ip',
  'user_agent',
  'request_id',
  'before',
  'after',
  'details',
  'prev_hash',
  'hash',
] as const;

/**
 * One CSV cell. Cells that a spreadsheet would run as a formula are prefixed with a quote
 * (CSV injection), then the cell is quoted if it needs to be.
 */
export function csvCell(value: unknown): string {
  let text =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(e: AuditEvent): string {
  const cells = [
    e.seq,
    e.id,
    e.time,
    e.actor.kind,
    e.actor.id,
    e.actor.label,
    e.action,
    e.target.kind,
    e.target.entityType,
    e.target.id,
    e.ip,
    e.userAgent,
    e.requestId,
    e.before,
    e.after,
    e.details,
    e.prevHash,
    e.hash,
  ];
  return cells.map((c) => csvCell(typeof c === 'number' ? String(c) : c)).join(',');
}
