-- Product CSV files uploaded for import. An import waits for the owner's go (`confirmed_at`);
-- then whichever node finds it first claims it (`claimed_by` until `claimed_until`, renewed
-- after each batch), so a node that dies mid-way leaves the rest to another, which carries on
-- from `done` (products handled so far). The counts and `problems` (JSON: row, handle, what was
-- wrong) grow as it goes; `finished_at` is set when every product was handled.
CREATE TABLE product_imports (
    id             INTEGER PRIMARY KEY,
    file_name      TEXT   NOT NULL,
    body           TEXT   NOT NULL,
    created_by     BIGINT CONSTRAINT product_imports_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    confirmed_at   BIGINT,
    claimed_by     TEXT   NOT NULL,
    claimed_until  BIGINT,
    done           BIGINT NOT NULL,
    created        BIGINT NOT NULL,
    updated        BIGINT NOT NULL,
    unchanged      BIGINT NOT NULL,
    refused        BIGINT NOT NULL,
    problems       TEXT   NOT NULL,
    finished_at    BIGINT
);
