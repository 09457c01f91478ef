-- Where an answer came from: 'upstream', 'cache' (the response cache) or 'replay' (an
-- idempotent repeat). Cached and replayed answers cost nothing.
ALTER TABLE usage ADD COLUMN source TEXT NOT NULL DEFAULT 'upstream';
