-- Where an answer came from: 'upstream', 'cache' (the response cache) or 'replay' (an
-- idempotent repeat). Cached and replayed answers cost nothing.
ALTER TABLE usage ADD COLUMN source TEXT NOT NULL DEFAULT 'upstream';
-- Input tokens written to the provider's prompt cache (read ones are `cached_tokens`).
ALTER TABLE usage ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0;
