import type { MouseEvent, ReactNode } from 'react';

/** What an event link may use to point at the event: the caller's app knows where events are shown. */
export interface EventHint {
  seq?: number;
  action?: string;
  /** The record the event changed, when known. */
  recordId?: string | null;
  entityType?: string | null;
}

/**
 * Where the AI's references lead: each app has its own addresses for records, audit events and
 * proposals. A missing function shows the reference as text instead of a link. `onFollow` follows
 * a link inside the app without reloading (the console's router); a click with a modifier key
 * still opens the link as the browser would.
 */
export interface AiLinks {
  recordHref?: (id: string, type?: string) => string;
  eventHref?: (id: string, hint: EventHint) => string;
  proposalHref?: (id: string) => string;
  onFollow?: (href: string) => void;
}

export function AiLink({
  href,
  onFollow,
  children,
  className,
  testId,
  label,
}: {
  href: string;
  onFollow?: (href: string) => void;
  children: ReactNode;
  className?: string;
  testId?: string;
  label?: string;
}) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (!onFollow || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
      return;
    event.preventDefault();
    onFollow(href);
  };
  return (
    <a href={href} onClick={onClick} className={className} data-testid={testId} aria-label={label}>
      {children}
    </a>
  );
}
