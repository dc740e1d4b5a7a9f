-- The gateway's id for the payment an order is waiting on (a Stripe PaymentIntent), so a webhook
-- or the shopper's return from the payment page can find and settle the order. Empty until then.
ALTER TABLE orders ADD COLUMN payment_reference TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_payment_reference_idx ON orders (payment_reference);
