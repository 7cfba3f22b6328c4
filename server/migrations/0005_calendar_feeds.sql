-- Private calendar feed addresses (server/src/meetings/feed.rs): one per
-- person at most; only the SHA-256 of the address's token is kept. Renewing
-- replaces the row, which kills the old address.
CREATE TABLE calendar_feeds (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
