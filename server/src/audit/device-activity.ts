import type { AuditEvent, AuditPage, DeviceActivityQuery } from '@enclave/shared';
import { canSeeAuditEvent, type Permissions } from '../policy/policy';
import type { WorkspaceStore } from '../store/types';

const PAGE = 200;
/**
 * A member who may see few of the events must not make one request read the whole log: past this
 * many events scanned, the page ends early and `nextBefore` says where to carry on.
 */
const MAX_SCANNED = 2_000;

/** Newest first, the events `perms` may see, in pages of `query.limit`. */
export async function deviceActivity(
  ws: WorkspaceStore,
  perms: Permissions,
  query: DeviceActivityQuery,
): Promise<AuditPage> {
  const items: AuditEvent[] = [];
  let before = query.before;
  let scanned = 0;
  for (;;) {
    const page = await ws.queryAudit({ before, limit: PAGE });
    for (const event of page) {
      scanned += 1;
      before = event.seq;
      if (!canSeeAuditEvent(perms, event.target)) continue;
      items.push(event);
      if (items.length === query.limit) return { items, nextBefore: event.seq > 1 ? event.seq : null };
    }
    if (page.length < PAGE) return { items, nextBefore: null };
    if (scanned >= MAX_SCANNED) return { items, nextBefore: before ?? null };
  }
}
