import { z } from 'zod';
import { ErrorBody } from './errors';
import { IsoDateTime, Key, RecordId, Uuid } from './ids';
import { RecordData } from './records';

/**
 * The sync protocol: RxDB's replication protocol (pull by checkpoint, push with assumed master
 * state, a live stream) in JSON frames over one WebSocket per device.
 *
 * The version travels as the WebSocket subprotocol `enclave-sync.<n>`; a client offering only
 * versions this server does not speak gets HTTP 426 with an `update_required` error body.
 */
export const SYNC_PROTOCOL_VERSION = 1;
export const SYNC_PATH = '/api/v1/sync';
export const syncSubprotocol = (version: number): string => `enclave-sync.${String(version)}`;

/** Close codes (the 4000–4999 range is the application's); the reason is a JSON `SyncCloseReason`. */
export const SyncCloseCode = {
  deviceRevoked: 4001,
  tokenExpired: 4002,
  protocolError: 4003,
  serverShutdown: 1001,
} as const;

export const SyncCloseReason = z.object({
  code: z.string(),
  wipe: z.boolean().optional(),
});
export type SyncCloseReason = z.infer<typeof SyncCloseReason>;

/** The per-workspace sequence of the last change a client has seen. */
export const SyncCheckpoint = z.strictObject({ seq: z.number().int().nonnegative() });
export type SyncCheckpoint = z.infer<typeof SyncCheckpoint>;

/**
 * A record as RxDB sees it. `rev`, `createdAt` and `updatedAt` are the server's: clients may send
 * them back, but the server assigns every write time and revision itself.
 */
export const SyncDocument = z.strictObject({
  id: RecordId,
  type: Key,
  data: RecordData,
  rev: z.number().int().nonnegative().optional(),
  createdAt: IsoDateTime.optional(),
  updatedAt: IsoDateTime.optional(),
  _deleted: z.boolean(),
});
export type SyncDocument = z.infer<typeof SyncDocument>;

export const PushRow = z.strictObject({
  /** The server state the client's change was based on; absent or null for a new document. */
  assumedMasterState: SyncDocument.nullable().optional(),
  newDocumentState: SyncDocument,
});
export type PushRow = z.infer<typeof PushRow>;

export const SYNC_MAX_PULL_BATCH = 2000;
export const SYNC_MAX_PUSH_ROWS = 500;

const RequestId = z.string().min(1).max(64);

export const ClientFrame = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('pull'),
    id: RequestId,
    checkpoint: SyncCheckpoint.nullable(),
    batchSize: z.number().int().min(1).max(SYNC_MAX_PULL_BATCH),
  }),
  z.strictObject({
    type: z.literal('push'),
    id: RequestId,
    rows: z.array(PushRow).min(1).max(SYNC_MAX_PUSH_ROWS),
  }),
  /** A renewed access token for this connection, sent before the current one expires. */
  z.strictObject({ type: z.literal('auth'), id: RequestId, token: z.string().min(1).max(4096) }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const RejectedRow = z.object({ id: z.string(), error: ErrorBody.shape.error });
export type RejectedRow = z.infer<typeof RejectedRow>;

export const ServerFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.number().int(),
    workspaceId: Uuid,
    deviceId: Uuid,
    heartbeatMs: z.number().int().positive(),
    maxFrameBytes: z.number().int().positive(),
    /**
     * The workspace's sequence as the connection opened: a device pulling from an older checkpoint
     * can show how far its initial sync has come.
     */
    headSeq: z.number().int().nonnegative(),
  }),
  z.object({
    type: z.literal('pull.result'),
    id: RequestId,
    documents: z.array(SyncDocument),
    checkpoint: SyncCheckpoint.nullable(),
  }),
  z.object({
    type: z.literal('push.result'),
    id: RequestId,
    /** The master state of each conflicting row: the server's version wins unless the client resolves otherwise. */
    conflicts: z.array(SyncDocument),
    /**
     * Rows the server refused (no permission, invalid for the schema). Their master state is also
     * in `conflicts` (a deleted stub if the record does not exist for this device), so the client's
     * copy falls back to the server's instead of retrying for ever.
     */
    rejected: z.array(RejectedRow),
  }),
  z.object({ type: z.literal('auth.result'), id: RequestId, expiresAt: IsoDateTime }),
  z.object({
    type: z.literal('stream'),
    documents: z.array(SyncDocument),
    checkpoint: SyncCheckpoint,
  }),
  /** The client may have missed changes (e.g. it fell behind and the server dropped its backlog): pull again. */
  z.object({ type: z.literal('resync') }),
  z.object({ type: z.literal('error'), id: RequestId.nullable(), error: ErrorBody.shape.error }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
