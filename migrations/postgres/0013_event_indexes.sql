-- Recommendations read a shopper's recent events and a product's recent events: index both by
-- time. These replace the single-column indexes, which they extend.
CREATE INDEX events_user_created_idx ON events (user_id, created_at);
CREATE INDEX events_product_created_idx ON events (product_id, created_at);
DROP INDEX events_user_idx;
DROP INDEX events_product_idx;
