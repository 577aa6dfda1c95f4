-- Up Migration
-- This service's own copy of every order, kept from the order.* events, so tracking and status pushes work
-- from the moment an order exists. `status_rank` orders the statuses: a late, out-of-order event never
-- moves the copy backwards.
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  customer_id uuid NOT NULL,
  restaurant_id uuid NOT NULL,
  restaurant_owner_id uuid NOT NULL,
  status text NOT NULL
    CHECK (status IN ('pending', 'confirmed', 'preparing', 'ready', 'picked_up', 'delivered', 'cancelled')),
  status_rank smallint NOT NULL,
  driver_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_restaurant_owner_id_idx ON orders (restaurant_owner_id);
CREATE INDEX orders_driver_id_idx ON orders (driver_id) WHERE driver_id IS NOT NULL;
CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL UNIQUE,
  driver_id uuid,
  driver_first_name text,
  status text NOT NULL DEFAULT 'awaiting_driver'
    CHECK (status IN ('awaiting_driver', 'assigned', 'picked_up', 'delivered', 'cancelled')),
  pickup_lat double precision NOT NULL CHECK (pickup_lat BETWEEN -90 AND 90),
  pickup_lng double precision NOT NULL CHECK (pickup_lng BETWEEN -180 AND 180),
  dropoff_lat double precision NOT NULL CHECK (dropoff_lat BETWEEN -90 AND 90),
  dropoff_lng double precision NOT NULL CHECK (dropoff_lng BETWEEN -180 AND 180),
  assigned_at timestamptz,
  picked_up_at timestamptz,
  delivered_at timestamptz,
  cancelled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'awaiting_driver') = (driver_id IS NULL) OR status = 'cancelled')
);
-- The rule "a driver carries one delivery at a time", enforced by the database itself, whatever
-- number of service instances assign at once.
CREATE UNIQUE INDEX deliveries_one_active_per_driver_idx ON deliveries (driver_id)
  WHERE status IN ('assigned', 'picked_up');
-- Waiting deliveries are handed out oldest first.
CREATE INDEX deliveries_awaiting_idx ON deliveries (created_at) WHERE status = 'awaiting_driver';
CREATE INDEX deliveries_driver_id_idx ON deliveries (driver_id, created_at DESC) WHERE driver_id IS NOT NULL;
CREATE INDEX deliveries_status_idx ON deliveries (status, created_at DESC);
CREATE INDEX deliveries_created_at_idx ON deliveries (created_at DESC);
CREATE TRIGGER deliveries_set_updated_at BEFORE UPDATE ON deliveries
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Every acknowledged position of a driver on a delivery, kept for a retention period. An append-only log
-- written many times a second: a sequence number is all the key it needs.
CREATE TABLE delivery_locations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  heading double precision CHECK (heading BETWEEN 0 AND 360),
  speed_kmh double precision CHECK (speed_kmh BETWEEN 0 AND 250),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_locations_delivery_idx ON delivery_locations (delivery_id, recorded_at DESC);
CREATE INDEX delivery_locations_recorded_at_idx ON delivery_locations (recorded_at);

-- Down Migration
DROP TABLE delivery_locations;
DROP TABLE deliveries;
DROP TABLE orders;
