/**
 * Tells when the network came back. Electron's main process has no "online" event, so main polls
 * `net.isOnline()` and asks this whether the answer went from offline to online — the moment to
 * reconnect at once instead of waiting out the sync client's backoff.
 */
export class OnlineTransitions {
  private last: boolean | null = null;

  /** Records the latest observation; true only when it turns offline into online. */
  cameBack(online: boolean): boolean {
    const previous = this.last;
    this.last = online;
    return previous === false && online;
  }
}
