-- Lines taken out of carts because their variant was deleted from the catalog, kept until the
-- shopper next sees the cart and is told.
CREATE TABLE cart_removals (
    cart_id     BIGINT NOT NULL CONSTRAINT cart_removals_cart_fkey REFERENCES carts (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    options     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX cart_removals_cart_idx ON cart_removals (cart_id);
