-- Orders carry a discount: the total is the subtotal less the discount, plus shipping and tax.
-- (SQLite rebuilds the table for this; PostgreSQL changes the constraint in place.)
ALTER TABLE orders ADD COLUMN discount_minor BIGINT NOT NULL DEFAULT 0
    CONSTRAINT orders_discount_check CHECK (discount_minor BETWEEN 0 AND subtotal_minor + shipping_minor);
-- The promotion the order carries, and its name as the shopper saw it ("SPRING10 — Spring
-- sale"; empty without one).
ALTER TABLE orders ADD COLUMN promotion_id BIGINT CONSTRAINT orders_promotion_fkey REFERENCES promotions (id) ON DELETE RESTRICT;
ALTER TABLE orders ADD COLUMN promotion_label TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_promotion_idx ON orders (promotion_id);
ALTER TABLE orders DROP CONSTRAINT orders_total_check;
ALTER TABLE orders ADD CONSTRAINT orders_total_check
    CHECK (total_minor = subtotal_minor - discount_minor + shipping_minor + tax_minor);
