-- Up Migration
-- earthdistance's ll_to_earth() names its `earth` type unqualified, so it resolves only with public on the path.
SET LOCAL search_path TO restaurants, public;

-- The point on the earth's surface, computed once per write: a radius search then neither recomputes it for
-- every candidate row nor depends on the planner inlining ll_to_earth() to match an expression index.
ALTER TABLE restaurants ADD COLUMN earth_location earth GENERATED ALWAYS AS (ll_to_earth(lat, lng)) STORED;
DROP INDEX restaurants_location_idx;
CREATE INDEX restaurants_earth_location_idx ON restaurants USING gist (earth_location);

-- Down Migration
SET LOCAL search_path TO restaurants, public;
DROP INDEX restaurants_earth_location_idx;
ALTER TABLE restaurants DROP COLUMN earth_location;
CREATE INDEX restaurants_location_idx ON restaurants USING gist (ll_to_earth(lat, lng));
