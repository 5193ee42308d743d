/** What main knows of the frame a message came from (Electron's `WebFrameMain`, in part). */
export interface SenderFrame {
  readonly url: string;
  /** null for a window's top frame. */
  readonly parent: unknown;
}

/**
 * A message is trusted only from the top frame of a page of the app itself. Iframes, and pages
 * the window was somehow navigated to, are refused — the navigation guard should keep them out,
 * and this check does not rely on it. Compared by scheme and host, since a custom scheme such as
 * `app://` has the opaque origin "null" in WHATWG URLs.
 */
export function isTrustedSender(frame: SenderFrame | null | undefined, appUrl: string): boolean {
  if (!frame || frame.parent !== null) return false;
  if (!URL.canParse(frame.url)) return false;
  const from = new URL(frame.url);
  const app = new URL(appUrl);
  return from.protocol === app.protocol && from.host === app.host && from.host !== '';
}
