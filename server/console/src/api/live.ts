import { useEffect, useRef, useState } from 'react';
import { LIVE_PATH, LiveCloseCode, LiveEvent } from '@enclave/shared';

export type LiveState = 'connecting' | 'live' | 'offline' | 'ended';

/**
 * The workspace's live channel while a page is open: every event goes to `onEvent`. It reconnects
 * with backoff after a network failure; a close that means "stop" (session ended, no longer a
 * member) does not reconnect. Pages refetch on (re)connect, so nothing missed while offline stays
 * missed.
 */
export function useLive(
  workspaceId: string,
  onEvent: (event: LiveEvent) => void,
  onConnect?: () => void,
): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const handlers = useRef({ onEvent, onConnect });
  useEffect(() => {
    handlers.current = { onEvent, onConnect };
  });
  useEffect(() => {
    let socket: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let attempts = 0;
    let stopped = false;
    const open = () => {
      const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
      const url = `${scheme}://${window.location.host}${LIVE_PATH}?workspaceId=${encodeURIComponent(workspaceId)}`;
      setState('connecting');
      socket = new WebSocket(url);
      socket.onmessage = (message) => {
        if (typeof message.data !== 'string') return;
        let frame: unknown;
        try {
          frame = JSON.parse(message.data);
        } catch {
          return;
        }
        const parsed = LiveEvent.safeParse(frame);
        if (!parsed.success) return;
        if (parsed.data.type === 'hello') {
          attempts = 0;
          setState('live');
          handlers.current.onConnect?.();
        }
        handlers.current.onEvent(parsed.data);
      };
      socket.onclose = (close) => {
        socket = null;
        if (stopped) return;
        if (close.code === LiveCloseCode.sessionEnded || close.code === LiveCloseCode.forbidden) {
          setState('ended');
          return;
        }
        setState('offline');
        attempts += 1;
        retry = setTimeout(open, Math.min(30_000, 500 * 2 ** Math.min(attempts, 6)));
      };
    };
    open();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      socket?.close(1000);
    };
  }, [workspaceId]);
  return state;
}
