import { z } from 'zod';
import { AuditEvent } from './audit';
import { Device, Pairing } from './devices';
import { Uuid } from './ids';

/**
 * The web console's live channel: a WebSocket, authenticated by the session cookie, that pushes
 * what changed in one workspace while a page is open. It is read-only: the browser sends nothing
 * after the upgrade, and every change still goes through the HTTP API.
 *
 * The upgrade is refused unless it comes from the server's own origin (a foreign page cannot open
 * it with the user's cookie), the session is valid and the user is a member of the workspace.
 * What it sends follows the same permissions as the HTTP API: device and pairing events for the
 * devices the user may see (admins: all; members: their own), audit events only to those who may
 * read the audit log.
 */
export const LIVE_PATH = '/api/v1/live';

export const LiveQuery = z.strictObject({ workspaceId: Uuid });
export type LiveQuery = z.infer<typeof LiveQuery>;

export const LiveEvent = z.discriminatedUnion('type', [
  /** First frame: the channel is open and subscribed. */
  z.object({ type: z.literal('hello'), workspaceId: Uuid }),
  /** A device was paired or changed: online or offline, renamed, revoked, its wipe confirmed. */
  z.object({ type: z.literal('device'), device: Device }),
  /** A pairing code was used (with the device it paired), cancelled, or made. */
  z.object({ type: z.literal('pairing'), pairing: Pairing, device: Device.nullable() }),
  /** A new audit event in the workspace. */
  z.object({ type: z.literal('audit'), event: AuditEvent }),
]);
export type LiveEvent = z.infer<typeof LiveEvent>;

/** Close codes of the live channel; the reason is JSON `{ "code": … }` in the one error shape's codes. */
export const LiveCloseCode = {
  /** The server is stopping; reconnect later. */
  serverShutdown: 1001,
  /** The browser sent a frame: the channel is read-only. */
  readOnly: 1008,
  /** The session ended (signed out, revoked, expired): sign in again. */
  sessionEnded: 4401,
  /** No longer a member of the workspace, or the workspace was deleted. */
  forbidden: 4403,
  /** The page did not read what was sent and too much was waiting: reconnect and load again. */
  tooSlow: 1013,
} as const;

export const LiveCloseReason = z.object({ code: z.string() });
export type LiveCloseReason = z.infer<typeof LiveCloseReason>;
