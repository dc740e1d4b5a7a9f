-- Analytics rolled up by day (UTC), so the dashboard reads a few thousand rows instead of every
-- order and event. A job rolls each closed day once (`analytics_rolled`, with the version of
-- the day it saw); a change to an order of a closed day (paid late, moved, refunded) raises
-- that day's version in its own transaction, and a day whose version moved on is read from the
-- orders and events again until the job rolls it anew. Today is always read live.
CREATE TABLE analytics_days (
    day      BIGINT NOT NULL,
    -- 'sales', 'product', a funnel event kind, 'search', 'search_unfound',
    -- 'recommendation_shown' or 'recommendation_clicked'.
    metric   TEXT   NOT NULL,
    -- The product's title, the search, the row of recommendations; '' for totals.
    subject  TEXT   NOT NULL,
    count    BIGINT NOT NULL,
    -- Money in minor units, net of refunds (sales and products; 0 otherwise).
    amount   BIGINT NOT NULL,
    CONSTRAINT analytics_days_pkey PRIMARY KEY (metric, day, subject)
) WITHOUT ROWID;
-- A day is rolled up anew in one go.
CREATE INDEX analytics_days_day_idx ON analytics_days (day);

CREATE TABLE analytics_rolled (
    day        BIGINT NOT NULL CONSTRAINT analytics_rolled_pkey PRIMARY KEY,
    version    BIGINT NOT NULL,
    rolled_at  BIGINT NOT NULL
);

CREATE TABLE analytics_changes (
    day      BIGINT NOT NULL CONSTRAINT analytics_changes_pkey PRIMARY KEY,
    version  BIGINT NOT NULL
);
