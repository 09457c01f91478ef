-- Synced records this device received but does not apply: a body it cannot read (written by a
-- newer OmniRoute, or damaged), a budget of an API key unknown here, a row the gateway or the
-- database refused. Each is kept as received and handed back by `Store::synced_rows`, so this
-- device neither uses it nor publishes a deletion or a rewrite of another device's edit.
CREATE TABLE sync_held (
    kind        TEXT NOT NULL,               -- record kind, e.g. 'combo'
    id          TEXT NOT NULL,               -- record id within its kind
    body        TEXT NOT NULL,               -- the record's JSON body as received
    local_body  TEXT,                        -- this device's body for the key when it was held
    reason      TEXT NOT NULL,
    held_at     BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
