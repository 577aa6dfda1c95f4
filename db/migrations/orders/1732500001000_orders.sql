-- Up Migration
CREATE TABLE orders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id uuid NOT NULL,
  restaurant_id uuid NOT NULL,
  -- Copied from the restaurant service at checkout, so an owner's listing needs no call to it.
  restaurant_owner_id uuid NOT NULL,
  driver_id uuid,
  delivery_id uuid,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'confirmed', 'preparing', 'ready', 'picked_up', 'delivered', 'cancelled')),
  -- The lines as priced at checkout: a copy, so later menu changes never rewrite an order.
  items jsonb NOT NULL,
  subtotal_cents integer NOT NULL CHECK (subtotal_cents >= 0),
  delivery_fee_cents integer NOT NULL CHECK (delivery_fee_cents >= 0),
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  currency char(3) NOT NULL,
  pickup_location jsonb NOT NULL,
  delivery_address jsonb NOT NULL,
  notes text,
  cancel_reason text,
  -- Appended by the same compare-and-set statement that changes `status`, so the two never disagree.
  status_history jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC);
CREATE INDEX orders_owner_idx ON orders (restaurant_owner_id, created_at DESC);
CREATE INDEX orders_driver_idx ON orders (driver_id, created_at DESC) WHERE driver_id IS NOT NULL;
CREATE INDEX orders_status_idx ON orders (status, created_at DESC);
CREATE INDEX orders_created_at_idx ON orders (created_at DESC);
CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
  method text NOT NULL CHECK (method IN ('card', 'cash')),
  status text NOT NULL CHECK (status IN ('pending', 'authorized', 'captured', 'voided')),
  amount_cents integer NOT NULL CHECK (amount_cents >= 0),
  currency char(3) NOT NULL,
  -- The provider's authorization id; null for cash.
  provider_reference text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER payments_set_updated_at BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per (user, Idempotency-Key): claimed before a checkout runs, completed in the order's transaction.
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  -- New for every claim, so a claim taken over from a crashed request can be completed only by its new holder.
  claim_token uuid NOT NULL DEFAULT gen_random_uuid(),
  state text NOT NULL DEFAULT 'in_progress' CHECK (state IN ('in_progress', 'completed')),
  response_status smallint,
  response_body jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
CREATE TRIGGER idempotency_keys_set_updated_at BEFORE UPDATE ON idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Down Migration
DROP TABLE idempotency_keys;
DROP TABLE payments;
DROP TABLE orders;
