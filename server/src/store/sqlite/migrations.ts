import { GENESIS_HASH } from '../../audit/chain';

export const controlMigrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    email_verified_at TEXT,
    instance_admin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  );
  CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    previous_token_hash TEXT,
    rotated_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  CREATE INDEX sessions_previous ON sessions(previous_token_hash);
  CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    wrapped_key TEXT NOT NULL
  );
  CREATE TABLE user_workspaces (
    user_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    PRIMARY KEY (user_id, workspace_id)
  );
  `,
  `
  ALTER TABLE workspaces ADD COLUMN deleted_at TEXT;
  CREATE TABLE pairing_index (
    token_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX pairing_index_expiry ON pairing_index(expires_at);
  `,
  `
  -- Signed checkpoints of each workspace's audit chain head, kept apart from the workspace file.
  CREATE TABLE audit_checkpoints (
    workspace_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    at TEXT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
  ) WITHOUT ROWID;
  CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
  CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
  `,
];

export const workspaceMigrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE chain_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
  INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
  CREATE TABLE records (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    rev INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
  );
  CREATE INDEX records_seq ON records(seq);
  CREATE INDEX records_type_updated ON records(type, updated_at, id);
  CREATE INDEX records_type_created ON records(type, created_at, id);
  CREATE TABLE members (
    user_id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    joined_at TEXT NOT NULL
  );
  CREATE TABLE roles (key TEXT PRIMARY KEY, def TEXT NOT NULL);
  CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    roles TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT,
    accepted_by TEXT,
    cancelled_at TEXT
  );
  CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    time TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_entity_type TEXT,
    target_id TEXT,
    before TEXT,
    after TEXT,
    ip TEXT,
    user_agent TEXT,
    request_id TEXT,
    details TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_actor ON audit_events(actor_id, seq);
  CREATE INDEX audit_action ON audit_events(action, seq);
  CREATE INDEX audit_target ON audit_events(target_entity_type, target_id, seq);
  CREATE INDEX audit_time ON audit_events(time);
  -- The log is append-only below the application: the database itself refuses to rewrite it.
  CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
  CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
  `,
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT NOT NULL,
    app_version TEXT NOT NULL,
    public_key TEXT NOT NULL,
    paired_by TEXT NOT NULL,
    paired_at TEXT NOT NULL,
    last_seen_at TEXT,
    last_ip TEXT,
    revoked_at TEXT,
    revoked_by TEXT,
    wipe INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX devices_owner ON devices(owner_id);
  CREATE TABLE pairings (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    for_user_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    device_id TEXT,
    cancelled_at TEXT
  );
  `,
  `
  -- When a revoked device's signed wipe receipt was accepted (null: not confirmed, or no wipe asked).
  ALTER TABLE devices ADD COLUMN wipe_confirmed_at TEXT;
  `,
  `
  -- AI under guardrails. A proposal is kept whole as JSON; the columns beside it are what lists
  -- and the expiry sweep select on. Proposal, prompt log and usage ids are UUIDv7, so id order is
  -- creation order.
  CREATE TABLE ai_proposals (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX ai_proposals_status ON ai_proposals(status, id);
  -- The expiry sweep reads (status = 'pending', expires_at <= now) in expiry order. A partial index
  -- on pending rows alone loses to the status index above in SQLite's planner, hence the status.
  CREATE INDEX ai_proposals_expiry ON ai_proposals(status, expires_at, id);
  CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    to_address TEXT NOT NULL, -- not "to": that is an SQL keyword
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    record_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    attempted_at TEXT,
    error TEXT
  );
  CREATE INDEX outbox_created ON outbox(created_at, id);
  CREATE TABLE ai_prompt_log (id TEXT PRIMARY KEY, time TEXT NOT NULL, data TEXT NOT NULL);
  CREATE INDEX ai_prompt_log_time ON ai_prompt_log(time);
  -- The usage ledger outlives the prompt log's retention, so it holds its own copy of the counts.
  CREATE TABLE ai_usage (
    id TEXT PRIMARY KEY,
    time TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_label TEXT NOT NULL,
    feature TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    prompt_log_id TEXT NOT NULL
  );
  CREATE INDEX ai_usage_time ON ai_usage(time);
  `,
];
