-- Up Migration
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- Events this service has consumed, by id: the idempotency record of every consumer.
CREATE TABLE inbox (
  event_id uuid PRIMARY KEY,
  type text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_received_at_idx ON inbox (received_at);

-- Down Migration
DROP TABLE inbox;
DROP FUNCTION set_updated_at();
