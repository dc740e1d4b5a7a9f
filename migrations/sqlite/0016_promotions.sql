-- Promotions: discount codes and automatic promotions (no code), and which order used which.

CREATE TABLE promotions (
    id                  INTEGER PRIMARY KEY,
    -- Upper case (codes are case-insensitive); NULL for an automatic promotion.
    code                TEXT   CONSTRAINT promotions_code_key UNIQUE,
    name                TEXT   NOT NULL CONSTRAINT promotions_name_check CHECK (length(name) BETWEEN 1 AND 100),
    -- 'percent': value in basis points; 'amount': value in minor units; 'free_shipping': 0.
    kind                TEXT   NOT NULL CONSTRAINT promotions_kind_check CHECK (kind IN ('percent', 'amount', 'free_shipping')),
    value               BIGINT NOT NULL CONSTRAINT promotions_value_check CHECK (value >= 0),
    min_subtotal_minor  BIGINT NOT NULL CONSTRAINT promotions_min_subtotal_check CHECK (min_subtotal_minor >= 0),
    starts_at           BIGINT NOT NULL,
    -- NULL: it never ends.
    ends_at             BIGINT,
    active              BIGINT NOT NULL DEFAULT 1 CONSTRAINT promotions_active_check CHECK (active IN (0, 1)),
    -- NULL: no limit. `uses` counts the orders holding the promotion; an order that fails,
    -- expires or is cancelled gives its use back.
    usage_limit         BIGINT CONSTRAINT promotions_usage_limit_check CHECK (usage_limit > 0),
    per_customer_limit  BIGINT CONSTRAINT promotions_per_customer_limit_check CHECK (per_customer_limit > 0),
    uses                BIGINT NOT NULL DEFAULT 0 CONSTRAINT promotions_uses_check CHECK (uses >= 0 AND (usage_limit IS NULL OR uses <= usage_limit)),
    -- Limited to this category and the categories below it; NULL for every product.
    category_id         BIGINT CONSTRAINT promotions_category_fkey REFERENCES categories (id) ON DELETE RESTRICT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX promotions_automatic_idx ON promotions (active, starts_at) WHERE code IS NULL;

-- The promotion an order carries. While `released_at` is NULL the order holds one of its uses;
-- an order that fails, expires or is cancelled gives the use back (and a failed order placed
-- again takes it again).
CREATE TABLE promotion_redemptions (
    order_id        BIGINT CONSTRAINT promotion_redemptions_pkey PRIMARY KEY
                    CONSTRAINT promotion_redemptions_order_fkey REFERENCES orders (id) ON DELETE CASCADE,
    promotion_id    BIGINT NOT NULL CONSTRAINT promotion_redemptions_promotion_fkey REFERENCES promotions (id) ON DELETE RESTRICT,
    user_id         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    released_at     BIGINT
);
CREATE INDEX promotion_redemptions_promotion_user_idx ON promotion_redemptions (promotion_id, user_id);

-- Each line's share of the order's discount (largest remainder, so the shares add up).
ALTER TABLE order_lines ADD COLUMN discount_minor BIGINT NOT NULL DEFAULT 0;
