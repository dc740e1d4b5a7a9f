-- Staff roles: the one "admin" becomes the owner, beside roles for the catalog, the order desk
-- and support. The column is replaced to change its check constraint (the same statements work
-- on SQLite and PostgreSQL).
ALTER TABLE users RENAME COLUMN role TO old_role;
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'customer'
    CONSTRAINT users_staff_role_check CHECK (role IN ('customer', 'owner', 'catalog', 'orders', 'support'));
UPDATE users SET role = CASE old_role WHEN 'admin' THEN 'owner' ELSE old_role END;
ALTER TABLE users DROP COLUMN old_role;

-- What staff (or an API key) changed, appended and never edited. The actor is copied in as text
-- (`actor_id`, the staff account, has no foreign key; NULL for an API key): an entry outlives
-- the account or key that made it.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    actor       TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    summary     TEXT   NOT NULL,
    request_id  TEXT   NOT NULL,
    ip          TEXT   NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, id);
