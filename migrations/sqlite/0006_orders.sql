-- Checkout: saved addresses, orders with their lines and an address snapshot, payment attempts,
-- and an outbox of messages to send (written in the same transaction as the change they announce).

CREATE TABLE addresses (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL CONSTRAINT addresses_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    full_name    TEXT   NOT NULL CONSTRAINT addresses_full_name_check CHECK (length(full_name) BETWEEN 1 AND 100),
    line1        TEXT   NOT NULL CONSTRAINT addresses_line1_check CHECK (length(line1) BETWEEN 1 AND 200),
    line2        TEXT   NOT NULL DEFAULT '',
    city         TEXT   NOT NULL CONSTRAINT addresses_city_check CHECK (length(city) BETWEEN 1 AND 100),
    region       TEXT   NOT NULL DEFAULT '',
    postal_code  TEXT   NOT NULL CONSTRAINT addresses_postal_code_check CHECK (length(postal_code) BETWEEN 1 AND 20),
    -- ISO 3166-1 alpha-2, one of the countries the shop ships to.
    country      TEXT   NOT NULL CONSTRAINT addresses_country_check CHECK (length(country) = 2),
    phone        TEXT   NOT NULL DEFAULT '',
    -- 1 for the user's default address (at most one, kept by the application), else 0.
    is_default   BIGINT NOT NULL DEFAULT 0 CONSTRAINT addresses_is_default_check CHECK (is_default IN (0, 1)),
    created_at   BIGINT NOT NULL
);
CREATE INDEX addresses_user_idx ON addresses (user_id);

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    -- What shoppers see (EM-7K3F-9QX2): random, never the database id.
    number           TEXT   NOT NULL CONSTRAINT orders_number_key UNIQUE,
    user_id          BIGINT NOT NULL CONSTRAINT orders_user_fkey REFERENCES users (id) ON DELETE RESTRICT,
    -- Made when the checkout page renders; a resubmitted "Place order" finds the same order.
    idempotency_key  TEXT   NOT NULL,
    status           TEXT   NOT NULL CONSTRAINT orders_status_check
                     CHECK (status IN ('pending_payment', 'paid', 'payment_failed', 'shipped', 'delivered', 'cancelled')),
    subtotal_minor   BIGINT NOT NULL CONSTRAINT orders_subtotal_check CHECK (subtotal_minor >= 0),
    shipping_minor   BIGINT NOT NULL CONSTRAINT orders_shipping_check CHECK (shipping_minor >= 0),
    tax_minor        BIGINT NOT NULL CONSTRAINT orders_tax_check CHECK (tax_minor >= 0),
    total_minor      BIGINT NOT NULL CONSTRAINT orders_total_check CHECK (total_minor = subtotal_minor + shipping_minor + tax_minor),
    shipping_method  TEXT   NOT NULL CONSTRAINT orders_shipping_method_check CHECK (shipping_method IN ('standard', 'express')),
    -- The shipping address as it was when the order was placed.
    ship_full_name   TEXT   NOT NULL,
    ship_line1       TEXT   NOT NULL,
    ship_line2       TEXT   NOT NULL,
    ship_city        TEXT   NOT NULL,
    ship_region      TEXT   NOT NULL,
    ship_postal_code TEXT   NOT NULL,
    ship_country     TEXT   NOT NULL,
    ship_phone       TEXT   NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CONSTRAINT orders_idempotency_key UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at);
CREATE INDEX orders_status_created_idx ON orders (status, created_at);

-- What was bought, as it was at the time (title, SKU and price may change later).
CREATE TABLE order_lines (
    order_id          BIGINT NOT NULL CONSTRAINT order_lines_order_fkey REFERENCES orders (id) ON DELETE CASCADE,
    position          BIGINT NOT NULL,
    variant_id        BIGINT CONSTRAINT order_lines_variant_fkey REFERENCES product_variants (id) ON DELETE SET NULL,
    product_id        BIGINT CONSTRAINT order_lines_product_fkey REFERENCES products (id) ON DELETE SET NULL,
    sku               TEXT   NOT NULL,
    title             TEXT   NOT NULL,
    options           TEXT   NOT NULL,
    unit_price_minor  BIGINT NOT NULL CONSTRAINT order_lines_unit_price_check CHECK (unit_price_minor >= 0),
    quantity          BIGINT NOT NULL CONSTRAINT order_lines_quantity_check CHECK (quantity >= 1),
    CONSTRAINT order_lines_pkey PRIMARY KEY (order_id, position)
);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

-- Every attempt to charge an order, successful or not.
CREATE TABLE payments (
    id            INTEGER PRIMARY KEY,
    order_id      BIGINT NOT NULL CONSTRAINT payments_order_fkey REFERENCES orders (id) ON DELETE CASCADE,
    provider      TEXT   NOT NULL,
    -- The gateway's id for the charge (e.g. a Stripe PaymentIntent).
    reference     TEXT   NOT NULL,
    status        TEXT   NOT NULL CONSTRAINT payments_status_check CHECK (status IN ('succeeded', 'failed')),
    amount_minor  BIGINT NOT NULL,
    failure       TEXT   NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    CONSTRAINT payments_reference_key UNIQUE (provider, reference)
);
CREATE INDEX payments_order_idx ON payments (order_id);

-- Messages to send (e.g. order confirmations), sent by the notifications feature.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT   NOT NULL,
    recipient   TEXT   NOT NULL,
    payload     TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT
);
CREATE INDEX outbox_unsent_idx ON outbox (sent_at, created_at);
