-- orders.status refers to order_statuses instead of listing the statuses in a CHECK constraint.
-- (SQLite rebuilds the table for this; PostgreSQL swaps the constraint in place.)
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_fkey FOREIGN KEY (status) REFERENCES order_statuses (name);
