-- Up Migration
-- The W3C trace context (`traceparent`, `tracestate`) an event was written in, so the relay that publishes
-- it later carries the trace on to its consumers. Null for rows written outside a trace, or by instances
-- of the earlier release, which know nothing of the column and keep working beside this one.
ALTER TABLE outbox ADD COLUMN trace_context jsonb;

-- Down Migration
ALTER TABLE outbox DROP COLUMN trace_context;
