import type {
  AiFeature,
  AuditCheckpoint,
  AuditEvent,
  AuditQuery,
  CustomRole,
  ListRecordsQuery,
  PromptLogEntry,
  Proposal,
  ProposalStatus,
  WorkspaceRecord,
  WorkspaceSchema,
} from '@enclave/shared';

/**
 * The store interfaces. The embedded SQLCipher store implements them today; the PostgreSQL store
 * will implement the same ones, and both must pass `store.conformance.ts`.
 *
 * Everything is async so that a networked store fits behind the same contract; the embedded store
 * answers synchronously underneath.
 */

export interface UserRow {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  emailVerifiedAt: string | null;
  instanceAdmin: boolean;
  createdAt: string;
}

export interface SessionRow {
  id: string;
  userId: string;
  tokenHash: string;
  /** The hash of the token this one replaced, accepted for a short grace after rotation. */
  previousTokenHash: string | null;
  rotatedAt: string;
  createdAt: string;
  lastUsedAt: string;
  ip: string | null;
  userAgent: string | null;
}

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

export interface WorkspaceRow {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  /** The workspace's data key, AES-256-GCM wrapped by the master key. */
  wrappedKey: string;
}

export interface ControlStore {
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string | null): Promise<void>;
  /** Atomically replaces `key`'s value if it still equals `expected`; true if it did. */
  compareAndSetMeta(key: string, expected: string | null, value: string | null): Promise<boolean>;

  countUsers(): Promise<number>;
  /** Returns false, changing nothing, if the email is taken. */
  createUser(user: UserRow): Promise<boolean>;
  getUserById(id: string): Promise<UserRow | null>;
  getUserByEmail(email: string): Promise<UserRow | null>;
  markEmailVerified(userId: string, at: string): Promise<void>;
  /** Deletes an account that never verified its email (with its tokens and sessions); false if it did. */
  deleteUnverifiedUser(userId: string): Promise<boolean>;
  setPasswordHash(userId: string, passwordHash: string): Promise<void>;

  createEmailToken(token: {
    tokenHash: string;
    userId: string;
    purpose: EmailTokenPurpose;
    expiresAt: string;
  }): Promise<void>;
  /** Consumes a token atomically: returns its user once, then never again. */
  consumeEmailToken(tokenHash: string, purpose: EmailTokenPurpose, now: string): Promise<string | null>;
  deleteExpiredEmailTokens(now: string): Promise<number>;
  /** Deletes a user's outstanding tokens of one purpose (e.g. every reset link once one is used). */
  deleteEmailTokensOfUser(userId: string, purpose: EmailTokenPurpose): Promise<void>;

  createSession(session: SessionRow): Promise<void>;
  /** Finds a session by its current token hash, or by the previous one while `graceSince` allows. */
  findSessionByTokenHash(tokenHash: string, previousValidAfter: string): Promise<SessionRow | null>;
  touchSession(id: string, lastUsedAt: string, ip: string | null): Promise<void>;
  /**
   * Replaces the session's token only if `previousTokenHash` is still its current one, so that of
   * concurrent rotations one wins; true if this one did.
   */
  rotateSession(id: string, newTokenHash: string, previousTokenHash: string, at: string): Promise<boolean>;
  deleteSession(id: string): Promise<void>;
  /** Says how many it deleted. */
  deleteSessionsOfUser(userId: string, exceptSessionId: string | null): Promise<number>;
  deleteIdleSessions(lastUsedBefore: string): Promise<number>;
  listSessions(userId: string): Promise<SessionRow[]>;

  createWorkspace(row: WorkspaceRow): Promise<void>;
  getWorkspace(id: string): Promise<WorkspaceRow | null>;
  listWorkspaces(): Promise<WorkspaceRow[]>;
  setWorkspaceName(id: string, name: string): Promise<void>;
  /** The index of who belongs where, for listing; each workspace's own member table is authoritative. */
  setMembershipIndex(userId: string, workspaceId: string, member: boolean): Promise<void>;
  listWorkspaceIdsOfUser(userId: string): Promise<string[]>;
  /**
   * Marks a workspace deleted: it is then unknown to `getWorkspace` and every listing. Its data
   * stays encrypted on disk until the retention sweep shreds it.
   */
  markWorkspaceDeleted(id: string, at: string): Promise<void>;

  /**
   * Which workspace a pairing code belongs to (a code alone must find its workspace). Entries stay
   * until they expire, so that a used or cancelled code is answered as such.
   */
  indexPairing(tokenHash: string, workspaceId: string, expiresAt: string): Promise<void>;
  findPairingWorkspace(tokenHash: string): Promise<string | null>;
  deleteExpiredPairingIndex(now: string): Promise<number>;

  /**
   * Keeps a signed checkpoint of a workspace's audit chain, outside the workspace's own file.
   * Checkpoints are never replaced: false, changing nothing, if the workspace has one at that seq.
   */
  putAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<boolean>;
  /** A workspace's checkpoints with seq above `afterSeq`, oldest first, at most `limit`. */
  listAuditCheckpoints(workspaceId: string, afterSeq: number, limit: number): Promise<AuditCheckpoint[]>;
  lastAuditCheckpoint(workspaceId: string): Promise<AuditCheckpoint | null>;

  close(): Promise<void>;
}

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  roles: string[];
  joinedAt: string;
}

export interface InvitationRow {
  id: string;
  email: string;
  roles: string[];
  tokenHash: string;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  acceptedBy: string | null;
  cancelledAt: string | null;
}

export interface DeviceRow {
  id: string;
  ownerId: string;
  name: string;
  platform: string;
  appVersion: string;
  /** Ed25519 public key, raw 32 bytes in base64url: what renewal signatures are checked against. */
  publicKey: string;
  pairedBy: string;
  pairedAt: string;
  lastSeenAt: string | null;
  lastIp: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  wipe: boolean;
  /** When the server accepted the device's signed receipt saying it wiped its local data (server time). */
  wipeConfirmedAt: string | null;
}

export interface PairingRow {
  id: string;
  tokenHash: string;
  forUserId: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  deviceId: string | null;
  cancelledAt: string | null;
}

/** A message in the workspace's outbox: queued by an `outbox.send` operation, then delivered by the mailer. */
export interface OutboxRow {
  id: string;
  to: string;
  subject: string;
  body: string;
  recordId: string | null;
  /** The user on whose authority it was sent (the approver, for an AI proposal). */
  createdBy: string;
  createdAt: string;
  status: 'queued' | 'sent' | 'failed';
  /** When delivery succeeded or last failed. */
  attemptedAt: string | null;
  error: string | null;
}

/** One model call's tokens, for the usage ledger (kept after the prompt log entry is swept). */
export interface UsageRow {
  id: string;
  time: string;
  userId: string;
  userLabel: string;
  feature: AiFeature;
  inputTokens: number;
  outputTokens: number;
  promptLogId: string;
}

export interface UsageAggregate {
  feature: AiFeature;
  userId: string;
  /** The label of the person's latest call in the period. */
  userLabel: string;
  inputTokens: number;
  outputTokens: number;
  calls: number;
}

/** Thrown by `commit` when a pairing was used or cancelled meanwhile; nothing was written. */
export class PairingUnavailable extends Error {
  constructor(readonly pairingId: string) {
    super(`pairing ${pairingId} is no longer available`);
  }
}

/** A change to workspace state; a commit applies a list of them together with their audit events. */
export type Mutation =
  | { kind: 'record.put'; record: Omit<WorkspaceRecord, 'seq'>; expectedRev: number | null }
  | { kind: 'schema.put'; schema: WorkspaceSchema }
  | { kind: 'member.put'; member: MemberRow }
  | { kind: 'member.delete'; userId: string }
  | { kind: 'role.put'; role: CustomRole }
  | { kind: 'role.delete'; key: string }
  | { kind: 'invitation.put'; invitation: InvitationRow }
  | { kind: 'meta.put'; key: string; value: string }
  /** Inserts or updates a device; `lastSeenAt`/`lastIp` are kept as they are (see `touchDevice`). */
  | { kind: 'device.put'; device: DeviceRow }
  | { kind: 'pairing.put'; pairing: PairingRow }
  /** Marks a pairing used, only if it is still unused and not cancelled; else the commit throws `PairingUnavailable`. */
  | { kind: 'pairing.consume'; pairingId: string; usedAt: string; deviceId: string }
  /** Inserts or replaces an AI proposal. */
  | { kind: 'ai.proposal.put'; proposal: Proposal }
  | { kind: 'outbox.put'; message: OutboxRow };

/** An audit event before the store gives it its sequence number and hash. */
export type PendingAuditEvent = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>;

export interface PendingChange {
  event: PendingAuditEvent;
  mutations: Mutation[];
}

export interface CommitResult {
  events: AuditEvent[];
  records: WorkspaceRecord[];
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/** Thrown by `commit` when a record's revision is not the expected one; nothing was written. */
export class RevisionConflict extends Error {
  constructor(
    readonly recordId: string,
    readonly current: WorkspaceRecord | null,
  ) {
    super(`record ${recordId} has changed`);
  }
}

export interface RecordListQuery extends Omit<ListRecordsQuery, 'cursor'> {
  after: { value: unknown; id: string } | null;
}

export interface AuditFilter extends Omit<AuditQuery, 'limit' | 'before'> {
  /** Newest first below `before` (default), or oldest first above `after`. */
  order?: 'asc' | 'desc';
  before?: number;
  after?: number;
  limit?: number;
}

/** A record with its data as the JSON text the store holds, not parsed: for pages written straight into frames. */
export type StoredRecordJson = Omit<WorkspaceRecord, 'data'> & { dataJson: string };

export interface WorkspaceStore {
  readonly workspaceId: string;
  head(): Promise<ChainHead>;
  getMeta(key: string): Promise<string | null>;
  getSchema(): Promise<WorkspaceSchema>;

  getRecord(id: string): Promise<WorkspaceRecord | null>;
  listRecords(
    query: RecordListQuery,
    fieldTypes: ReadonlyMap<string, string>,
    textFields: string[],
  ): Promise<WorkspaceRecord[]>;
  /** Records with seq greater than `afterSeq`, oldest first: the change feed for sync and replay checks. */
  recordsChangedSince(afterSeq: number, limit: number): Promise<WorkspaceRecord[]>;
  /** As `recordsChangedSince`, with each record's data left as its stored JSON text. */
  recordsChangedSinceJson(afterSeq: number, limit: number): Promise<StoredRecordJson[]>;
  countLiveRecords(entityType: string): Promise<number>;

  getMember(userId: string): Promise<MemberRow | null>;
  listMembers(): Promise<MemberRow[]>;
  listRoles(): Promise<CustomRole[]>;
  getInvitation(id: string): Promise<InvitationRow | null>;
  getInvitationByTokenHash(tokenHash: string): Promise<InvitationRow | null>;
  listInvitations(): Promise<InvitationRow[]>;

  getDevice(id: string): Promise<DeviceRow | null>;
  listDevices(): Promise<DeviceRow[]>;
  /** Notes when and from where a device was last seen: telemetry, not a state change, so not audited. */
  touchDevice(id: string, at: string, ip: string | null): Promise<void>;
  getPairing(id: string): Promise<PairingRow | null>;
  getPairingByTokenHash(tokenHash: string): Promise<PairingRow | null>;
  listPairings(): Promise<PairingRow[]>;

  getProposal(id: string): Promise<Proposal | null>;
  /** Newest first (ids are UUIDv7), below `before` (an id) when given. */
  listProposals(query: { status?: ProposalStatus; before?: string; limit: number }): Promise<Proposal[]>;
  /** Pending proposals whose `expiresAt` is at or before `now`, oldest first. */
  listExpiredProposals(now: string, limit: number): Promise<Proposal[]>;

  getOutboxMessage(id: string): Promise<OutboxRow | null>;
  /** Newest first. */
  listOutbox(limit: number): Promise<OutboxRow[]>;
  /** Notes a delivery attempt's result: telemetry of the mailer, not a state change, so not audited. */
  markOutboxDelivery(id: string, status: 'sent' | 'failed', at: string, error: string | null): Promise<void>;

  /** The prompt log: written outside `commit` (it records calls, not workspace state) and swept after its retention. */
  addPromptLog(entry: PromptLogEntry): Promise<void>;
  getPromptLog(id: string): Promise<PromptLogEntry | null>;
  /** Newest first, below `before` (an id) when given. */
  listPromptLog(query: { before?: string; limit: number }): Promise<PromptLogEntry[]>;
  /** Deletes entries older than `time`; says how many. */
  deletePromptLogBefore(time: string): Promise<number>;

  /** The usage ledger: one row per model call. */
  addUsage(row: UsageRow): Promise<void>;
  /** Totals per feature and person of calls at or after `from` and before `to`. */
  usageBetween(from: string, to: string): Promise<UsageAggregate[]>;

  getAuditEvent(id: string): Promise<AuditEvent | null>;
  queryAudit(filter: AuditFilter): Promise<AuditEvent[]>;
  /** Events in sequence order, in pages, for verification and export. */
  auditEventsFrom(fromSeq: number, limit: number): Promise<AuditEvent[]>;

  /**
   * Applies the changes in one transaction: each event takes the next sequence number and its
   * place in the hash chain, each record mutation takes its event's sequence number. All or nothing.
   */
  commit(changes: PendingChange[]): Promise<CommitResult>;
}

export interface Store {
  readonly control: ControlStore;
  /** Creates the workspace's storage with a fresh data key; the row is registered in the control store. */
  createWorkspace(row: Omit<WorkspaceRow, 'wrappedKey'>): Promise<WorkspaceStore>;
  /** The workspace's store, or null if there is no such workspace (or it was deleted). */
  workspace(id: string): Promise<WorkspaceStore | null>;
  /** Deletes a workspace: from now on it is unknown; see `ControlStore.markWorkspaceDeleted`. */
  deleteWorkspace(id: string, at: string): Promise<void>;
  /** What the store can serve now: cheap enough to answer every readiness probe. */
  readiness(): Promise<StoreHealth>;
  /**
   * Checks every registered workspace's storage in full (at start): the ones that cannot be served
   * are refused with `workspace_unavailable` from then on, and never created again.
   */
  checkWorkspaces(): Promise<WorkspaceProblem[]>;
  close(): Promise<void>;
}

/** A registered workspace whose storage cannot be served. */
export interface WorkspaceProblem {
  workspaceId: string;
  /** `missing`/`empty`: the file is gone or zero bytes; `damaged`: it does not read back whole. */
  reason: 'missing' | 'empty' | 'damaged';
}

export interface StoreHealth {
  /** The control database answers. */
  control: boolean;
  /** The disk has no room: the last write failed for it, or the free space is below the floor. */
  storageFull: boolean;
  unavailableWorkspaces: WorkspaceProblem[];
}
