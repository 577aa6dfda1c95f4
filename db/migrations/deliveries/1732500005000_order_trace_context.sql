-- Up Migration
-- The order's trace, as the event that made this copy brought it (in the order's trace, which began at its
-- checkout): the delivery's events continue it, so checkout to delivery is one trace. Null for copies made
-- untraced or before this column; the earlier release never reads it.
ALTER TABLE orders ADD COLUMN trace_context jsonb;

-- Down Migration
ALTER TABLE orders DROP COLUMN trace_context;
