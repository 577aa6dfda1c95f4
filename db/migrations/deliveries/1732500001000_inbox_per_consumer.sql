-- Up Migration
-- This service runs two consumers (driver assignment and the real-time hub) that both receive some of the
-- same events; each must see every event once, so the idempotency mark is kept per consumer.
ALTER TABLE inbox ADD COLUMN consumer text NOT NULL DEFAULT '';
ALTER TABLE inbox DROP CONSTRAINT inbox_pkey;
ALTER TABLE inbox ADD PRIMARY KEY (consumer, event_id);

-- Down Migration
DELETE FROM inbox AS a USING inbox AS b WHERE a.event_id = b.event_id AND a.consumer > b.consumer;
ALTER TABLE inbox DROP CONSTRAINT inbox_pkey;
ALTER TABLE inbox DROP COLUMN consumer;
ALTER TABLE inbox ADD PRIMARY KEY (event_id);
