-- Schema version 2: the state a token was locked from (issue 12, finding 5).

-- Set when wrong codes lock a token (`pending_confirmation` or `active`); unlocking restores it,
-- so a token that was never confirmed does not come back `active`. NULL while not locked (and
-- for tokens locked before this column existed, which were `active` then: unlock restores that).
ALTER TABLE tokens ADD COLUMN locked_from TEXT
    CHECK (locked_from IN ('pending_confirmation', 'active'));

PRAGMA user_version = 2;
