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

-- Spaces on the Call Bridge that the scheduler knows for a user.
CREATE TABLE spaces (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cospace_id TEXT,
    name TEXT NOT NULL,
    uri TEXT NOT NULL,
    call_id TEXT,
    join_url TEXT,
    temporary BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX spaces_owner ON spaces (owner_id);

CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    organizer_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    space_id TEXT REFERENCES spaces (id),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX meetings_organizer_end ON meetings (organizer_id, ends_at);
