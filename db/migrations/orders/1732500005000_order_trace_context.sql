-- Up Migration
-- The order's trace: the W3C trace context of its checkout, which every later event about the order
-- continues, so checkout to delivery is one trace. Null for orders placed untraced or before this column,
-- whose events stay in the traces of whatever caused them; the earlier release never reads it.
ALTER TABLE orders ADD COLUMN trace_context jsonb;

-- Down Migration
ALTER TABLE orders DROP COLUMN trace_context;
