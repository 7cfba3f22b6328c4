-- Directory (LDAP) users: the entry they were found as, the JID the mapping
-- gave (their Call Bridge user), and when the directory was last asked.
ALTER TABLE users ADD COLUMN directory_dn TEXT;
ALTER TABLE users ADD COLUMN jid TEXT;
ALTER TABLE users ADD COLUMN directory_checked_at BIGINT;
