-- Single-use links sent by email: a password reset (valid 30 minutes) or an address to confirm
-- (24 hours). Only the token's SHA-256 is stored, so the table leaks no usable link.
CREATE TABLE account_tokens (
    token_hash  TEXT   NOT NULL CONSTRAINT account_tokens_pkey PRIMARY KEY,
    user_id     BIGINT NOT NULL CONSTRAINT account_tokens_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT   NOT NULL CONSTRAINT account_tokens_purpose_check CHECK (purpose IN ('reset_password', 'verify_email')),
    -- The address the link was sent to: for a confirmation, the address it confirms.
    email       TEXT   NOT NULL CONSTRAINT account_tokens_email_check CHECK (length(email) BETWEEN 3 AND 254),
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);
