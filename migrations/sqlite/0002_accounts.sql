-- Accounts and sessions: users, rotating refresh tokens grouped in families, and the failed
-- sign-in attempts that rate limiting counts (kept in the database so every app node agrees).

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    -- Stored trimmed with a lower-case domain; uniqueness ignores case entirely.
    email          TEXT   NOT NULL CONSTRAINT users_email_check CHECK (length(email) BETWEEN 3 AND 254),
    name           TEXT   NOT NULL CONSTRAINT users_name_check CHECK (length(name) BETWEEN 1 AND 100),
    -- Argon2id PHC string.
    password_hash  TEXT   NOT NULL,
    role           TEXT   NOT NULL DEFAULT 'customer' CONSTRAINT users_role_check CHECK (role IN ('customer', 'admin')),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- One family per sign-in (device). Every use of a refresh token marks it used and issues its
-- successor in the same family; presenting a used token again revokes the whole family.
CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL CONSTRAINT refresh_tokens_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    family      TEXT   NOT NULL,
    -- SHA-256 of the opaque token, hex; the token itself is never stored.
    token_hash  TEXT   NOT NULL CONSTRAINT refresh_tokens_token_hash_key UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Failed sign-in and sign-up attempts by scope ('ip:…' or 'email:…'), counted over a window.
CREATE TABLE auth_failures (
    id     INTEGER PRIMARY KEY,
    scope  TEXT   NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX auth_failures_scope_at_idx ON auth_failures (scope, at);
CREATE INDEX auth_failures_at_idx ON auth_failures (at);
