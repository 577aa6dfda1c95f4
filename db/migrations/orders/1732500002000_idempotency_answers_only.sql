-- Up Migration
-- A request in flight now holds a short lease in Redis, so this table keeps only final answers: each is
-- written by the statement that writes the order (or alone, for a refusal), and a key with a live answer
-- makes that statement write nothing. Claims still open belong to requests that never answered.
DELETE FROM idempotency_keys WHERE state = 'in_progress';
DROP TRIGGER idempotency_keys_set_updated_at ON idempotency_keys;
ALTER TABLE idempotency_keys
  DROP COLUMN claim_token,
  DROP COLUMN state,
  DROP COLUMN updated_at,
  ALTER COLUMN response_status SET NOT NULL,
  ALTER COLUMN response_body SET NOT NULL;

-- Down Migration
ALTER TABLE idempotency_keys
  ALTER COLUMN response_status DROP NOT NULL,
  ALTER COLUMN response_body DROP NOT NULL,
  ADD COLUMN claim_token uuid NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN state text NOT NULL DEFAULT 'completed' CHECK (state IN ('in_progress', 'completed')),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE idempotency_keys ALTER COLUMN state SET DEFAULT 'in_progress';
CREATE TRIGGER idempotency_keys_set_updated_at BEFORE UPDATE ON idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
