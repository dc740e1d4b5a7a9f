-- How many products an uploaded file holds, counted once at upload, so the import's page and
-- its go read the number instead of the file.
ALTER TABLE product_imports ADD COLUMN products BIGINT NOT NULL DEFAULT 0;
