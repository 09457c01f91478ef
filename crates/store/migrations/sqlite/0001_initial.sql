-- First schema of OmniRoute's store. Table names follow the user guide's backup feature:
-- an import must contain provider_connections, provider_nodes, combos and api_keys.
-- Times are Unix milliseconds (INTEGER). JSON columns hold typed documents owned by the gateway.
-- No secret is ever stored in a plain column: credentials live in `secrets` (encrypted) or in
-- the OS keychain, and other tables refer to them by name.

CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,               -- JSON document of one settings section
    updated_at  INTEGER NOT NULL
);

CREATE TABLE secrets (
    name        TEXT PRIMARY KEY NOT NULL,   -- e.g. "connection/<id>/api_key"
    backend     TEXT NOT NULL CHECK (backend IN ('encrypted', 'keychain')),
    nonce       BLOB,                        -- encrypted backend only
    ciphertext  BLOB,                        -- encrypted backend only
    updated_at  INTEGER NOT NULL,
    CHECK ((backend = 'encrypted') = (ciphertext IS NOT NULL AND nonce IS NOT NULL))
);

CREATE TABLE provider_nodes (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL UNIQUE,
    api_type    TEXT NOT NULL CHECK (api_type IN ('openai', 'anthropic', 'gemini', 'responses')),
    base_url    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE provider_connections (
    id          TEXT PRIMARY KEY NOT NULL,
    provider    TEXT NOT NULL,               -- catalog id or provider node prefix
    name        TEXT NOT NULL,
    auth_kind   TEXT NOT NULL CHECK (auth_kind IN ('api_key', 'oauth', 'none')),
    secret_name TEXT REFERENCES secrets(name) ON DELETE SET NULL,
    base_url    TEXT,
    priority    INTEGER NOT NULL DEFAULT 0,
    enabled     INTEGER NOT NULL DEFAULT 1,
    proxy       TEXT,                        -- JSON proxy config, without credentials
    rate_limits TEXT,                        -- JSON per-connection limits
    metadata    TEXT,                        -- JSON non-secret account details (email, plan, expiry)
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX provider_connections_provider ON provider_connections(provider, priority);

CREATE TABLE provider_models (
    provider    TEXT NOT NULL,
    model_id    TEXT NOT NULL,
    model_name  TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'embedding', 'image', 'audio')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (provider, model_id)
);

CREATE TABLE model_aliases (
    pattern     TEXT PRIMARY KEY NOT NULL,   -- exact id or wildcard with * and ?
    target      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE combos (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    strategy    TEXT NOT NULL DEFAULT 'priority',
    targets     TEXT NOT NULL,               -- JSON [{model, weight}]
    options     TEXT,                        -- JSON per-combo overrides (system prompt, proxy)
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE fallback_chains (
    id          TEXT PRIMARY KEY NOT NULL,
    model       TEXT NOT NULL UNIQUE,        -- the model that heads the chain
    targets     TEXT NOT NULL,               -- JSON ["model", ...]
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,       -- HMAC of the key; the key itself is shown once
    key_hint     TEXT NOT NULL,              -- last characters, for display
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE budgets (
    key_id      TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    period      TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
    limit_usd   REAL NOT NULL CHECK (limit_usd >= 0),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (key_id, period)
);

CREATE TABLE pricing (
    model          TEXT PRIMARY KEY NOT NULL, -- prefix/model
    input_per_1k   REAL NOT NULL CHECK (input_per_1k >= 0),
    output_per_1k  REAL NOT NULL CHECK (output_per_1k >= 0),
    updated_at     INTEGER NOT NULL
);

CREATE TABLE usage (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    ts               INTEGER NOT NULL,
    api_key_id       TEXT,
    combo            TEXT,
    provider         TEXT,
    connection_id    TEXT,
    model            TEXT NOT NULL,
    client_format    TEXT NOT NULL,
    stream           INTEGER NOT NULL DEFAULT 0,
    input_tokens     INTEGER NOT NULL DEFAULT 0,
    output_tokens    INTEGER NOT NULL DEFAULT 0,
    cached_tokens    INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd         REAL NOT NULL DEFAULT 0,
    latency_ms       INTEGER NOT NULL DEFAULT 0,
    ttft_ms          INTEGER,
    status           INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 1,
    fallback_reasons TEXT                     -- JSON [{target, reason}]
);
CREATE INDEX usage_ts ON usage(ts);
CREATE INDEX usage_key_ts ON usage(api_key_id, ts);

CREATE TABLE request_logs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    usage_id      INTEGER REFERENCES usage(id) ON DELETE CASCADE,
    ts            INTEGER NOT NULL,
    request_body  TEXT,                       -- secrets redacted before storing
    response_body TEXT
);
CREATE INDEX request_logs_ts ON request_logs(ts);

CREATE TABLE lockouts (
    id          TEXT PRIMARY KEY NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('model', 'connection')),
    target      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    until       INTEGER,                      -- NULL: until unlocked by hand
    created_at  INTEGER NOT NULL
);

CREATE TABLE quota_windows (
    connection_id TEXT NOT NULL REFERENCES provider_connections(id) ON DELETE CASCADE,
    window        TEXT NOT NULL,              -- '5h', 'weekly', 'daily', 'monthly'
    used          REAL,
    quota_limit   REAL,
    resets_at     INTEGER,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, window)
);
