-- Refunds: money given back on a paid order, in full or in part, through the gateway that took
-- it; each one that succeeds gets a credit note (CN-2026-000001).

-- Every unit and cent given back: the order is closed.
INSERT INTO order_statuses (name) VALUES ('refunded');

-- What has been given back (refunds that succeeded or are still with the gateway). Refunds
-- never exceed the total: each one raises this with `refunded_minor + amount <= total_minor`.
ALTER TABLE orders ADD COLUMN refunded_minor BIGINT NOT NULL DEFAULT 0;

CREATE TABLE refunds (
    id            INTEGER PRIMARY KEY,
    order_id      BIGINT NOT NULL CONSTRAINT refunds_order_fkey REFERENCES orders (id) ON DELETE RESTRICT,
    amount_minor  BIGINT NOT NULL CONSTRAINT refunds_amount_check CHECK (amount_minor > 0),
    -- Refunded units go back to stock once the refund succeeds.
    restock       BIGINT NOT NULL CONSTRAINT refunds_restock_check CHECK (restock IN (0, 1)),
    reason        TEXT   NOT NULL,
    status        TEXT   NOT NULL CONSTRAINT refunds_status_check CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider      TEXT   NOT NULL,
    -- The gateway's id for the refund, once it has answered.
    reference     TEXT   NOT NULL DEFAULT '',
    -- The credit note's number, given when the refund succeeds.
    credit_note   TEXT   CONSTRAINT refunds_credit_note_key UNIQUE,
    failure       TEXT   NOT NULL DEFAULT '',
    created_by    BIGINT CONSTRAINT refunds_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at    BIGINT NOT NULL,
    settled_at    BIGINT
);
CREATE INDEX refunds_order_idx ON refunds (order_id);
CREATE INDEX refunds_reference_idx ON refunds (reference);

-- The units of each order line a refund gives back, and the money for them.
CREATE TABLE refund_lines (
    refund_id     BIGINT NOT NULL CONSTRAINT refund_lines_refund_fkey REFERENCES refunds (id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    quantity      BIGINT NOT NULL CONSTRAINT refund_lines_quantity_check CHECK (quantity > 0),
    amount_minor  BIGINT NOT NULL CONSTRAINT refund_lines_amount_check CHECK (amount_minor >= 0),
    CONSTRAINT refund_lines_pkey PRIMARY KEY (refund_id, position)
);
