-- The REST list reads meetings in start order a chunk at a time.
CREATE INDEX meetings_start ON meetings (starts_at, id);
