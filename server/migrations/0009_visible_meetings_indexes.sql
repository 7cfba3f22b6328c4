-- A person's lists (server/src/meetings/visible.rs): the meetings they are
-- invited to, by address in any case, and those they organize, in start
-- order (series apart: a series' first start can be long past). Without
-- these, a home page walked every meeting of every user.
CREATE INDEX meeting_attendees_email ON meeting_attendees (lower(email), meeting_id);
CREATE INDEX meetings_organizer_start ON meetings (organizer_id, starts_at, id);
CREATE INDEX meetings_series_organizer ON meetings (organizer_id, starts_at, id) WHERE rrule IS NOT NULL;
