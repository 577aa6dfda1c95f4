-- Up Migration
-- earthdistance's ll_to_earth() names its `earth` type unqualified, so it resolves only with public on the path.
SET LOCAL search_path TO restaurants, public;

-- A search for `q` near a point (the common case in the app) finds, in one index scan, the restaurants both
-- inside the bounding cube and whose search text holds the trigrams of `q`, so only those few rows are read,
-- instead of every restaurant around the point (or every one matching `q`). A 32-byte trigram signature
-- keeps the false matches of such short texts rare; the row's own condition is rechecked anyway.
CREATE INDEX restaurants_location_search_text_idx ON restaurants
  USING gist (earth_location, search_text gist_trgm_ops (siglen = 32));

-- Down Migration
DROP INDEX restaurants.restaurants_location_search_text_idx;
