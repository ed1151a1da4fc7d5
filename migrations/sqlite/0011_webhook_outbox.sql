-- Webhook intake as an outbox. A delivery is accepted durably by one
-- insert of its row, which carries the work it asks for (job, NULL when
-- none) and pending = 1; a dispatcher turns pending rows into coalesced
-- jobs in large batches and clears the flag.
ALTER TABLE webhook_events ADD COLUMN project_key TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_events ADD COLUMN job TEXT NULL;
ALTER TABLE webhook_events ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS webhook_events_pending ON webhook_events (pending, id);
