import type { AiLinks } from '@enclave/ui';

/** Where an AI reference leads inside the app: a record in its list, or a proposal in the queue. */
export type AiDestination =
  { kind: 'record'; id: string; type: string | null } | { kind: 'proposal'; id: string };

const RECORD = '#record/';
const PROPOSAL = '#proposal/';

/**
 * The app's addresses for the AI's references. They are fragments, never followed by the window
 * (the app has no pages to load): a click opens the record or the proposal in the app instead.
 * Audit events have no link here: the app's activity view has no place for a single event.
 */
export function desktopAiLinks(open: (destination: AiDestination) => void): AiLinks {
  return {
    recordHref: (id, type) =>
      `${RECORD}${encodeURIComponent(id)}${type ? `/${encodeURIComponent(type)}` : ''}`,
    proposalHref: (id) => `${PROPOSAL}${encodeURIComponent(id)}`,
    onFollow: (href) => {
      const destination = destinationOf(href);
      if (destination) open(destination);
    },
  };
}

/** What a link of `desktopAiLinks` points at, or null for anything else. */
export function destinationOf(href: string): AiDestination | null {
  const decode = (part: string | undefined) => {
    if (!part) return null;
    try {
      return decodeURIComponent(part);
    } catch {
      return null;
    }
  };
  if (href.startsWith(RECORD)) {
    const [idPart, typePart, ...rest] = href.slice(RECORD.length).split('/');
    const id = decode(idPart);
    if (id === null || rest.length > 0) return null;
    return { kind: 'record', id, type: decode(typePart) };
  }
  if (href.startsWith(PROPOSAL)) {
    const id = decode(href.slice(PROPOSAL.length));
    return id === null ? null : { kind: 'proposal', id };
  }
  return null;
}
