-- Which node's delivery task holds a message's claim while it is being sent ('' when none), so
-- a node that shuts down hands back what it had not finished instead of leaving it claimed.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
