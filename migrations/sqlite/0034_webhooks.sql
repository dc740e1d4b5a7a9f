-- Where the shop tells its other systems what happened: an owner registers a URL and the events
-- it wants. `events` holds their names, each between commas (`,order.paid,inventory.low,`).
-- `secret` signs every delivery (HMAC-SHA256); it is kept as it is because the shop signs with it.
CREATE TABLE webhook_endpoints (
    id          INTEGER PRIMARY KEY,
    url         TEXT   NOT NULL CONSTRAINT webhook_endpoints_url_check CHECK (length(url) BETWEEN 1 AND 2000),
    events      TEXT   NOT NULL,
    secret      TEXT   NOT NULL,
    active      BIGINT NOT NULL,
    -- The owner who made it; NULL once that account is deleted.
    created_by  BIGINT CONSTRAINT webhook_endpoints_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL
);

-- Events written in the transaction of the change they announce (only while an active endpoint
-- wants their kind), until a round turns each into deliveries. `subject` is the id of the order,
-- product or variant; `uid` (`evt_` and random hex) names the event to receivers for good, as
-- row ids may come again once the table is empty.
CREATE TABLE webhook_events (
    id          INTEGER PRIMARY KEY,
    uid         TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    subject     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- An event's body for one endpoint, and how sending it went. `next_attempt_at` is when it is due
-- (while a node sends it, the end of that node's claim); NULL once delivered or given up.
-- `last_status` is the HTTP status of the last answer, NULL when none came.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    endpoint_id      BIGINT NOT NULL CONSTRAINT webhook_deliveries_endpoint_fkey REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event            TEXT   NOT NULL,
    kind             TEXT   NOT NULL,
    payload          TEXT   NOT NULL,
    created_at       BIGINT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT,
    delivered_at     BIGINT,
    last_status      BIGINT,
    last_error       TEXT   NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Variants at or below the low-stock level when last looked at: `inventory.low` goes out when a
-- variant falls to it, and again only after it was restocked above it.
CREATE TABLE webhook_low_stock (
    variant_id  BIGINT NOT NULL CONSTRAINT webhook_low_stock_pkey PRIMARY KEY
);
