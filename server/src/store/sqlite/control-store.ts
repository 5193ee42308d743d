import type { AuditCheckpoint } from '@enclave/shared';
import type { ControlStore, EmailTokenPurpose, SessionRow, UserRow, WorkspaceRow } from '../types';
import type { Db } from './open';

interface UserDbRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  email_verified_at: string | null;
  instance_admin: number;
  created_at: string;
}

interface SessionDbRow {
  id: string;
  user_id: string;
  token_hash: string;
  previous_token_hash: string | null;
  rotated_at: string;
  created_at: string;
  last_used_at: string;
  ip: string | null;
  user_agent: string | null;
}

interface WorkspaceDbRow {
  id: string;
  name: string;
  created_at: string;
  created_by: string;
  wrapped_key: string;
}

interface CheckpointDbRow {
  workspace_id: string;
  seq: number;
  hash: string;
  at: string;
  key_id: string;
  signature: string;
}

const toCheckpoint = (r: CheckpointDbRow): AuditCheckpoint => ({
  workspaceId: r.workspace_id,
  seq: r.seq,
  hash: r.hash,
  at: r.at,
  keyId: r.key_id,
  signature: r.signature,
});

const toUser = (r: UserDbRow): UserRow => ({
  id: r.id,
  email: r.email,
  name: r.name,
  passwordHash: r.password_hash,
  emailVerifiedAt: r.email_verified_at,
  instanceAdmin: r.instance_admin === 1,
  createdAt: r.created_at,
});

const toSession = (r: SessionDbRow): SessionRow => ({
  id: r.id,
  userId: r.user_id,
  tokenHash: r.token_hash,
  previousTokenHash: r.previous_token_hash,
  rotatedAt: r.rotated_at,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  ip: r.ip,
  userAgent: r.user_agent,
});

const toWorkspace = (r: WorkspaceDbRow): WorkspaceRow => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  createdBy: r.created_by,
  wrappedKey: r.wrapped_key,
});

export class SqliteControlStore implements ControlStore {
  private readonly stmt;

  constructor(private readonly db: Db) {
    this.stmt = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
      countUsers: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
      insertUser: db.prepare(
        `INSERT INTO users (id, email, name, password_hash, email_verified_at, instance_admin, created_at)
         VALUES (@id, @email, @name, @passwordHash, @emailVerifiedAt, @instanceAdmin, @createdAt)
         ON CONFLICT(email) DO NOTHING`,
      ),
      userById: db.prepare<[string], UserDbRow>('SELECT * FROM users WHERE id = ?'),
      userByEmail: db.prepare<[string], UserDbRow>('SELECT * FROM users WHERE email = ?'),
      verifyEmail: db.prepare(
        'UPDATE users SET email_verified_at = coalesce(email_verified_at, ?) WHERE id = ?',
      ),
      deleteUnverified: db.prepare('DELETE FROM users WHERE id = ? AND email_verified_at IS NULL'),
      setPassword: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
      insertEmailToken: db.prepare(
        'INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at) VALUES (?, ?, ?, ?)',
      ),
      consumeEmailToken: db.prepare<[string, string, string], { user_id: string }>(
        'DELETE FROM email_tokens WHERE token_hash = ? AND purpose = ? AND expires_at > ? RETURNING user_id',
      ),
      deleteUserTokens: db.prepare('DELETE FROM email_tokens WHERE user_id = ? AND purpose = ?'),
      deleteExpiredTokens: db.prepare('DELETE FROM email_tokens WHERE expires_at <= ?'),
      insertSession: db.prepare(
        `INSERT INTO sessions (id, user_id, token_hash, previous_token_hash, rotated_at, created_at, last_used_at, ip, user_agent)
         VALUES (@id, @userId, @tokenHash, @previousTokenHash, @rotatedAt, @createdAt, @lastUsedAt, @ip, @userAgent)`,
      ),
      sessionByToken: db.prepare<[string], SessionDbRow>('SELECT * FROM sessions WHERE token_hash = ?'),
      sessionByPrevious: db.prepare<[string, string], SessionDbRow>(
        'SELECT * FROM sessions WHERE previous_token_hash = ? AND rotated_at > ?',
      ),
      touchSession: db.prepare('UPDATE sessions SET last_used_at = ?, ip = coalesce(?, ip) WHERE id = ?'),
      rotateSession: db.prepare(
        'UPDATE sessions SET token_hash = ?, previous_token_hash = ?, rotated_at = ? WHERE id = ? AND token_hash = ?',
      ),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
      deleteUserSessions: db.prepare('DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?'),
      deleteIdle: db.prepare('DELETE FROM sessions WHERE last_used_at < ?'),
      listSessions: db.prepare<[string], SessionDbRow>(
        'SELECT * FROM sessions WHERE user_id = ? ORDER BY last_used_at DESC',
      ),
      insertWorkspace: db.prepare(
        `INSERT INTO workspaces (id, name, created_at, created_by, wrapped_key)
         VALUES (@id, @name, @createdAt, @createdBy, @wrappedKey)`,
      ),
      workspaceById: db.prepare<[string], WorkspaceDbRow>(
        'SELECT * FROM workspaces WHERE id = ? AND deleted_at IS NULL',
      ),
      listWorkspaces: db.prepare<[], WorkspaceDbRow>(
        'SELECT * FROM workspaces WHERE deleted_at IS NULL ORDER BY created_at',
      ),
      markDeleted: db.prepare('UPDATE workspaces SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL'),
      forgetMemberships: db.prepare('DELETE FROM user_workspaces WHERE workspace_id = ?'),
      forgetPairings: db.prepare('DELETE FROM pairing_index WHERE workspace_id = ?'),
      indexPairing: db.prepare(
        'INSERT INTO pairing_index (token_hash, workspace_id, expires_at) VALUES (?, ?, ?)',
      ),
      findPairing: db.prepare<[string], { workspace_id: string }>(
        'SELECT workspace_id FROM pairing_index WHERE token_hash = ?',
      ),
      expirePairings: db.prepare('DELETE FROM pairing_index WHERE expires_at <= ?'),
      renameWorkspace: db.prepare('UPDATE workspaces SET name = ? WHERE id = ?'),
      addIndex: db.prepare('INSERT OR IGNORE INTO user_workspaces (user_id, workspace_id) VALUES (?, ?)'),
      removeIndex: db.prepare('DELETE FROM user_workspaces WHERE user_id = ? AND workspace_id = ?'),
      workspacesOfUser: db.prepare<[string], { workspace_id: string }>(
        `SELECT uw.workspace_id FROM user_workspaces uw JOIN workspaces w ON w.id = uw.workspace_id
         WHERE uw.user_id = ? AND w.deleted_at IS NULL`,
      ),
      insertCheckpoint: db.prepare(
        `INSERT INTO audit_checkpoints (workspace_id, seq, hash, at, key_id, signature)
         VALUES (@workspaceId, @seq, @hash, @at, @keyId, @signature)
         ON CONFLICT(workspace_id, seq) DO NOTHING`,
      ),
      listCheckpoints: db.prepare<[string, number, number], CheckpointDbRow>(
        'SELECT * FROM audit_checkpoints WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      lastCheckpoint: db.prepare<[string], CheckpointDbRow>(
        'SELECT * FROM audit_checkpoints WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1',
      ),
    };
  }

  async getMeta(key: string) {
    return this.stmt.getMeta.get(key)?.value ?? null;
  }

  async setMeta(key: string, value: string | null) {
    if (value === null) this.stmt.deleteMeta.run(key);
    else this.stmt.putMeta.run(key, value);
  }

  async compareAndSetMeta(key: string, expected: string | null, value: string | null) {
    return this.db
      .transaction(() => {
        const current = this.stmt.getMeta.get(key)?.value ?? null;
        if (current !== expected) return false;
        if (value === null) this.stmt.deleteMeta.run(key);
        else this.stmt.putMeta.run(key, value);
        return true;
      })
      .immediate();
  }

  async countUsers() {
    return this.stmt.countUsers.get()?.n ?? 0;
  }

  async createUser(user: UserRow) {
    const result = this.stmt.insertUser.run({ ...user, instanceAdmin: user.instanceAdmin ? 1 : 0 });
    return result.changes === 1;
  }

  async getUserById(id: string) {
    const row = this.stmt.userById.get(id);
    return row ? toUser(row) : null;
  }

  async getUserByEmail(email: string) {
    const row = this.stmt.userByEmail.get(email);
    return row ? toUser(row) : null;
  }

  async markEmailVerified(userId: string, at: string) {
    this.stmt.verifyEmail.run(at, userId);
  }

  async deleteUnverifiedUser(userId: string) {
    return this.stmt.deleteUnverified.run(userId).changes === 1;
  }

  async setPasswordHash(userId: string, passwordHash: string) {
    this.stmt.setPassword.run(passwordHash, userId);
  }

  async createEmailToken(t: {
    tokenHash: string;
    userId: string;
    purpose: EmailTokenPurpose;
    expiresAt: string;
  }) {
    this.stmt.insertEmailToken.run(t.tokenHash, t.userId, t.purpose, t.expiresAt);
  }

  async consumeEmailToken(tokenHash: string, purpose: EmailTokenPurpose, now: string) {
    return this.stmt.consumeEmailToken.get(tokenHash, purpose, now)?.user_id ?? null;
  }

  async deleteEmailTokensOfUser(userId: string, purpose: EmailTokenPurpose) {
    this.stmt.deleteUserTokens.run(userId, purpose);
  }

  async deleteExpiredEmailTokens(now: string) {
    return this.stmt.deleteExpiredTokens.run(now).changes;
  }

  async createSession(session: SessionRow) {
    this.stmt.insertSession.run(session);
  }

  async findSessionByTokenHash(tokenHash: string, previousValidAfter: string) {
    const row =
      this.stmt.sessionByToken.get(tokenHash) ??
      this.stmt.sessionByPrevious.get(tokenHash, previousValidAfter);
    return row ? toSession(row) : null;
  }

  async touchSession(id: string, lastUsedAt: string, ip: string | null) {
    this.stmt.touchSession.run(lastUsedAt, ip, id);
  }

  async rotateSession(id: string, newTokenHash: string, previousTokenHash: string, at: string) {
    return (
      this.stmt.rotateSession.run(newTokenHash, previousTokenHash, at, id, previousTokenHash).changes === 1
    );
  }

  async deleteSession(id: string) {
    this.stmt.deleteSession.run(id);
  }

  async deleteSessionsOfUser(userId: string, exceptSessionId: string | null) {
    return this.stmt.deleteUserSessions.run(userId, exceptSessionId).changes;
  }

  async deleteIdleSessions(lastUsedBefore: string) {
    return this.stmt.deleteIdle.run(lastUsedBefore).changes;
  }

  async listSessions(userId: string) {
    return this.stmt.listSessions.all(userId).map(toSession);
  }

  async createWorkspace(row: WorkspaceRow) {
    this.stmt.insertWorkspace.run(row);
  }

  async getWorkspace(id: string) {
    const row = this.stmt.workspaceById.get(id);
    return row ? toWorkspace(row) : null;
  }

  async listWorkspaces() {
    return this.stmt.listWorkspaces.all().map(toWorkspace);
  }

  async setWorkspaceName(id: string, name: string) {
    this.stmt.renameWorkspace.run(name, id);
  }

  async setMembershipIndex(userId: string, workspaceId: string, member: boolean) {
    if (member) this.stmt.addIndex.run(userId, workspaceId);
    else this.stmt.removeIndex.run(userId, workspaceId);
  }

  async listWorkspaceIdsOfUser(userId: string) {
    return this.stmt.workspacesOfUser.all(userId).map((r) => r.workspace_id);
  }

  async markWorkspaceDeleted(id: string, at: string) {
    this.db.transaction(() => {
      this.stmt.markDeleted.run(at, id);
      this.stmt.forgetMemberships.run(id);
      this.stmt.forgetPairings.run(id);
    })();
  }

  async indexPairing(tokenHash: string, workspaceId: string, expiresAt: string) {
    this.stmt.indexPairing.run(tokenHash, workspaceId, expiresAt);
  }

  async findPairingWorkspace(tokenHash: string) {
    return this.stmt.findPairing.get(tokenHash)?.workspace_id ?? null;
  }

  async deleteExpiredPairingIndex(now: string) {
    return this.stmt.expirePairings.run(now).changes;
  }

  async putAuditCheckpoint(checkpoint: AuditCheckpoint) {
    return this.stmt.insertCheckpoint.run(checkpoint).changes === 1;
  }

  async listAuditCheckpoints(workspaceId: string, afterSeq: number, limit: number) {
    return this.stmt.listCheckpoints.all(workspaceId, afterSeq, limit).map(toCheckpoint);
  }

  async lastAuditCheckpoint(workspaceId: string) {
    const row = this.stmt.lastCheckpoint.get(workspaceId);
    return row ? toCheckpoint(row) : null;
  }

  async close() {
    this.db.close();
  }
}
