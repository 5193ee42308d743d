import WebSocket from 'ws';
import { LIVE_PATH, LiveEvent } from '@enclave/shared';
import type { TestClient, TestResponse } from './test-client';
import type { TestServer } from './test-server';

/** A refused upgrade, as an HTTP answer (for `expectError`). */
export type LiveRefusal = TestResponse;

export interface LiveOptions {
  /** The Origin header; the server's own by default, null for none. */
  origin?: string | null;
  /** The whole query string after `?`, instead of `workspaceId=…`. */
  query?: string;
}

/**
 * A browser's live channel for tests: opens with a client's session cookie, parses every frame
 * with the contract (a frame that does not parse fails the test that waits for it), and records
 * how it closed.
 */
export class RawLive {
  readonly events: LiveEvent[] = [];
  /** Frames that did not parse as a `LiveEvent`: a test expects none. */
  readonly malformed: string[] = [];
  closeCode: number | null = null;
  closeReason = '';
  closedAt: number | null = null;
  private readonly waiters: { test: (e: LiveEvent) => boolean; resolve: (e: LiveEvent) => void }[] = [];
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const parsed = LiveEvent.safeParse(JSON.parse(text));
      if (!parsed.success) {
        this.malformed.push(text);
        return;
      }
      this.events.push(parsed.data);
      for (const w of [...this.waiters]) {
        if (w.test(parsed.data)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(parsed.data);
        }
      }
    });
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString('utf8');
      this.closedAt = Date.now();
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  static url(t: TestServer, query: string): string {
    return `${t.url.replace(/^http/, 'ws')}${LIVE_PATH}?${query}`;
  }

  /** Opens a channel as `client` (null: no cookie); resolves once `hello` arrived, or with the refusal. */
  static async open(
    t: TestServer,
    client: TestClient | null,
    workspaceId: string,
    options: LiveOptions = {},
  ): Promise<RawLive | LiveRefusal> {
    const headers: Record<string, string> = {};
    const origin = options.origin === undefined ? t.url : options.origin;
    if (origin !== null) headers.origin = origin;
    if (client?.cookie) headers.cookie = client.cookie;
    const query = options.query ?? `workspaceId=${encodeURIComponent(workspaceId)}`;
    const socket = new WebSocket(RawLive.url(t, query), { headers });
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') headers.set(name, value);
          }
          const json = headers.get('content-type')?.includes('application/json') && text;
          resolve({
            status: res.statusCode ?? 0,
            headers,
            text,
            body: json ? (JSON.parse(text) as unknown) : text,
          });
        });
      });
      socket.once('error', reject);
      const live = new RawLive(socket);
      live
        .next((e) => e.type === 'hello')
        .then(() => resolve(live))
        .catch(reject);
    });
  }

  static async connect(t: TestServer, client: TestClient, workspaceId: string): Promise<RawLive> {
    const result = await RawLive.open(t, client, workspaceId);
    if (!(result instanceof RawLive))
      throw new Error(`live channel refused: ${result.status} ${JSON.stringify(result.body)}`);
    return result;
  }

  /** The first matching event received so far or from now on. */
  next(test: (e: LiveEvent) => boolean, timeoutMs = 10_000): Promise<LiveEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return this.wait(test, timeoutMs);
  }

  /** The next matching event received from now on. */
  wait(test: (e: LiveEvent) => boolean, timeoutMs = 10_000): Promise<LiveEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const seen = this.events.map((e) =>
          e.type === 'device' ? `device ${JSON.stringify(e.device)}` : e.type,
        );
        reject(new Error(`timed out waiting for a live event; received: ${seen.join(', ')}`));
      }, timeoutMs);
      this.waiters.push({
        test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  closed(timeoutMs = 10_000): Promise<void> {
    if (this.closeCode !== null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('timed out waiting for the live channel to close')),
        timeoutMs,
      );
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Device events of `deviceId` among `events`. */
export function deviceEvents(events: readonly LiveEvent[], deviceId: string) {
  return events.flatMap((e) => (e.type === 'device' && e.device.id === deviceId ? [e.device] : []));
}
