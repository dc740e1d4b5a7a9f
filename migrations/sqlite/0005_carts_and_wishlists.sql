-- Carts and wishlists. A cart belongs to a signed-in user or to a guest, whose browser holds a
-- random token in a cookie (only its SHA-256 is stored). Prices are never stored from the
-- client: a line remembers the catalog price when it was added, to tell the shopper it changed.
CREATE TABLE carts (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT CONSTRAINT carts_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT,
    created_at  BIGINT NOT NULL,
    -- Guest carts expire 30 days after this; every change to the cart moves it.
    updated_at  BIGINT NOT NULL,
    CONSTRAINT carts_owner_check CHECK ((user_id IS NULL) <> (token_hash IS NULL))
);
-- One cart per user and per guest token (NULLs do not collide on either backend).
CREATE UNIQUE INDEX carts_user_key ON carts (user_id);
CREATE UNIQUE INDEX carts_token_hash_key ON carts (token_hash);
CREATE INDEX carts_updated_idx ON carts (updated_at);

CREATE TABLE cart_lines (
    cart_id            BIGINT NOT NULL CONSTRAINT cart_lines_cart_fkey REFERENCES carts (id) ON DELETE CASCADE,
    variant_id         BIGINT NOT NULL CONSTRAINT cart_lines_variant_fkey REFERENCES product_variants (id) ON DELETE CASCADE,
    quantity           BIGINT NOT NULL CONSTRAINT cart_lines_quantity_check CHECK (quantity BETWEEN 1 AND 999),
    added_price_minor  BIGINT NOT NULL CONSTRAINT cart_lines_added_price_check CHECK (added_price_minor >= 0),
    added_at           BIGINT NOT NULL,
    -- Two tabs adding the same variant end in one line: the insert is an upsert on this key.
    CONSTRAINT cart_lines_pkey PRIMARY KEY (cart_id, variant_id)
);
CREATE INDEX cart_lines_variant_idx ON cart_lines (variant_id);

-- A signed-in shopper's saved variants.
CREATE TABLE wishlist_items (
    user_id     BIGINT NOT NULL CONSTRAINT wishlist_items_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    variant_id  BIGINT NOT NULL CONSTRAINT wishlist_items_variant_fkey REFERENCES product_variants (id) ON DELETE CASCADE,
    added_at    BIGINT NOT NULL,
    CONSTRAINT wishlist_items_pkey PRIMARY KEY (user_id, variant_id)
);
CREATE INDEX wishlist_items_variant_idx ON wishlist_items (variant_id);
