-- Attendees' answers to invitations (server/src/meetings/answers.rs), the
-- single use of each answer link, and the server's signing secrets.

-- Secrets the server signs with (HMAC-SHA256), made on first use and shared
-- by every node of the database: one row per purpose ("answers").
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    -- 32 random bytes, URL-safe base64.
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- An attendee's answer to a meeting (a whole series: one answer).
CREATE TABLE attendee_answers (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- Lower case, as the answer link carries it.
    email TEXT NOT NULL,
    -- accepted | tentative | declined
    answer TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, email)
);

-- Answer links already used: a link records its answer once.
CREATE TABLE answer_token_uses (
    nonce TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    used_at BIGINT NOT NULL
);
CREATE INDEX answer_token_uses_meeting ON answer_token_uses (meeting_id);
