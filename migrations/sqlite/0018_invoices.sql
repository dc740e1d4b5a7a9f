-- Invoices: every paid order gets one, numbered per year with no gaps (INV-2026-000001).

-- The last number of each series and year. A number is taken by an upsert in the transaction
-- that needs it, so a transaction that rolls back takes none and two never take the same one.
CREATE TABLE document_counters (
    series  TEXT   NOT NULL,
    year    BIGINT NOT NULL,
    last    BIGINT NOT NULL,
    CONSTRAINT document_counters_pkey PRIMARY KEY (series, year)
);

CREATE TABLE invoices (
    id         INTEGER PRIMARY KEY,
    order_id   BIGINT NOT NULL CONSTRAINT invoices_order_key UNIQUE
               CONSTRAINT invoices_order_fkey REFERENCES orders (id) ON DELETE RESTRICT,
    number     TEXT   NOT NULL CONSTRAINT invoices_number_key UNIQUE,
    issued_at  BIGINT NOT NULL
);
