-- Up Migration
-- earthdistance's ll_to_earth() names its `earth` type unqualified, so it resolves only with public on the path.
SET LOCAL search_path TO restaurants, public;

CREATE TABLE restaurants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id uuid NOT NULL,
  name text NOT NULL,
  description text,
  cuisine text NOT NULL,
  phone text,
  street text NOT NULL,
  city text NOT NULL,
  postal_code text NOT NULL,
  lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  time_zone text NOT NULL,
  -- [{ day: 0-6 (Sunday = 0), open: "HH:MM", close: "HH:MM" | "24:00" }], local times in time_zone.
  -- Hours past midnight are a second entry on the next day starting at "00:00".
  opening_hours jsonb NOT NULL DEFAULT '[]',
  is_accepting_orders boolean NOT NULL DEFAULT true,
  rating numeric(2, 1) NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
  delivery_fee_cents integer NOT NULL CHECK (delivery_fee_cents >= 0),
  min_order_cents integer NOT NULL CHECK (min_order_cents >= 0),
  prep_time_minutes integer NOT NULL CHECK (prep_time_minutes > 0),
  currency text NOT NULL DEFAULT 'USD',
  -- Orders placed here, from order.created events; behind sort=popular.
  order_count bigint NOT NULL DEFAULT 0,
  -- What `q` searches, lower-cased once so a trigram index serves case-insensitive substring matches.
  search_text text GENERATED ALWAYS AS (lower(name || ' ' || coalesce(description, '') || ' ' || cuisine)) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX restaurants_owner_id_idx ON restaurants (owner_id);
CREATE INDEX restaurants_cuisine_idx ON restaurants (cuisine);
CREATE INDEX restaurants_rating_idx ON restaurants (rating DESC, id);
CREATE INDEX restaurants_name_idx ON restaurants (lower(name), id);
CREATE INDEX restaurants_order_count_idx ON restaurants (order_count DESC, id);
CREATE INDEX restaurants_search_text_trgm_idx ON restaurants USING gin (search_text gin_trgm_ops);
CREATE INDEX restaurants_location_idx ON restaurants USING gist (ll_to_earth(lat, lng));

CREATE TRIGGER restaurants_set_updated_at BEFORE UPDATE ON restaurants
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE menu_categories (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  restaurant_id uuid NOT NULL REFERENCES restaurants (id),
  name text NOT NULL,
  position integer NOT NULL,
  -- Soft delete: a deleted category and its items leave the menu but stay for order history.
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX menu_categories_restaurant_idx ON menu_categories (restaurant_id, position) WHERE deleted_at IS NULL;

CREATE TRIGGER menu_categories_set_updated_at BEFORE UPDATE ON menu_categories
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE menu_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  category_id uuid NOT NULL REFERENCES menu_categories (id),
  -- Kept beside the category so pricing and menus need no join to know the restaurant.
  restaurant_id uuid NOT NULL REFERENCES restaurants (id),
  name text NOT NULL,
  description text,
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  is_available boolean NOT NULL DEFAULT true,
  image_url text,
  position integer NOT NULL,
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX menu_items_category_idx ON menu_items (category_id, position) WHERE deleted_at IS NULL;
CREATE INDEX menu_items_restaurant_idx ON menu_items (restaurant_id) WHERE deleted_at IS NULL;

CREATE TRIGGER menu_items_set_updated_at BEFORE UPDATE ON menu_items
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Down Migration
DROP TABLE menu_items;
DROP TABLE menu_categories;
DROP TABLE restaurants;
