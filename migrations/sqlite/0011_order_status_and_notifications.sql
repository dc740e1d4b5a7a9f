-- Order fulfilment and what shoppers are told about it.

-- Every status change an admin makes, for the order's history.
CREATE TABLE order_status_changes (
    id           INTEGER PRIMARY KEY,
    order_id     BIGINT NOT NULL CONSTRAINT order_status_changes_order_fkey REFERENCES orders (id) ON DELETE CASCADE,
    from_status  TEXT   NOT NULL,
    to_status    TEXT   NOT NULL,
    changed_by   BIGINT CONSTRAINT order_status_changes_user_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX order_status_changes_order_idx ON order_status_changes (order_id, created_at);

-- What each shopper wants to hear about, and how (1 = yes).
ALTER TABLE users ADD COLUMN notify_orders_email BIGINT NOT NULL DEFAULT 1
    CONSTRAINT users_notify_orders_email_check CHECK (notify_orders_email IN (0, 1));
ALTER TABLE users ADD COLUMN notify_orders_app BIGINT NOT NULL DEFAULT 1
    CONSTRAINT users_notify_orders_app_check CHECK (notify_orders_app IN (0, 1));
ALTER TABLE users ADD COLUMN notify_news_email BIGINT NOT NULL DEFAULT 0
    CONSTRAINT users_notify_news_email_check CHECK (notify_news_email IN (0, 1));

-- In-app notifications, shown at /account/notifications until the shopper has read them.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL CONSTRAINT notifications_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    -- A local path to follow, e.g. /orders/EM-7K3F-9QX2.
    link        TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_user_created_idx ON notifications (user_id, created_at);
