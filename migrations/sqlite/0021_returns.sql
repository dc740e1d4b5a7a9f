-- Returns: a shopper sends units of a delivered order back within the shop's return window.
-- The order desk approves or rejects the request, marks the parcel received (putting the units
-- back in stock if it chooses) and refunds it; every step is kept with who took it and when.

CREATE TABLE returns (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL CONSTRAINT returns_order_fkey REFERENCES orders (id) ON DELETE RESTRICT,
    -- A code from checkout::model::RETURN_REASONS, and the shopper's own words.
    reason      TEXT   NOT NULL CONSTRAINT returns_reason_check CHECK (length(reason) BETWEEN 1 AND 40),
    note        TEXT   NOT NULL,
    status      TEXT   NOT NULL CONSTRAINT returns_status_check
                    CHECK (status IN ('requested', 'approved', 'rejected', 'received', 'refunded')),
    -- The refund that paid the return back, once there is one.
    refund_id   BIGINT CONSTRAINT returns_refund_fkey REFERENCES refunds (id) ON DELETE RESTRICT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX returns_order_idx ON returns (order_id);
CREATE INDEX returns_refund_idx ON returns (refund_id);

-- The units of each order line a return sends back.
CREATE TABLE return_lines (
    return_id  BIGINT NOT NULL CONSTRAINT return_lines_return_fkey REFERENCES returns (id) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    quantity   BIGINT NOT NULL CONSTRAINT return_lines_quantity_check CHECK (quantity > 0),
    CONSTRAINT return_lines_pkey PRIMARY KEY (return_id, position)
);

-- Each step of a return: the status it reached, the note that went with it (why it was
-- rejected, say), who took it (empty for the shopper's own request) and when.
CREATE TABLE return_steps (
    id         INTEGER PRIMARY KEY,
    return_id  BIGINT NOT NULL CONSTRAINT return_steps_return_fkey REFERENCES returns (id) ON DELETE CASCADE,
    status     TEXT   NOT NULL,
    note       TEXT   NOT NULL,
    taken_by   BIGINT CONSTRAINT return_steps_taken_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX return_steps_return_idx ON return_steps (return_id);
