-- Reservations that expire, background jobs that one node at a time runs, and rate limits of
-- every kind counted in one table.

-- The statuses an order can take. orders.status refers to this table (0015), so a new status
-- is one row here instead of a changed CHECK constraint.
CREATE TABLE order_statuses (
    name  TEXT CONSTRAINT order_statuses_pkey PRIMARY KEY
);
INSERT INTO order_statuses (name) VALUES
    ('pending_payment'), ('paid'), ('payment_failed'), ('shipped'), ('delivered'), ('cancelled'),
    -- Not paid within the reservation time: its stock went back, nothing was charged.
    ('expired');

-- Until when an order waiting for payment holds its stock (read only while it waits). Orders
-- already waiting get the shipped default of 15 minutes from their last change.
ALTER TABLE orders ADD COLUMN reserved_until BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET reserved_until = updated_at + 900000 WHERE status = 'pending_payment';

-- Who runs each background job (e.g. expiring reservations) and until when: a node runs a job
-- only while it holds the lease, so behind a balancer one node does the work at a time.
CREATE TABLE job_leases (
    name          TEXT   CONSTRAINT job_leases_pkey PRIMARY KEY,
    holder        TEXT   NOT NULL,
    leased_until  BIGINT NOT NULL
);

-- One row per counted request (a failed sign-in, an order placed, ...) by scope ('ip:...',
-- 'email:...', 'order-user:...'); rate limits count them over a window. Replaces auth_failures,
-- whose rows only ever mattered for a minute.
CREATE TABLE rate_limit_hits (
    scope  TEXT   NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX rate_limit_hits_scope_at_idx ON rate_limit_hits (scope, at);
CREATE INDEX rate_limit_hits_at_idx ON rate_limit_hits (at);
DROP TABLE auth_failures;
