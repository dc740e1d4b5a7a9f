-- Customer reviews: one per shopper and product, editable. The product's rating_count and
-- rating_total (0001) are kept in step with these rows in the same transaction.
CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY,
    product_id  BIGINT NOT NULL CONSTRAINT reviews_product_fkey REFERENCES products (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL CONSTRAINT reviews_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    rating      BIGINT NOT NULL CONSTRAINT reviews_rating_check CHECK (rating BETWEEN 1 AND 5),
    title       TEXT   NOT NULL CONSTRAINT reviews_title_check CHECK (length(title) <= 120),
    body        TEXT   NOT NULL CONSTRAINT reviews_body_check CHECK (length(body) BETWEEN 1 AND 5000),
    -- 1 when the author had bought the product (a paid, shipped or delivered order) when writing.
    verified    BIGINT NOT NULL DEFAULT 0 CONSTRAINT reviews_verified_check CHECK (verified IN (0, 1)),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT reviews_product_user_key UNIQUE (product_id, user_id)
);
-- The product page lists the newest first.
CREATE INDEX reviews_product_created_idx ON reviews (product_id, created_at);
CREATE INDEX reviews_user_idx ON reviews (user_id);
