-- An attempt is counted before it is judged (a password checked, say); one that turns out fine
-- is given back by its ticket, so only failures stay counted.
ALTER TABLE rate_limit_hits ADD COLUMN ticket TEXT NOT NULL DEFAULT '';
CREATE INDEX rate_limit_hits_ticket_idx ON rate_limit_hits (ticket);
