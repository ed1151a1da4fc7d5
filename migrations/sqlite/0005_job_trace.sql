-- Telemetry of the job pipeline: the W3C traceparent of the request or job
-- that enqueued a job (so a webhook's trace runs on to its write-back) and
-- when the chain began (webhook receipt, for the write-back lag metric).
ALTER TABLE jobs ADD COLUMN trace_parent TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN origin_at DATETIME NULL;
