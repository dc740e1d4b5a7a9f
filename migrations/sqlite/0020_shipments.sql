-- Shipments: the parcels an order leaves in, with the carrier and tracking number, and the
-- units of each line in them. An order with some units shipped is `partially_shipped`.

INSERT INTO order_statuses (name) VALUES ('partially_shipped');

CREATE TABLE shipments (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL CONSTRAINT shipments_order_fkey REFERENCES orders (id) ON DELETE RESTRICT,
    -- A carrier code ('ups', 'usps', 'fedex', 'dhl') or empty, and its tracking number or empty.
    carrier     TEXT   NOT NULL,
    tracking    TEXT   NOT NULL,
    created_by  BIGINT CONSTRAINT shipments_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX shipments_order_idx ON shipments (order_id);

CREATE TABLE shipment_lines (
    shipment_id  BIGINT NOT NULL CONSTRAINT shipment_lines_shipment_fkey REFERENCES shipments (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    quantity     BIGINT NOT NULL CONSTRAINT shipment_lines_quantity_check CHECK (quantity > 0),
    CONSTRAINT shipment_lines_pkey PRIMARY KEY (shipment_id, position)
);
