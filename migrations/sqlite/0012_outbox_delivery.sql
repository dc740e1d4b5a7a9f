-- Delivering the outbox from every node: a node claims a message for a while before sending it,
-- so one node sends it; a failed attempt is retried later, up to a limit, and says why.
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
ALTER TABLE outbox ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
