import type {
  AiFeature,
  AuditEvent,
  CustomRole,
  PromptLogEntry,
  Proposal,
  ProposalStatus,
  WorkspaceRecord,
  WorkspaceSchema,
} from '@enclave/shared';
import { eventHash } from '../../audit/chain';
import {
  PairingUnavailable,
  RevisionConflict,
  type AuditFilter,
  type ChainHead,
  type CommitResult,
  type DeviceRow,
  type InvitationRow,
  type MemberRow,
  type OutboxRow,
  type PairingRow,
  type PendingChange,
  type RecordListQuery,
  type StoredRecordJson,
  type UsageAggregate,
  type UsageRow,
  type WorkspaceStore,
} from '../types';
import type { Db } from './open';

interface RecordDbRow {
  id: string;
  type: string;
  data: string;
  rev: number;
  seq: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

interface AuditDbRow {
  seq: number;
  id: string;
  time: string;
  actor_kind: string;
  actor_id: string;
  actor_label: string;
  action: string;
  target_kind: string;
  target_entity_type: string | null;
  target_id: string | null;
  before: string | null;
  after: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

interface MemberDbRow {
  user_id: string;
  email: string;
  name: string;
  roles: string;
  joined_at: string;
}

interface InvitationDbRow {
  id: string;
  email: string;
  roles: string;
  token_hash: string;
  invited_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  cancelled_at: string | null;
}

interface DeviceDbRow {
  id: string;
  owner_id: string;
  name: string;
  platform: string;
  app_version: string;
  public_key: string;
  paired_by: string;
  paired_at: string;
  last_seen_at: string | null;
  last_ip: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  wipe: number;
  wipe_confirmed_at: string | null;
}

interface PairingDbRow {
  id: string;
  token_hash: string;
  for_user_id: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  device_id: string | null;
  cancelled_at: string | null;
}

interface OutboxDbRow {
  id: string;
  to_address: string;
  subject: string;
  body: string;
  record_id: string | null;
  created_by: string;
  created_at: string;
  status: OutboxRow['status'];
  attempted_at: string | null;
  error: string | null;
}

interface UsageAggregateDbRow {
  feature: AiFeature;
  user_id: string;
  user_label: string;
  input_tokens: number;
  output_tokens: number;
  calls: number;
}

const toDevice = (r: DeviceDbRow): DeviceRow => ({
  id: r.id,
  ownerId: r.owner_id,
  name: r.name,
  platform: r.platform,
  appVersion: r.app_version,
  publicKey: r.public_key,
  pairedBy: r.paired_by,
  pairedAt: r.paired_at,
  lastSeenAt: r.last_seen_at,
  lastIp: r.last_ip,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
  wipe: r.wipe === 1,
  wipeConfirmedAt: r.wipe_confirmed_at,
});

const toPairing = (r: PairingDbRow): PairingRow => ({
  id: r.id,
  tokenHash: r.token_hash,
  forUserId: r.for_user_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  deviceId: r.device_id,
  cancelledAt: r.cancelled_at,
});

const toOutboxMessage = (r: OutboxDbRow): OutboxRow => ({
  id: r.id,
  to: r.to_address,
  subject: r.subject,
  body: r.body,
  recordId: r.record_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
  status: r.status,
  attemptedAt: r.attempted_at,
  error: r.error,
});

const toUsageAggregate = (r: UsageAggregateDbRow): UsageAggregate => ({
  feature: r.feature,
  userId: r.user_id,
  userLabel: r.user_label,
  inputTokens: r.input_tokens,
  outputTokens: r.output_tokens,
  calls: r.calls,
});

/** Proposals and prompt log entries are kept whole as JSON; their columns are only for selecting. */
const toProposal = (r: { data: string }): Proposal => JSON.parse(r.data) as Proposal;
const toPromptLogEntry = (r: { data: string }): PromptLogEntry => JSON.parse(r.data) as PromptLogEntry;

const toRecord = (r: RecordDbRow): WorkspaceRecord => ({
  id: r.id,
  type: r.type,
  data: JSON.parse(r.data) as Record<string, unknown>,
  rev: r.rev,
  seq: r.seq,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
});

const toRecordJson = (r: RecordDbRow): StoredRecordJson => ({
  id: r.id,
  type: r.type,
  dataJson: r.data,
  rev: r.rev,
  seq: r.seq,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
});

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export const toAuditEvent = (r: AuditDbRow): AuditEvent => ({
  id: r.id,
  seq: r.seq,
  time: r.time,
  actor: { kind: r.actor_kind as AuditEvent['actor']['kind'], id: r.actor_id, label: r.actor_label },
  action: r.action,
  target: {
    kind: r.target_kind as AuditEvent['target']['kind'],
    entityType: r.target_entity_type,
    id: r.target_id,
  },
  before: parseJson(r.before),
  after: parseJson(r.after),
  ip: r.ip,
  userAgent: r.user_agent,
  requestId: r.request_id,
  details: parseJson(r.details) as Record<string, unknown> | null,
  prevHash: r.prev_hash,
  hash: r.hash,
});

const toMember = (r: MemberDbRow): MemberRow => ({
  userId: r.user_id,
  email: r.email,
  name: r.name,
  roles: JSON.parse(r.roles) as string[],
  joinedAt: r.joined_at,
});

const toInvitation = (r: InvitationDbRow): InvitationRow => ({
  id: r.id,
  email: r.email,
  roles: JSON.parse(r.roles) as string[],
  tokenHash: r.token_hash,
  invitedBy: r.invited_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  acceptedAt: r.accepted_at,
  acceptedBy: r.accepted_by,
  cancelledAt: r.cancelled_at,
});

const EMPTY_SCHEMA: WorkspaceSchema = { version: 0, entityTypes: [] };

/**
 * An entity type as an SQL literal: queries name it so, not as a bound parameter, because SQLite
 * uses a partial index (`WHERE type = 'client'`) only for a query whose WHERE says the same.
 * Keys are validated identifiers (`Key` in shared), so they are safe to inline.
 */
function typeLiteral(type: string): string {
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(type)) throw new Error(`invalid entity type key ${type}`);
  return `'${type}'`;
}

/** SQL for a data field. Keys are validated identifiers (`Key` in shared), so they are safe to inline. */
function fieldExpr(field: string): string {
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(field)) throw new Error(`invalid field key ${field}`);
  return `json_extract(data, '$.${field}')`;
}

function sortExpr(sort: string): string {
  if (sort === 'createdAt') return 'created_at';
  if (sort === 'updatedAt') return 'updated_at';
  return fieldExpr(sort);
}

/** Filter values arrive as text; they are compared as the field's JSON type. */
function coerce(value: string, fieldType: string | undefined): unknown {
  if (fieldType === 'number' || fieldType === 'money') {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new RangeError(`not a number: ${value}`);
    return n;
  }
  if (fieldType === 'boolean') {
    if (value !== 'true' && value !== 'false') throw new RangeError(`not a boolean: ${value}`);
    return value === 'true' ? 1 : 0;
  }
  return value;
}

const OPS = { eq: '=', ne: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

export class SqliteWorkspaceStore implements WorkspaceStore {
  private readonly stmt;
  private schemaCache: WorkspaceSchema | null = null;

  constructor(
    readonly workspaceId: string,
    private readonly db: Db,
  ) {
    this.stmt = {
      head: db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM chain_head WHERE id = 1'),
      setHead: db.prepare('UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1'),
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      getRecord: db.prepare<[string], RecordDbRow>('SELECT * FROM records WHERE id = ?'),
      // New records are plain INSERTs (the primary key refuses a duplicate); changes are UPDATEs
      // guarded by the expected revision. Neither needs a read first.
      insertRecord: db.prepare(
        `INSERT INTO records (id, type, data, rev, seq, created_at, updated_at, deleted_at)
         VALUES (@id, @type, @data, @rev, @seq, @createdAt, @updatedAt, @deletedAt)`,
      ),
      updateRecord: db.prepare(
        `UPDATE records SET type = @type, data = @data, rev = @rev, seq = @seq, updated_at = @updatedAt,
           deleted_at = @deletedAt WHERE id = @id AND rev = @expectedRev`,
      ),
      changedSince: db.prepare<[number, number], RecordDbRow>(
        'SELECT * FROM records WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      // `CAST(? AS TEXT)`, not a bare `?`: SQLite re-prepares a statement after a schema change
      // with its current bindings and may then plan on a partial field index for that one type
      // (`WHERE type = 'item'`), a plan it keeps when the statement is run again for another type.
      // A cast is not a parameter to the planner, so no partial index can ever be chosen here.
      countLive: db.prepare<[string], { n: number }>(
        'SELECT count(*) AS n FROM records WHERE type = CAST(? AS TEXT) AND deleted_at IS NULL',
      ),
      getMember: db.prepare<[string], MemberDbRow>('SELECT * FROM members WHERE user_id = ?'),
      listMembers: db.prepare<[], MemberDbRow>('SELECT * FROM members ORDER BY joined_at, user_id'),
      putMember: db.prepare(
        `INSERT INTO members (user_id, email, name, roles, joined_at) VALUES (@userId, @email, @name, @roles, @joinedAt)
         ON CONFLICT(user_id) DO UPDATE SET email = excluded.email, name = excluded.name, roles = excluded.roles`,
      ),
      deleteMember: db.prepare('DELETE FROM members WHERE user_id = ?'),
      listRoles: db.prepare<[], { def: string }>('SELECT def FROM roles ORDER BY key'),
      putRole: db.prepare(
        'INSERT INTO roles (key, def) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET def = excluded.def',
      ),
      deleteRole: db.prepare('DELETE FROM roles WHERE key = ?'),
      getInvitation: db.prepare<[string], InvitationDbRow>('SELECT * FROM invitations WHERE id = ?'),
      invitationByToken: db.prepare<[string], InvitationDbRow>(
        'SELECT * FROM invitations WHERE token_hash = ?',
      ),
      listInvitations: db.prepare<[], InvitationDbRow>('SELECT * FROM invitations ORDER BY created_at DESC'),
      putInvitation: db.prepare(
        `INSERT INTO invitations (id, email, roles, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by, cancelled_at)
         VALUES (@id, @email, @roles, @tokenHash, @invitedBy, @createdAt, @expiresAt, @acceptedAt, @acceptedBy, @cancelledAt)
         ON CONFLICT(id) DO UPDATE SET accepted_at = excluded.accepted_at, accepted_by = excluded.accepted_by,
           cancelled_at = excluded.cancelled_at`,
      ),
      getDevice: db.prepare<[string], DeviceDbRow>('SELECT * FROM devices WHERE id = ?'),
      listDevices: db.prepare<[], DeviceDbRow>('SELECT * FROM devices ORDER BY paired_at, id'),
      putDevice: db.prepare(
        `INSERT INTO devices (id, owner_id, name, platform, app_version, public_key, paired_by, paired_at,
           revoked_at, revoked_by, wipe, wipe_confirmed_at)
         VALUES (@id, @ownerId, @name, @platform, @appVersion, @publicKey, @pairedBy, @pairedAt,
           @revokedAt, @revokedBy, @wipe, @wipeConfirmedAt)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, revoked_at = excluded.revoked_at,
           revoked_by = excluded.revoked_by, wipe = excluded.wipe,
           wipe_confirmed_at = excluded.wipe_confirmed_at`,
      ),
      touchDevice: db.prepare('UPDATE devices SET last_seen_at = ?, last_ip = ? WHERE id = ?'),
      getPairing: db.prepare<[string], PairingDbRow>('SELECT * FROM pairings WHERE id = ?'),
      pairingByToken: db.prepare<[string], PairingDbRow>('SELECT * FROM pairings WHERE token_hash = ?'),
      listPairings: db.prepare<[], PairingDbRow>('SELECT * FROM pairings ORDER BY created_at DESC, id'),
      putPairing: db.prepare(
        `INSERT INTO pairings (id, token_hash, for_user_id, created_by, created_at, expires_at, used_at, device_id, cancelled_at)
         VALUES (@id, @tokenHash, @forUserId, @createdBy, @createdAt, @expiresAt, @usedAt, @deviceId, @cancelledAt)
         ON CONFLICT(id) DO UPDATE SET cancelled_at = excluded.cancelled_at`,
      ),
      consumePairing: db.prepare(
        `UPDATE pairings SET used_at = ?, device_id = ?
         WHERE id = ? AND used_at IS NULL AND cancelled_at IS NULL`,
      ),
      getProposal: db.prepare<[string], { data: string }>('SELECT data FROM ai_proposals WHERE id = ?'),
      // One statement per shape of the query, so that each can use its index (an `@x IS NULL OR`
      // guard would keep SQLite from it).
      listProposals: db.prepare<[number], { data: string }>(
        'SELECT data FROM ai_proposals ORDER BY id DESC LIMIT ?',
      ),
      listProposalsBefore: db.prepare<[string, number], { data: string }>(
        'SELECT data FROM ai_proposals WHERE id < ? ORDER BY id DESC LIMIT ?',
      ),
      listProposalsByStatus: db.prepare<[ProposalStatus, number], { data: string }>(
        'SELECT data FROM ai_proposals WHERE status = ? ORDER BY id DESC LIMIT ?',
      ),
      listProposalsByStatusBefore: db.prepare<[ProposalStatus, string, number], { data: string }>(
        'SELECT data FROM ai_proposals WHERE status = ? AND id < ? ORDER BY id DESC LIMIT ?',
      ),
      listExpiredProposals: db.prepare<[string, number], { data: string }>(
        `SELECT data FROM ai_proposals WHERE status = 'pending' AND expires_at <= ?
         ORDER BY expires_at, id LIMIT ?`,
      ),
      putProposal: db.prepare(
        `INSERT INTO ai_proposals (id, status, created_at, expires_at, data)
         VALUES (@id, @status, @createdAt, @expiresAt, @data)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, created_at = excluded.created_at,
           expires_at = excluded.expires_at, data = excluded.data`,
      ),
      getOutbox: db.prepare<[string], OutboxDbRow>('SELECT * FROM outbox WHERE id = ?'),
      listOutbox: db.prepare<[number], OutboxDbRow>(
        'SELECT * FROM outbox ORDER BY created_at DESC, id DESC LIMIT ?',
      ),
      putOutbox: db.prepare(
        `INSERT INTO outbox (id, to_address, subject, body, record_id, created_by, created_at, status, attempted_at, error)
         VALUES (@id, @to, @subject, @body, @recordId, @createdBy, @createdAt, @status, @attemptedAt, @error)
         ON CONFLICT(id) DO UPDATE SET to_address = excluded.to_address, subject = excluded.subject,
           body = excluded.body, record_id = excluded.record_id, created_by = excluded.created_by,
           created_at = excluded.created_at, status = excluded.status, attempted_at = excluded.attempted_at,
           error = excluded.error`,
      ),
      markOutboxDelivery: db.prepare(
        'UPDATE outbox SET status = ?, attempted_at = ?, error = ? WHERE id = ?',
      ),
      addPromptLog: db.prepare('INSERT INTO ai_prompt_log (id, time, data) VALUES (?, ?, ?)'),
      getPromptLog: db.prepare<[string], { data: string }>('SELECT data FROM ai_prompt_log WHERE id = ?'),
      listPromptLog: db.prepare<[number], { data: string }>(
        'SELECT data FROM ai_prompt_log ORDER BY id DESC LIMIT ?',
      ),
      listPromptLogBefore: db.prepare<[string, number], { data: string }>(
        'SELECT data FROM ai_prompt_log WHERE id < ? ORDER BY id DESC LIMIT ?',
      ),
      deletePromptLogBefore: db.prepare('DELETE FROM ai_prompt_log WHERE time < ?'),
      addUsage: db.prepare(
        `INSERT INTO ai_usage (id, time, user_id, user_label, feature, input_tokens, output_tokens, prompt_log_id)
         VALUES (@id, @time, @userId, @userLabel, @feature, @inputTokens, @outputTokens, @promptLogId)`,
      ),
      // A person's label is the one of their latest call in the period, whatever its feature: a
      // renamed person shows under one name in every row.
      usageBetween: db.prepare<{ from: string; to: string }, UsageAggregateDbRow>(
        `WITH period AS (SELECT * FROM ai_usage WHERE time >= @from AND time < @to),
         latest AS (
           SELECT user_id, user_label,
             row_number() OVER (PARTITION BY user_id ORDER BY time DESC, id DESC) AS n
           FROM period
         )
         SELECT p.feature, p.user_id, l.user_label, sum(p.input_tokens) AS input_tokens,
           sum(p.output_tokens) AS output_tokens, count(*) AS calls
         FROM period p JOIN latest l ON l.user_id = p.user_id AND l.n = 1
         GROUP BY p.feature, p.user_id
         ORDER BY p.feature, p.user_id`,
      ),
      getAudit: db.prepare<[string], AuditDbRow>('SELECT * FROM audit_events WHERE id = ?'),
      auditFrom: db.prepare<[number, number], AuditDbRow>(
        'SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?',
      ),
      insertAudit: db.prepare(
        `INSERT INTO audit_events (seq, id, time, actor_kind, actor_id, actor_label, action, target_kind,
           target_entity_type, target_id, before, after, ip, user_agent, request_id, details, prev_hash, hash)
         VALUES (@seq, @id, @time, @actorKind, @actorId, @actorLabel, @action, @targetKind, @targetEntityType,
           @targetId, @before, @after, @ip, @userAgent, @requestId, @details, @prevHash, @hash)`,
      ),
    };
    // A file of an earlier version may hold full-table field indexes: made partial once, here.
    const schema = this.stmt.getMeta.get('schema')?.value;
    if (schema) this.db.transaction(() => this.ensureFieldIndexes(JSON.parse(schema) as WorkspaceSchema))();
  }

  async head(): Promise<ChainHead> {
    const row = this.stmt.head.get();
    if (!row) throw new Error('workspace chain head missing');
    return { seq: row.seq, hash: row.hash };
  }

  async getMeta(key: string) {
    return this.stmt.getMeta.get(key)?.value ?? null;
  }

  async getSchema() {
    if (!this.schemaCache) {
      const raw = this.stmt.getMeta.get('schema')?.value;
      this.schemaCache = raw ? (JSON.parse(raw) as WorkspaceSchema) : EMPTY_SCHEMA;
    }
    return this.schemaCache;
  }

  async getRecord(id: string) {
    const row = this.stmt.getRecord.get(id);
    return row ? toRecord(row) : null;
  }

  async listRecords(query: RecordListQuery, fieldTypes: ReadonlyMap<string, string>, textFields: string[]) {
    const where: string[] = [`type = ${typeLiteral(query.type)}`];
    const args: unknown[] = [];
    if (!query.includeDeleted) where.push('deleted_at IS NULL');
    const filters =
      query.filter === undefined ? [] : Array.isArray(query.filter) ? query.filter : [query.filter];
    for (const f of filters) {
      const expr = fieldExpr(f.field);
      if (f.op === 'contains') {
        where.push(`instr(lower(${expr}), lower(?)) > 0`);
        args.push(f.value);
      } else {
        // "Not equal" includes records where the field is absent (SQL would drop NULLs).
        where.push(f.op === 'ne' ? `(${expr} IS NULL OR ${expr} != ?)` : `${expr} ${OPS[f.op]} ?`);
        args.push(coerce(f.value, fieldTypes.get(f.field)));
      }
    }
    if (query.q && textFields.length > 0) {
      where.push(`(${textFields.map((f) => `instr(lower(${fieldExpr(f)}), lower(?)) > 0`).join(' OR ')})`);
      for (let i = 0; i < textFields.length; i++) args.push(query.q);
    }
    const sort = sortExpr(query.sort);
    const desc = query.order === 'desc';
    if (query.after) {
      // Keyset pagination over (sort value, id). SQLite puts NULLs first ascending, last descending.
      const { value, id } = query.after;
      if (value === null) {
        where.push(
          desc ? `(${sort} IS NULL AND id < ?)` : `((${sort} IS NULL AND id > ?) OR ${sort} IS NOT NULL)`,
        );
        args.push(id);
      } else if (desc) {
        where.push(`(${sort} < ? OR (${sort} = ? AND id < ?) OR ${sort} IS NULL)`);
        args.push(value, value, id);
      } else {
        where.push(`(${sort} > ? OR (${sort} = ? AND id > ?))`);
        args.push(value, value, id);
      }
    }
    const dir = desc ? 'DESC' : 'ASC';
    const sql = `SELECT * FROM records WHERE ${where.join(' AND ')} ORDER BY ${sort} ${dir}, id ${dir} LIMIT ?`;
    args.push(query.limit);
    return this.db
      .prepare<unknown[], RecordDbRow>(sql)
      .all(...args)
      .map(toRecord);
  }

  async recordsChangedSince(afterSeq: number, limit: number) {
    return this.stmt.changedSince.all(afterSeq, limit).map(toRecord);
  }

  async recordsChangedSinceJson(afterSeq: number, limit: number) {
    return this.stmt.changedSince.all(afterSeq, limit).map(toRecordJson);
  }

  async countLiveRecords(entityType: string) {
    return this.stmt.countLive.get(entityType)?.n ?? 0;
  }

  async getMember(userId: string) {
    const row = this.stmt.getMember.get(userId);
    return row ? toMember(row) : null;
  }

  async listMembers() {
    return this.stmt.listMembers.all().map(toMember);
  }

  async listRoles() {
    return this.stmt.listRoles.all().map((r) => JSON.parse(r.def) as CustomRole);
  }

  async getInvitation(id: string) {
    const row = this.stmt.getInvitation.get(id);
    return row ? toInvitation(row) : null;
  }

  async getInvitationByTokenHash(tokenHash: string) {
    const row = this.stmt.invitationByToken.get(tokenHash);
    return row ? toInvitation(row) : null;
  }

  async listInvitations() {
    return this.stmt.listInvitations.all().map(toInvitation);
  }

  async getDevice(id: string) {
    const row = this.stmt.getDevice.get(id);
    return row ? toDevice(row) : null;
  }

  async listDevices() {
    return this.stmt.listDevices.all().map(toDevice);
  }

  async touchDevice(id: string, at: string, ip: string | null) {
    this.stmt.touchDevice.run(at, ip, id);
  }

  async getPairing(id: string) {
    const row = this.stmt.getPairing.get(id);
    return row ? toPairing(row) : null;
  }

  async getPairingByTokenHash(tokenHash: string) {
    const row = this.stmt.pairingByToken.get(tokenHash);
    return row ? toPairing(row) : null;
  }

  async listPairings() {
    return this.stmt.listPairings.all().map(toPairing);
  }

  async getProposal(id: string) {
    const row = this.stmt.getProposal.get(id);
    return row ? toProposal(row) : null;
  }

  async listProposals(query: { status?: ProposalStatus; before?: string; limit: number }) {
    const { status, before, limit } = query;
    const rows =
      status === undefined
        ? before === undefined
          ? this.stmt.listProposals.all(limit)
          : this.stmt.listProposalsBefore.all(before, limit)
        : before === undefined
          ? this.stmt.listProposalsByStatus.all(status, limit)
          : this.stmt.listProposalsByStatusBefore.all(status, before, limit);
    return rows.map(toProposal);
  }

  async listExpiredProposals(now: string, limit: number) {
    return this.stmt.listExpiredProposals.all(now, limit).map(toProposal);
  }

  async getOutboxMessage(id: string) {
    const row = this.stmt.getOutbox.get(id);
    return row ? toOutboxMessage(row) : null;
  }

  async listOutbox(limit: number) {
    return this.stmt.listOutbox.all(limit).map(toOutboxMessage);
  }

  async markOutboxDelivery(id: string, status: 'sent' | 'failed', at: string, error: string | null) {
    this.stmt.markOutboxDelivery.run(status, at, error, id);
  }

  async addPromptLog(entry: PromptLogEntry) {
    this.stmt.addPromptLog.run(entry.id, entry.time, JSON.stringify(entry));
  }

  async getPromptLog(id: string) {
    const row = this.stmt.getPromptLog.get(id);
    return row ? toPromptLogEntry(row) : null;
  }

  async listPromptLog(query: { before?: string; limit: number }) {
    const rows =
      query.before === undefined
        ? this.stmt.listPromptLog.all(query.limit)
        : this.stmt.listPromptLogBefore.all(query.before, query.limit);
    return rows.map(toPromptLogEntry);
  }

  async deletePromptLogBefore(time: string) {
    return this.stmt.deletePromptLogBefore.run(time).changes;
  }

  async addUsage(row: UsageRow) {
    this.stmt.addUsage.run(row);
  }

  async usageBetween(from: string, to: string) {
    return this.stmt.usageBetween.all({ from, to }).map(toUsageAggregate);
  }

  async getAuditEvent(id: string) {
    const row = this.stmt.getAudit.get(id);
    return row ? toAuditEvent(row) : null;
  }

  async queryAudit(filter: AuditFilter) {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      args.push(value);
    };
    if (filter.actorId !== undefined) add('actor_id = ?', filter.actorId);
    if (filter.actorKind !== undefined) add('actor_kind = ?', filter.actorKind);
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.entityType !== undefined) add('target_entity_type = ?', filter.entityType);
    if (filter.recordId !== undefined) add("target_kind = 'record' AND target_id = ?", filter.recordId);
    if (filter.from !== undefined) add('time >= ?', filter.from);
    if (filter.to !== undefined) add('time <= ?', filter.to);
    if (filter.before !== undefined) add('seq < ?', filter.before);
    if (filter.after !== undefined) add('seq > ?', filter.after);
    const order = filter.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT ?`;
    args.push(filter.limit ?? 100);
    return this.db
      .prepare<unknown[], AuditDbRow>(sql)
      .all(...args)
      .map(toAuditEvent);
  }

  async auditEventsFrom(fromSeq: number, limit: number) {
    return this.stmt.auditFrom.all(fromSeq, limit).map(toAuditEvent);
  }

  async commit(changes: PendingChange[]): Promise<CommitResult> {
    const apply = this.db.transaction((): CommitResult => {
      const head = this.stmt.head.get();
      if (!head) throw new Error('workspace chain head missing');
      let { seq, hash } = head;
      const events: AuditEvent[] = [];
      const records: WorkspaceRecord[] = [];
      for (const change of changes) {
        seq += 1;
        for (const m of change.mutations) {
          switch (m.kind) {
            case 'record.put': {
              const record = { ...m.record, seq };
              const row = { ...record, data: JSON.stringify(record.data), expectedRev: m.expectedRev };
              if (!this.writeRecord(row, m.expectedRev)) {
                const current = this.stmt.getRecord.get(m.record.id);
                throw new RevisionConflict(m.record.id, current ? toRecord(current) : null);
              }
              records.push(record);
              break;
            }
            case 'schema.put':
              this.stmt.putMeta.run('schema', JSON.stringify(m.schema));
              this.ensureFieldIndexes(m.schema);
              break;
            case 'member.put':
              this.stmt.putMember.run({ ...m.member, roles: JSON.stringify(m.member.roles) });
              break;
            case 'member.delete':
              this.stmt.deleteMember.run(m.userId);
              break;
            case 'role.put':
              this.stmt.putRole.run(m.role.key, JSON.stringify(m.role));
              break;
            case 'role.delete':
              this.stmt.deleteRole.run(m.key);
              break;
            case 'invitation.put':
              this.stmt.putInvitation.run({ ...m.invitation, roles: JSON.stringify(m.invitation.roles) });
              break;
            case 'meta.put':
              this.stmt.putMeta.run(m.key, m.value);
              break;
            case 'device.put': {
              const { lastSeenAt: _seen, lastIp: _ip, ...device } = m.device;
              this.stmt.putDevice.run({ ...device, wipe: device.wipe ? 1 : 0 });
              break;
            }
            case 'pairing.put':
              this.stmt.putPairing.run(m.pairing);
              break;
            case 'pairing.consume':
              // The guard in the WHERE clause is what makes a code single-use, across processes too.
              if (this.stmt.consumePairing.run(m.usedAt, m.deviceId, m.pairingId).changes !== 1)
                throw new PairingUnavailable(m.pairingId);
              break;
            case 'ai.proposal.put': {
              const { id, status, createdAt, expiresAt } = m.proposal;
              this.stmt.putProposal.run({
                id,
                status,
                createdAt,
                expiresAt,
                data: JSON.stringify(m.proposal),
              });
              break;
            }
            case 'outbox.put':
              this.stmt.putOutbox.run(m.message);
              break;
          }
        }
        const unhashed = { ...change.event, seq };
        const eventHashValue = eventHash(hash, unhashed);
        const event: AuditEvent = { ...unhashed, prevHash: hash, hash: eventHashValue };
        this.stmt.insertAudit.run({
          seq,
          id: event.id,
          time: event.time,
          actorKind: event.actor.kind,
          actorId: event.actor.id,
          actorLabel: event.actor.label,
          action: event.action,
          targetKind: event.target.kind,
          targetEntityType: event.target.entityType,
          targetId: event.target.id,
          before: event.before === null ? null : JSON.stringify(event.before),
          after: event.after === null ? null : JSON.stringify(event.after),
          ip: event.ip,
          userAgent: event.userAgent,
          requestId: event.requestId,
          details: event.details === null ? null : JSON.stringify(event.details),
          prevHash: event.prevHash,
          hash: event.hash,
        });
        hash = eventHashValue;
        events.push(event);
      }
      this.stmt.setHead.run(seq, hash);
      return { events, records };
    });
    try {
      // IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading a read lock.
      return apply.immediate();
    } finally {
      // The cached schema may be stale after a rolled-back or applied schema change.
      if (changes.some((c) => c.mutations.some((m) => m.kind === 'schema.put'))) this.schemaCache = null;
    }
  }

  /** Writes a record row; false if its revision is not the expected one (or it exists when it should not). */
  private writeRecord(row: Record<string, unknown>, expectedRev: number | null): boolean {
    if (expectedRev !== null) return this.stmt.updateRecord.run(row).changes === 1;
    try {
      this.stmt.insertRecord.run(row);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
      throw error;
    }
  }

  /**
   * Indexed fields get an expression index, so filters and sorts on them are index range scans.
   * Each is partial, over its own entity type's rows only (`WHERE type = '<type>'`), so a write
   * updates the indexes of its own type and no other; queries name the type as a literal
   * (`typeLiteral`), which is what lets SQLite use a partial index. The type stays the leading
   * column all the same: without statistics the planner otherwise prefers the `type = …` search
   * of `records_type_updated` and sorts in a temporary B-tree. Indexes the schema no longer
   * asks for, and the full-table ones of earlier versions (`fx_…`), are dropped.
   */
  private ensureFieldIndexes(schema: WorkspaceSchema): void {
    const wanted = new Map<string, string>();
    for (const entity of schema.entityTypes) {
      for (const field of entity.fields) {
        if (!field.indexed) continue;
        wanted.set(
          `fp_${entity.key}__${field.key}`,
          `ON records(type, ${fieldExpr(field.key)}, id) WHERE type = ${typeLiteral(entity.key)}`,
        );
      }
    }
    const existing = this.db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND (name LIKE 'fx\\_%' ESCAPE '\\' OR name LIKE 'fp\\_%' ESCAPE '\\')",
      )
      .all()
      .map((r) => r.name);
    for (const name of existing) if (!wanted.has(name)) this.db.exec(`DROP INDEX "${name}"`);
    for (const [name, definition] of wanted) {
      if (!existing.includes(name)) this.db.exec(`CREATE INDEX "${name}" ${definition}`);
    }
  }

  close(): void {
    this.db.close();
  }
}
