-- Each usage row's own id, given when the request finished: a gateway's journal of rows not
-- yet stored is replayed after a crash, and rows already stored are recognised, not doubled.
ALTER TABLE usage ADD COLUMN uid TEXT;
CREATE UNIQUE INDEX usage_uid ON usage(uid);
