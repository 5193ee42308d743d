import type { AuditEvent, AuditExportFilter } from '@enclave/shared';

/**
 * The audit log's filter as the page keeps it: in the URL's query string, under the API's own
 * names (`actorId`, `action`, `from`, …), so that a filtered view can be linked and reloaded and
 * the server is asked exactly what the address says.
 */
export type AuditFilter = Partial<Record<FilterKey, string>>;

export const FILTER_KEYS = [
  'actorId',
  'actorKind',
  'action',
  'entityType',
  'recordId',
  'from',
  'to',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export function filterFromQuery(query: URLSearchParams): AuditFilter {
  const filter: AuditFilter = {};
  for (const key of FILTER_KEYS) {
    const value = query.get(key)?.trim();
    if (value) filter[key] = value;
  }
  return filter;
}

/** The query string of a filter (without `?`), its keys always in the same order. */
export function queryOfFilter(filter: AuditFilter): string {
  const query = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filter[key];
    if (value) query.set(key, value);
  }
  return query.toString();
}

export const isFiltered = (filter: AuditFilter) => FILTER_KEYS.some((key) => filter[key]);

/**
 * The filter as the API's query takes it. The values are sent as they are: the server checks
 * them, and a refusal is shown next to the filters.
 */
export function apiFilter(filter: AuditFilter): AuditExportFilter {
  return filter as AuditExportFilter;
}

/**
 * Whether the server would list `event` under `filter`: a live event joins the page only when it
 * would. Times compare as the server compares them, as ISO text.
 */
export function matchesFilter(filter: AuditFilter, event: AuditEvent): boolean {
  if (filter.actorId && event.actor.id !== filter.actorId) return false;
  if (filter.actorKind && event.actor.kind !== filter.actorKind) return false;
  if (filter.action && event.action !== filter.action) return false;
  if (filter.entityType && event.target.entityType !== filter.entityType) return false;
  if (filter.recordId && (event.target.kind !== 'record' || event.target.id !== filter.recordId))
    return false;
  if (filter.from && event.time < filter.from) return false;
  if (filter.to && event.time > filter.to) return false;
  return true;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO time as a `datetime-local` input shows it: the minute, in this computer's time zone. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return '';
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}T${pad(time.getHours())}:${pad(time.getMinutes())}`;
}

/**
 * A `datetime-local` value as the ISO time the API wants. `edge: 'end'` is the last millisecond of
 * that minute, so that "to 15:49" includes what happened during 15:49.
 */
export function fromLocalInput(local: string, edge: 'start' | 'end'): string | undefined {
  if (!local) return undefined;
  const time = new Date(local).getTime();
  if (Number.isNaN(time)) return undefined;
  return new Date(edge === 'end' ? time + 59_999 : time).toISOString();
}
