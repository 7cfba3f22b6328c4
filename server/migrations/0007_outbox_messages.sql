-- An outbox row's rendered message in a table of its own (server/src/mail).
-- The worker updates a row twice per message (claim, then settle); with the
-- message (several KB, on SQLite's overflow pages) in the same row, each of
-- those updates wrote the whole message again. A message is written once,
-- with its row, and read once per try.
CREATE TABLE mail_outbox_messages (
    -- The mail_outbox row's id.
    id TEXT PRIMARY KEY,
    -- The rendered message (RFC 5322), built when the row is written.
    message TEXT NOT NULL
);
INSERT INTO mail_outbox_messages (id, message) SELECT id, message FROM mail_outbox;
ALTER TABLE mail_outbox DROP COLUMN message;
