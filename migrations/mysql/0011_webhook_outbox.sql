-- Webhook intake as an outbox. A delivery is accepted durably by one
-- insert of its row, which carries the work it asks for (job, NULL when
-- none) and pending = 1; a dispatcher turns pending rows into coalesced
-- jobs in large batches and clears the flag. Jira's request waits for one
-- statement instead of a transaction of four. Every statement is
-- idempotent: MySQL commits DDL at once, so a migration cut short must be
-- able to run again.
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS project_key VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS job MEDIUMTEXT NULL;
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS pending TINYINT(1) NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS webhook_events_pending ON webhook_events (pending, id);
