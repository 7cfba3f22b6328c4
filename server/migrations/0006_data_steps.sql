-- One-time data steps the server runs at start after these migrations
-- (server/src/db/steps.rs), each recorded here once done so that it runs
-- once, also with several scheduler nodes starting together.
CREATE TABLE data_steps (
    name TEXT PRIMARY KEY,
    done_at BIGINT NOT NULL
);
