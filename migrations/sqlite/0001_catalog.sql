-- Catalog foundation: a category tree, brands, products and their variants.
-- Conventions on both backends: money is BIGINT minor units, times are BIGINT epoch milliseconds,
-- every constraint and index has a name so errors can be mapped to friendly messages.

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    -- NULL for a top-level department; deleting a category with children is refused.
    parent_id   BIGINT CONSTRAINT categories_parent_fkey REFERENCES categories (id) ON DELETE RESTRICT,
    slug        TEXT    NOT NULL CONSTRAINT categories_slug_key UNIQUE,
    name        TEXT    NOT NULL CONSTRAINT categories_name_check CHECK (length(name) BETWEEN 1 AND 100),
    -- Order among siblings.
    position    BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX categories_parent_position_idx ON categories (parent_id, position);

CREATE TABLE brands (
    id    INTEGER PRIMARY KEY,
    slug  TEXT NOT NULL CONSTRAINT brands_slug_key UNIQUE,
    name  TEXT NOT NULL CONSTRAINT brands_name_check CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE products (
    id            INTEGER PRIMARY KEY,
    slug          TEXT   NOT NULL CONSTRAINT products_slug_key UNIQUE,
    title         TEXT   NOT NULL CONSTRAINT products_title_check CHECK (length(title) BETWEEN 1 AND 200),
    brand_id      BIGINT NOT NULL CONSTRAINT products_brand_fkey REFERENCES brands (id) ON DELETE RESTRICT,
    category_id   BIGINT NOT NULL CONSTRAINT products_category_fkey REFERENCES categories (id) ON DELETE RESTRICT,
    description   TEXT   NOT NULL DEFAULT '',
    status        TEXT   NOT NULL DEFAULT 'active'
                  CONSTRAINT products_status_check CHECK (status IN ('draft', 'active', 'archived')),
    -- Aggregates over reviews, kept by the reviews feature; the average is total / count.
    rating_count  BIGINT NOT NULL DEFAULT 0 CONSTRAINT products_rating_count_check CHECK (rating_count >= 0),
    rating_total  BIGINT NOT NULL DEFAULT 0 CONSTRAINT products_rating_total_check CHECK (rating_total >= 0),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX products_category_idx ON products (category_id);
CREATE INDEX products_brand_idx ON products (brand_id);
-- The home page and "newest" sort list active products by creation time.
CREATE INDEX products_status_created_idx ON products (status, created_at);

-- Every product has at least one variant: the thing with a SKU, a price and stock.
CREATE TABLE product_variants (
    id                INTEGER PRIMARY KEY,
    product_id        BIGINT NOT NULL CONSTRAINT product_variants_product_fkey REFERENCES products (id) ON DELETE CASCADE,
    sku               TEXT   NOT NULL CONSTRAINT product_variants_sku_key UNIQUE,
    -- Option values such as "Size=M; Colour=Red"; empty for a product without options.
    options           TEXT   NOT NULL DEFAULT '',
    price_minor       BIGINT NOT NULL CONSTRAINT product_variants_price_check CHECK (price_minor >= 0),
    compare_at_minor  BIGINT CONSTRAINT product_variants_compare_at_check CHECK (compare_at_minor IS NULL OR compare_at_minor >= 0),
    stock             BIGINT NOT NULL CONSTRAINT product_variants_stock_check CHECK (stock >= 0),
    position          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX product_variants_product_idx ON product_variants (product_id, position);
