-- Two-step sign-in with time-based one-time codes (RFC 6238). The secret shown while a phone is
-- enrolled waits in totp_pending until a code from it is entered; totp_last_step is the time step
-- of the last code accepted, so each code works once.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Single-use codes for signing in without the phone. Only their SHA-256 is stored.
CREATE TABLE recovery_codes (
    user_id     BIGINT NOT NULL CONSTRAINT recovery_codes_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT   NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, code_hash)
);
