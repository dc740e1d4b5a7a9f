-- The nearest neighbours of each product, computed offline from behaviour by
-- recommendations::engine: 'viewed' from what the same shoppers viewed, carted and bought,
-- 'bought' from the orders that hold both. Product pages only look them up. No foreign keys: a
-- rebuild replaces every row, and reading joins the products that are still on sale.
CREATE TABLE product_neighbours (
    product_id    BIGINT  NOT NULL,
    kind          TEXT    NOT NULL CONSTRAINT product_neighbours_kind_check CHECK (kind IN ('viewed', 'bought')),
    rank          BIGINT  NOT NULL,
    neighbour_id  BIGINT  NOT NULL,
    -- The similarity, times a million.
    score         BIGINT  NOT NULL,
    CONSTRAINT product_neighbours_pkey PRIMARY KEY (product_id, kind, rank)
);

-- Each rebuild: when, from how much behaviour, for how many products, and how long it took.
CREATE TABLE recommendation_builds (
    id            INTEGER PRIMARY KEY,
    built_at      BIGINT NOT NULL,
    interactions  BIGINT NOT NULL,
    products      BIGINT NOT NULL,
    took_ms       BIGINT NOT NULL
);
