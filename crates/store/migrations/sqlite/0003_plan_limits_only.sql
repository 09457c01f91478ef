-- An account that keeps to its plan's limits: an answer billed as extra usage or overage
-- counts as the plan used up, and the account rests until the plan resets.
ALTER TABLE provider_connections ADD COLUMN plan_limits_only INTEGER NOT NULL DEFAULT 0;
