import type { AiLinks } from '@enclave/ui';
import { BASE, navigate } from '../app/router';

/**
 * Where the AI's references lead in the console: records open on the Records page, proposals on
 * the Proposals page, audit events on the audit log — filtered to the record the event changed
 * when it is known, else to its action, since the log has no page for one event.
 */
export function consoleAiLinks(workspaceId: string): AiLinks {
  const w = `${BASE}/w/${encodeURIComponent(workspaceId)}`;
  return {
    recordHref: (id, type) => {
      const query = new URLSearchParams();
      if (type) query.set('type', type);
      query.set('record', id);
      return `${w}/records?${query.toString()}`;
    },
    eventHref: (_id, hint) => {
      const query = new URLSearchParams();
      if (hint.recordId) query.set('recordId', hint.recordId);
      else if (hint.action) query.set('action', hint.action);
      const search = query.toString();
      return `${w}/audit${search ? `?${search}` : ''}`;
    },
    proposalHref: (id) => `${w}/proposals?proposal=${encodeURIComponent(id)}`,
    onFollow: (href) => navigate(href.startsWith(BASE) ? href.slice(BASE.length) : href),
  };
}

/** Whether the person may undo a record change at all: every role but viewer can write some records. */
export function mayUndo(roles: readonly string[]): boolean {
  return roles.some((role) => role !== 'viewer');
}
