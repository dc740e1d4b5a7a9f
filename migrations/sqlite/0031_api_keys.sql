-- Keys the shop's other systems use for the REST API (/api/v1). A key is shown once when made;
-- only the SHA-256 of the whole key is kept. `prefix` is its public part: it finds the row and
-- tells keys apart in the admin's list. `scopes` holds what the key may do, space-separated.
CREATE TABLE api_keys (
    id             INTEGER PRIMARY KEY,
    name           TEXT   NOT NULL CONSTRAINT api_keys_name_check CHECK (length(name) BETWEEN 1 AND 100),
    prefix         TEXT   NOT NULL CONSTRAINT api_keys_prefix_key UNIQUE,
    secret_digest  TEXT   NOT NULL,
    scopes         TEXT   NOT NULL,
    -- The admin who made it; NULL when made on the command line (`emporium api-key`).
    created_by     BIGINT CONSTRAINT api_keys_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    -- Noted at most once a minute.
    last_used_at   BIGINT,
    revoked_at     BIGINT
);

-- Requests each key made in each minute (fixed windows starting at `window_start`, epoch ms),
-- counted in the database so every node holds a key to the same limit.
CREATE TABLE api_key_usage (
    key_id        BIGINT NOT NULL CONSTRAINT api_key_usage_key_fkey REFERENCES api_keys (id) ON DELETE CASCADE,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL,
    CONSTRAINT api_key_usage_pkey PRIMARY KEY (key_id, window_start)
);
