-- One schema for SQLite and PostgreSQL (the same text runs on both):
-- TEXT, BIGINT (times in ms since the epoch), INTEGER, and flags as INTEGER
-- 0/1 (sqlx's Any driver reads no SQLite BOOLEAN).
-- Portable SQL: the same statements run on SQLite and PostgreSQL.
-- Times are UTC milliseconds since the epoch (BIGINT); ids are UUID text.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    -- NULL for users of an external directory (LDAP): they never sign in locally.
    password_hash TEXT,
    source TEXT NOT NULL DEFAULT 'local',
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    locale TEXT NOT NULL DEFAULT 'en',
    last_login_at BIGINT,
    previous_login_at BIGINT,
    -- Administrators see the service's state (/admin): C2W links, mail queue.
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie value: a stolen database does not hold live cookies.
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Spaces on the Call Bridge that the scheduler made or uses for a user.
CREATE TABLE spaces (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cospace_id TEXT,
    name TEXT NOT NULL,
    uri TEXT NOT NULL,
    call_id TEXT,
    join_url TEXT,
    -- Made for one meeting: deleted with it (or by the cleanup job).
    temporary INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX spaces_owner ON spaces (owner_id);

-- How each role joins a space: one row per access method.
CREATE TABLE space_access (
    space_id TEXT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    access_method_id TEXT NOT NULL,
    uri TEXT,
    call_id TEXT,
    passcode TEXT,
    secret TEXT,
    join_url TEXT,
    PRIMARY KEY (space_id, role)
);

CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    space_id TEXT REFERENCES spaces (id),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    -- The first occurrence, in UTC.
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    -- Local wall-clock start "YYYY-MM-DDTHH:MM" in time_zone, and length.
    local_start TEXT NOT NULL DEFAULT '',
    duration_minutes INTEGER NOT NULL DEFAULT 0,
    -- RFC 5545 RRULE without the "RRULE:" prefix; NULL when it does not repeat.
    rrule TEXT,
    template_id TEXT,
    -- Makes creation idempotent: a retried request finds its meeting.
    request_id TEXT UNIQUE,
    -- iCalendar SEQUENCE: bumped on every change attendees are told about.
    sequence INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX meetings_organizer_end ON meetings (organizer_id, ends_at);

CREATE TABLE meeting_attendees (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (meeting_id, email)
);

-- Exceptions of a repeating meeting, by the occurrence's original local start
-- "YYYY-MM-DDTHH:MM" in the meeting's zone: cancelled (EXDATE), or moved
-- and/or renamed (RECURRENCE-ID) to starts_at..ends_at (UTC ms).
CREATE TABLE meeting_exceptions (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    original TEXT NOT NULL,
    cancelled INTEGER NOT NULL,
    starts_at BIGINT,
    ends_at BIGINT,
    name TEXT,
    PRIMARY KEY (meeting_id, original)
);

-- A space being created on the Call Bridge (written before the saga starts,
-- removed with the meeting's own rows): if the node dies in between, the
-- recovery sweep finds the coSpace by its URI and cdrTag and deletes it.
CREATE TABLE space_intents (
    request_id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The wizard's state between steps (JSON), per user; old ones are purged.
CREATE TABLE meeting_drafts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX meeting_drafts_user ON meeting_drafts (user_id);

-- Invitation e-mails waiting to go, going, or gone (server/src/mail). Rows
-- are written in the same transaction as the meeting change they announce,
-- so nothing is lost if the SMTP server is down or the scheduler restarts.
-- A worker claims due rows with a lease (claimed_until), which lets several
-- scheduler nodes share the table.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    -- Not a foreign key: a cancellation outlives its meeting.
    meeting_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    -- invite | update | cancel
    kind TEXT NOT NULL,
    -- The rendered message (RFC 5322), built when the row is written.
    message TEXT NOT NULL,
    -- pending | sent | failed
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    claimed_by TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_meeting ON mail_outbox (meeting_id, recipient, created_at);

-- API tokens for integrations ("server user token <username>"); only the
-- SHA-256 of a token is kept.
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Singleton jobs (the 01:15 GMT cleanup): one node holds a job's lease at a
-- time; an expired lease (its node died) can be taken over.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
