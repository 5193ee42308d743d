import { net, powerMonitor } from 'electron';
import { OnlineTransitions } from '../shell/online-transitions';

const POLL_MS = 5_000;

/**
 * Calls `reconnect` when the machine wakes up and when the network comes back, so sync resumes at
 * once rather than after the backoff it was waiting out. Returns the function that stops it.
 */
export function watchConnectivity(reconnect: () => void): () => void {
  const onResume = () => reconnect();
  powerMonitor.on('resume', onResume);
  powerMonitor.on('unlock-screen', onResume);

  const online = new OnlineTransitions();
  online.cameBack(net.isOnline());
  const timer = setInterval(() => {
    if (online.cameBack(net.isOnline())) reconnect();
  }, POLL_MS);
  timer.unref();

  return () => {
    clearInterval(timer);
    powerMonitor.off('resume', onResume);
    powerMonitor.off('unlock-screen', onResume);
  };
}
