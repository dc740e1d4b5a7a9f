-- An uploaded picture for a product: the file name under <data-dir>/media/uploads (named by its
-- content hash, so it can be cached for ever). Empty: the generated picture is shown.
ALTER TABLE products ADD COLUMN image TEXT NOT NULL DEFAULT '';
