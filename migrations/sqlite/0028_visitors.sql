-- Every browser gets a random visitor id in a first-party cookie (nothing personal), so guests'
-- behaviour counts for recommendations; signing in gives the visitor's events to the account.
ALTER TABLE events ADD COLUMN visitor TEXT;
CREATE INDEX events_visitor_idx ON events (visitor, created_at);
