-- Product attributes (e.g. Material = merino wool) and the behaviour events that recommendations
-- and analytics are built from.

CREATE TABLE product_attributes (
    product_id  BIGINT NOT NULL CONSTRAINT product_attributes_product_fkey REFERENCES products (id) ON DELETE CASCADE,
    name        TEXT   NOT NULL CONSTRAINT product_attributes_name_check CHECK (length(name) BETWEEN 1 AND 60),
    value       TEXT   NOT NULL CONSTRAINT product_attributes_value_check CHECK (length(value) BETWEEN 1 AND 200),
    position    BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT product_attributes_pkey PRIMARY KEY (product_id, name)
);

-- Append-only. `kind` is e.g. product_view, search, add_to_cart, purchase; `payload` is JSON
-- text with the details of that kind. Written in batches, off the request path.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT   NOT NULL CONSTRAINT events_kind_check CHECK (length(kind) BETWEEN 1 AND 40),
    user_id     BIGINT CONSTRAINT events_user_fkey REFERENCES users (id) ON DELETE SET NULL,
    product_id  BIGINT CONSTRAINT events_product_fkey REFERENCES products (id) ON DELETE SET NULL,
    payload     TEXT   NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE INDEX events_kind_created_idx ON events (kind, created_at);
CREATE INDEX events_product_idx ON events (product_id);
CREATE INDEX events_user_idx ON events (user_id);
