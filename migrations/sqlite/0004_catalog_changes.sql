-- Every write to a product (or to categories, which products' search documents include) appends a
-- row here in the same transaction. Each app node polls this table to bring its in-memory search
-- index up to date, so several nodes on one database agree within a poll interval.
CREATE TABLE catalog_changes (
    id          INTEGER PRIMARY KEY,
    -- The product to index again; NULL means "rebuild the whole index". No foreign key: a
    -- deleted product must still be removed from every node's index.
    product_id  BIGINT,
    changed_at  BIGINT NOT NULL
);
CREATE INDEX catalog_changes_changed_at_idx ON catalog_changes (changed_at);
