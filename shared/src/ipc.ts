import { z } from 'zod';
import {
  AiAnswer,
  AiRequestBody,
  ApproveProposalBody,
  ProposalDecided,
  ProposalPage,
  ProposalStatus,
  RejectProposalBody,
} from './ai/index';
import { AuditPage } from './audit';
import { DeviceSelf } from './devices';
import { ErrorBody } from './errors';
import { Uuid } from './ids';
import { nameText } from './names';
import { serverAddressProblem } from './server-address';
import {
  PushRow,
  RejectedRow,
  SYNC_MAX_PULL_BATCH,
  SYNC_MAX_PUSH_ROWS,
  SyncCheckpoint,
  SyncDocument,
} from './sync';

/**
 * The desktop app's IPC: every call the renderer may make to the main process, and every event
 * main sends back, declared once. Main parses each request with these schemas (and refuses
 * unknown channels and foreign senders); the preload exposes one typed function per channel.
 *
 * Secrets never cross: no channel carries the device's access token, its private key or the
 * replica key. The renderer sees workspace data (it shows it) and nothing that grants access.
 */

const Empty = z.strictObject({});

/**
 * A pairing link `enclave://pair?server=…&code=…` the app was opened with. Main parses it; the
 * renderer fills the pairing form with it and the user confirms — a link alone never pairs, so a
 * link from a stranger cannot tie the app to a server the user did not choose.
 */
export const PairingLink = z.object({ serverUrl: z.string(), code: z.string() });
export type PairingLink = z.infer<typeof PairingLink>;

/** What the app is doing, as main decides it; the renderer shows a screen per kind. */
export const AppState = z.discriminatedUnion('kind', [
  /** Starting up: the keychain and the replica are being opened. */
  z.object({ kind: z.literal('starting') }),
  /** No usable OS keychain: the app refuses to pair rather than keep secrets in a file. */
  z.object({ kind: z.literal('keychain_unavailable'), message: z.string() }),
  z.object({ kind: z.literal('unpaired'), link: PairingLink.nullable() }),
  /**
   * A keychain entry went missing or no longer opens the replica (e.g. the keyring was reset):
   * the local copy cannot be read. `canResync`: the device credential survived, so the app can
   * start a fresh replica from the server without pairing again.
   */
  z.object({
    kind: z.literal('replica_unreadable'),
    reason: z.enum(['replica_key_missing', 'replica_key_wrong', 'credential_missing']),
    canResync: z.boolean(),
  }),
  z.object({
    kind: z.literal('paired'),
    serverUrl: z.string(),
    workspace: z.object({ id: Uuid, name: z.string() }),
    deviceId: Uuid,
    /** The RxDB database name the renderer opens over the replica storage; new for every replica. */
    replicaName: z.string(),
  }),
  /** The server revoked this device; `wiped`: the replica and keychain entries are gone. */
  z.object({ kind: z.literal('revoked'), wiped: z.boolean() }),
]);
export type AppState = z.infer<typeof AppState>;

export const SyncStatus = z.enum([
  'connecting',
  'online',
  'offline',
  'revoked',
  'update_required',
  'stopped',
]);
export type SyncStatus = z.infer<typeof SyncStatus>;

export const SyncStatusEvent = z.object({
  status: SyncStatus,
  /** The workspace's sequence when the server last greeted this device: the end of an initial sync. */
  headSeq: z.number().int().nonnegative().nullable(),
});
export type SyncStatusEvent = z.infer<typeof SyncStatusEvent>;

/**
 * How a fresh replica's first fill went: `filled` when main pulled the workspace into it, false
 * when there was nothing to fill (done before, or RxDB's replication is filling it instead).
 */
export const ReplicaFillOutcome = z.object({
  filled: z.boolean(),
  /** Documents written by this fill. */
  documents: z.number().int().min(0),
});
export type ReplicaFillOutcome = z.infer<typeof ReplicaFillOutcome>;

/** After each page of a fill: documents received so far and the checkpoint's sequence. */
export const ReplicaFillProgress = z.object({
  received: z.number().int().min(0),
  lastSeq: z.number().int().min(0).nullable(),
});
export type ReplicaFillProgress = z.infer<typeof ReplicaFillProgress>;

export const SyncPullResult = z.object({
  documents: z.array(SyncDocument),
  checkpoint: SyncCheckpoint.nullable(),
});
export type SyncPullResult = z.infer<typeof SyncPullResult>;

export const SyncPushResult = z.object({
  /** The server's state of each row it did not take, for RxDB's conflict handler. */
  conflicts: z.array(SyncDocument),
  rejected: z.array(RejectedRow),
});
export type SyncPushResult = z.infer<typeof SyncPushResult>;

/** What RxDB's pull stream expects: a batch of live changes, or a request to pull again. */
export const SyncStreamItem = z.union([
  z.object({ documents: z.array(SyncDocument), checkpoint: SyncCheckpoint }),
  z.literal('RESYNC'),
]);
export type SyncStreamItem = z.infer<typeof SyncStreamItem>;

export const PairRequest = z.strictObject({
  /** https://, or plain http:// to this computer only: see `serverAddressProblem`. */
  serverUrl: z
    .string()
    .trim()
    .superRefine((raw, ctx) => {
      const problem = serverAddressProblem(raw);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** As typed or pasted; the sync client normalises it. */
  code: z.string().max(64),
  deviceName: nameText(80),
});
export type PairRequest = z.infer<typeof PairRequest>;

export const AppInfo = z.object({
  version: z.string(),
  platform: z.enum(['windows', 'macos', 'linux', 'other']),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const ActivityRequest = z.strictObject({
  /** Events with a sequence number below this one (paging back in time). */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(100).default(50),
});
export type ActivityRequest = z.input<typeof ActivityRequest>;

export const ProposalsRequest = z.strictObject({
  status: ProposalStatus.optional(),
  /** Proposals created before this one (its id): paging back in time. */
  before: Uuid.optional(),
  limit: z.number().int().min(1).max(100).default(50),
});
export type ProposalsRequest = z.input<typeof ProposalsRequest>;

export const ApproveProposalRequest = ApproveProposalBody.extend({ proposalId: Uuid });
export type ApproveProposalRequest = z.input<typeof ApproveProposalRequest>;

export const RejectProposalRequest = RejectProposalBody.extend({ proposalId: Uuid });
export type RejectProposalRequest = z.input<typeof RejectProposalRequest>;

/** Destructive requests carry an explicit confirmation, so no stray call can wipe data. */
const Confirmed = z.strictObject({ confirm: z.literal(true) });

export const UnpairRequest = z.strictObject({
  confirm: z.literal(true),
  /**
   * Delete the local data even if the server cannot be told (offline). The device then stays in
   * the workspace's list, unusable without its key, until an admin revokes it.
   */
  evenIfOffline: z.boolean().default(false),
});
export type UnpairRequest = z.input<typeof UnpairRequest>;

interface InvokeContract {
  request: z.ZodType;
  response: z.ZodType;
}

/** Calls from the renderer to main, `domain:verb`. Each answers an `IpcResult`. */
export const ipcInvoke = {
  'app:state': { request: Empty, response: AppState },
  'app:info': { request: Empty, response: AppInfo },
  /** Pairs this app with a workspace; refused while the keychain is unavailable. */
  'pairing:pair': { request: PairRequest, response: AppState },
  'sync:pull': {
    request: z.strictObject({
      checkpoint: SyncCheckpoint.nullable(),
      batchSize: z.number().int().min(1).max(SYNC_MAX_PULL_BATCH),
    }),
    response: SyncPullResult,
  },
  'sync:push': {
    request: z.strictObject({ rows: z.array(PushRow).min(1).max(SYNC_MAX_PUSH_ROWS) }),
    response: SyncPushResult,
  },
  'sync:status': { request: Empty, response: SyncStatusEvent },
  /** This device, its workspace and the workspace schema, from the server. */
  'device:self': { request: Empty, response: DeviceSelf },
  /** Recent audit events of the workspace that this device's owner may see, newest first. */
  'activity:list': { request: ActivityRequest, response: AuditPage },
  /** Asks the AI, through this device for its owner: the answer and what became of each operation. */
  'ai:request': { request: AiRequestBody, response: AiAnswer },
  /** AI proposals this device's owner may decide, newest first. */
  'ai:proposals': { request: ProposalsRequest, response: ProposalPage },
  /** Approves a proposal (optionally edited); it runs as this device for its owner. */
  'ai:approve': { request: ApproveProposalRequest, response: ProposalDecided },
  /** Rejects a proposal with a reason, optionally adding a constitution rule. */
  'ai:reject': { request: RejectProposalRequest, response: ProposalDecided },
  /** Sign out: the server revokes this device, then the replica and keychain entries are deleted. */
  'device:unpair': { request: UnpairRequest, response: AppState },
  /**
   * After a revocation without wipe, or an unreadable replica: delete what is left locally and go
   * back to pairing (or, when the credential survived, start a fresh replica from the server).
   */
  'replica:reset': { request: Confirmed, response: AppState },
  /**
   * Fills a fresh replica from the server in main, page by page straight into the replica file,
   * before the renderer opens it; answers when done (at once when there is nothing to fill).
   */
  'replica:fill': { request: Empty, response: ReplicaFillOutcome },
} as const satisfies Record<string, InvokeContract>;

export type IpcInvokeChannel = keyof typeof ipcInvoke;
export type IpcRequest<C extends IpcInvokeChannel> = z.input<(typeof ipcInvoke)[C]['request']>;
export type IpcResponse<C extends IpcInvokeChannel> = z.infer<(typeof ipcInvoke)[C]['response']>;

/** Events from main to the renderer. */
export const ipcEvents = {
  'app:state': AppState,
  'sync:status': SyncStatusEvent,
  'sync:stream': SyncStreamItem,
  /** A pushed row the server refused (its server state also came back as a conflict). */
  'sync:rejected': RejectedRow,
  'replica:fillProgress': ReplicaFillProgress,
} as const satisfies Record<string, z.ZodType>;

export type IpcEventChannel = keyof typeof ipcEvents;
export type IpcEvent<E extends IpcEventChannel> = z.infer<(typeof ipcEvents)[E]>;

/** Every IPC answer: the value, or the one error shape used over HTTP and sync. */
export const IpcResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorBody.shape.error }),
]);
export type IpcResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ErrorBody['error'] };

export const isIpcInvokeChannel = (channel: string): channel is IpcInvokeChannel =>
  Object.hasOwn(ipcInvoke, channel);

/**
 * The replica storage channel. RxDB's IPC storage (`rxdb/plugins/electron`) carries the renderer's
 * storage calls to main on `rxdb-ipc-renderer-storage|<key>`; main checks each message against
 * `ReplicaStorageMessage` before RxDB sees it.
 */
export const REPLICA_STORAGE_KEY = 'enclave-replica';
export const REPLICA_STORAGE_CHANNEL = `rxdb-ipc-renderer-storage|${REPLICA_STORAGE_KEY}`;

/** The storage methods a renderer may call; anything else (say `constructor`) is refused. */
export const ReplicaStorageMethod = z.enum([
  'create',
  'bulkWrite',
  'findDocumentsById',
  'query',
  'count',
  'getChangedDocumentsSince',
  'changeStream',
  'cleanup',
  'close',
  'remove',
]);

export const ReplicaStorageMessage = z.union([
  /** Sent once when the renderer opens the channel. */
  z.literal(false),
  z.object({
    connectionId: z.string().min(1).max(200),
    requestId: z.string().min(1).max(200),
    method: ReplicaStorageMethod,
    version: z.string().max(40),
    params: z.unknown(),
  }),
]);
export type ReplicaStorageMessage = z.infer<typeof ReplicaStorageMessage>;
