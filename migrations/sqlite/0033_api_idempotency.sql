-- What the REST API answered to a POST sent with an `Idempotency-Key`, per API key, so the same
-- request sent again gets the same answer instead of acting twice. `status` is 0 while the first
-- request is still being handled; `fingerprint` is the SHA-256 of the method, path and body, so
-- a key reused for another request is refused. Kept for a day.
CREATE TABLE api_idempotency (
    key_id       BIGINT NOT NULL CONSTRAINT api_idempotency_key_fkey REFERENCES api_keys (id) ON DELETE CASCADE,
    idem_key     TEXT   NOT NULL,
    fingerprint  TEXT   NOT NULL,
    status       BIGINT NOT NULL,
    body         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    CONSTRAINT api_idempotency_pkey PRIMARY KEY (key_id, idem_key)
);
