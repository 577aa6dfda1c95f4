-- Up Migration
-- The span that caused an event when the event continues another trace than that span's (its order's, see
-- `orders.trace_context`): the relay links its publishing to it. Null otherwise, and for rows of the earlier
-- release, which knows nothing of the column and keeps working beside this one.
ALTER TABLE outbox ADD COLUMN trace_link jsonb;

-- Down Migration
ALTER TABLE outbox DROP COLUMN trace_link;
