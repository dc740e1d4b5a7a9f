-- Orders carry a discount: the total is the subtotal less the discount, plus shipping and tax.
-- SQLite cannot change a constraint, so the table is rebuilt as in 0015 (foreign keys are off
-- while migrations run, and the tables that refer to "orders" find the new one by its name).
CREATE TABLE orders_rebuilt (
    id                 INTEGER PRIMARY KEY,
    number             TEXT   NOT NULL CONSTRAINT orders_number_key UNIQUE,
    user_id            BIGINT NOT NULL CONSTRAINT orders_user_fkey REFERENCES users (id) ON DELETE RESTRICT,
    idempotency_key    TEXT   NOT NULL,
    status             TEXT   NOT NULL CONSTRAINT orders_status_fkey REFERENCES order_statuses (name),
    subtotal_minor     BIGINT NOT NULL CONSTRAINT orders_subtotal_check CHECK (subtotal_minor >= 0),
    shipping_minor     BIGINT NOT NULL CONSTRAINT orders_shipping_check CHECK (shipping_minor >= 0),
    tax_minor          BIGINT NOT NULL CONSTRAINT orders_tax_check CHECK (tax_minor >= 0),
    discount_minor     BIGINT NOT NULL DEFAULT 0 CONSTRAINT orders_discount_check CHECK (discount_minor BETWEEN 0 AND subtotal_minor + shipping_minor),
    total_minor        BIGINT NOT NULL CONSTRAINT orders_total_check CHECK (total_minor = subtotal_minor - discount_minor + shipping_minor + tax_minor),
    shipping_method    TEXT   NOT NULL CONSTRAINT orders_shipping_method_check CHECK (shipping_method IN ('standard', 'express')),
    ship_full_name     TEXT   NOT NULL,
    ship_line1         TEXT   NOT NULL,
    ship_line2         TEXT   NOT NULL,
    ship_city          TEXT   NOT NULL,
    ship_region        TEXT   NOT NULL,
    ship_postal_code   TEXT   NOT NULL,
    ship_country       TEXT   NOT NULL,
    ship_phone         TEXT   NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    payment_reference  TEXT   NOT NULL DEFAULT '',
    reserved_until     BIGINT NOT NULL DEFAULT 0,
    -- The promotion the order carries, and its name as the shopper saw it ("SPRING10 — Spring
    -- sale"; empty without one).
    promotion_id       BIGINT CONSTRAINT orders_promotion_fkey REFERENCES promotions (id) ON DELETE RESTRICT,
    promotion_label    TEXT   NOT NULL DEFAULT '',
    CONSTRAINT orders_idempotency_key UNIQUE (user_id, idempotency_key)
);
INSERT INTO orders_rebuilt
SELECT id, number, user_id, idempotency_key, status, subtotal_minor, shipping_minor, tax_minor, 0,
       total_minor, shipping_method, ship_full_name, ship_line1, ship_line2, ship_city, ship_region,
       ship_postal_code, ship_country, ship_phone, created_at, updated_at, payment_reference,
       reserved_until, NULL, ''
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at);
CREATE INDEX orders_status_created_idx ON orders (status, created_at);
CREATE INDEX orders_payment_reference_idx ON orders (payment_reference);
CREATE INDEX orders_promotion_idx ON orders (promotion_id);
