-- When the account's email address was confirmed by a link sent to it. Accounts made before
-- addresses were confirmed count as confirmed from their creation.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
UPDATE users SET email_verified_at = created_at;
