-- How much shoppers did with each product in the last seven days (each view 1, cart add 3,
-- purchase 5), written by every recommendation rebuild beside product_neighbours: "Popular
-- this week" and "Popular in {category}" only look it up. category_id is the product's at the
-- rebuild; reading joins the product and checks it still holds.
CREATE TABLE product_popularity (
    product_id   BIGINT NOT NULL CONSTRAINT product_popularity_pkey PRIMARY KEY,
    category_id  BIGINT NOT NULL,
    score        BIGINT NOT NULL
);
CREATE INDEX product_popularity_score_idx ON product_popularity (score);
CREATE INDEX product_popularity_category_idx ON product_popularity (category_id, score);
