import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface Drainable {
  /**
   * Stops accepting connections, closes idle keep-alive ones, lets the requests in flight finish
   * for up to `graceMs`, then cuts what is left. Resolves, once every connection is closed, with
   * how many were cut.
   */
  drain(graceMs: number): Promise<number>;
  /** During a drain: cut every connection still open now rather than at the end of the grace. */
  cutNow(): void;
}

/**
 * Follows every connection of `http` (upgraded WebSocket ones included, which
 * `closeAllConnections` does not know) so that the server can stop without cutting a request in
 * the middle.
 */
export function drainable(http: Server): Drainable {
  const sockets = new Set<Socket>();
  const pending = new Set<ServerResponse>();
  let draining = false;
  let cutEarly: (() => void) | null = null;

  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Ahead of the app, so that a response started during the drain already says it is the last.
  http.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.setHeader('connection', 'close');
    pending.add(res);
    res.once('close', () => pending.delete(res));
  });

  return {
    drain: async (graceMs) => {
      draining = true;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // A keep-alive connection ends after the response it is busy with; an idle one at once.
      for (const res of pending) if (!res.headersSent) res.setHeader('connection', 'close');
      http.closeIdleConnections();
      const sweep = setInterval(() => http.closeIdleConnections(), 50);
      let timer: NodeJS.Timeout | undefined;
      const over = new Promise<'over'>((resolve) => {
        timer = setTimeout(() => resolve('over'), graceMs);
        cutEarly = () => resolve('over');
      });
      const outcome = await Promise.race([closed, over]);
      clearInterval(sweep);
      clearTimeout(timer);
      cutEarly = null;
      const cut = outcome === 'over' ? sockets.size : 0;
      for (const socket of outcome === 'over' ? sockets : []) socket.destroy();
      await closed;
      return cut;
    },
    cutNow: () => cutEarly?.(),
  };
}
