-- Up Migration
-- A request in flight now holds a short lease in Redis, so this release writes only final answers to this
-- table: each by the statement that writes the order (or alone, for a refusal), and a key with a live answer
-- makes that statement write nothing.
--
-- This is the expand half of an expand/contract pair. During a rolling upgrade, instances of the earlier
-- release keep running beside this one and still claim keys with rows of their own (`claim_token`, `state`
-- 'in_progress', no answer yet, `updated_at` for abandoned claims), so those columns and their defaults stay.
-- What the earlier release reads from this release's rows is `state`, which this release never writes: the
-- trigger below derives it from the answer, so a row written with an answer is 'completed' rather than the
-- column's default 'in_progress' (which the earlier release's claims still rely on). This release, for its
-- part, counts a row without an answer as no answer: it never replays one and writes its answer over it
-- (`idempotency.repository.ts`), after which the earlier release's claim finds the row 'completed' and
-- completes nothing, so a key still gets one order.
--
-- The contract half belongs to the next release, once no instance of the earlier one runs: delete the rows
-- without an answer, drop this trigger and its function, the trigger `idempotency_keys_set_updated_at`, and
-- the columns `claim_token`, `state` and `updated_at`, and make `response_status` and `response_body` NOT NULL.
CREATE FUNCTION idempotency_keys_state_from_answer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.state := CASE WHEN NEW.response_status IS NULL THEN 'in_progress' ELSE 'completed' END;
  RETURN NEW;
END;
$$;
CREATE TRIGGER idempotency_keys_state_from_answer BEFORE INSERT OR UPDATE ON idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION idempotency_keys_state_from_answer();

-- Answers this release wrote before this migration ran took the default 'in_progress'.
UPDATE idempotency_keys SET state = 'completed' WHERE state = 'in_progress' AND response_status IS NOT NULL;

-- Down Migration
DROP TRIGGER idempotency_keys_state_from_answer ON idempotency_keys;
DROP FUNCTION idempotency_keys_state_from_answer();
