import {
  createContext,
  useContext,
  useEffect,
  useMemo,
  useState,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
} from 'react';

/** Every console page is under this path; links inside the console are written without it. */
export const BASE = '/console';

export interface Location {
  /** The path inside the console, e.g. `/w/<id>/devices`; `/` for the start page. */
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  const path = window.location.pathname.startsWith(BASE)
    ? window.location.pathname.slice(BASE.length) || '/'
    : '/';
  return { path, query: new URLSearchParams(window.location.search) };
}

const RouterContext = createContext<Location | null>(null);
const listeners = new Set<() => void>();

/** Goes to a console page without reloading; `replace` leaves no history entry (redirects). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${BASE}${to.startsWith('/') ? to : `/${to}`}`;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  for (const listener of listeners) listener();
  window.scrollTo(0, 0);
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return <RouterContext.Provider value={location}>{children}</RouterContext.Provider>;
}

export function useLocation(): Location {
  const location = useContext(RouterContext);
  if (!location) throw new Error('useLocation outside RouterProvider');
  return location;
}

/**
 * Matches a path against a pattern with `:name` segments; the parameters, or null. `*` at the end
 * matches the rest.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  const rest = want.at(-1) === '*';
  if (rest ? have.length < want.length - 1 : have.length !== want.length) return null;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    if (segment === '*') break;
    const value = have[i];
    if (value === undefined) return null;
    if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(value);
    else if (segment !== value) return null;
  }
  return params;
}

/** A link to a console page: a real `<a href>` (open in a new tab works), followed without a reload. */
export function Link({
  to,
  children,
  ...rest
}: { to: string; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const href = `${BASE}${to}`;
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
      return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={href} onClick={onClick}>
      {children}
    </a>
  );
}

/** The query string as an object that re-renders when it changes. */
export function useQuery(): URLSearchParams {
  const { query } = useLocation();
  return useMemo(() => new URLSearchParams(query), [query]);
}
