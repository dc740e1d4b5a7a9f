-- When the account was deleted by its owner: its personal data erased or anonymised, its orders
-- kept for the books, its reviews shown as a former customer's.
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
