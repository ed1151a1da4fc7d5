-- Telemetry of the job pipeline: the W3C traceparent of the request or job
-- that enqueued a job (so a webhook's trace runs on to its write-back) and
-- when the chain began (webhook receipt, for the write-back lag metric).
-- IF NOT EXISTS: MySQL DDL is not transactional, so a half-applied run
-- completes on the next start.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS trace_parent VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS origin_at DATETIME(6) NULL;
