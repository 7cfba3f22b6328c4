-- Spaces by their coSpace: server/src/meetings/directory.rs asks which of a
-- user's coSpaces were made for meetings (on a home page whose copy of the
-- user's spaces expired), and the wizard's conflict check looks for the
-- meetings in a chosen space (server/src/meetings/conflicts.rs).
CREATE INDEX spaces_cospace ON spaces (cospace_id);
