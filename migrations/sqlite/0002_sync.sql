-- Durable job queue. coalesce_slot equals dedupe_key while the job is
-- queued and is NULL otherwise, so at most one queued job exists per
-- (tenant, kind, dedupe_key): ten updates of one issue make one job.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  dedupe_key TEXT NOT NULL DEFAULT '',
  coalesce_slot TEXT NULL,
  payload TEXT NOT NULL DEFAULT '',
  priority INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 8,
  run_at DATETIME NOT NULL,
  locked_by TEXT NOT NULL DEFAULT '',
  locked_until DATETIME NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, kind, coalesce_slot)
);
CREATE INDEX jobs_due ON jobs (state, run_at, tenant_id);
CREATE INDEX jobs_tenant_due ON jobs (tenant_id, state, priority, run_at);

CREATE TABLE webhook_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  identifier TEXT NOT NULL,
  event TEXT NOT NULL,
  issue_key TEXT NOT NULL DEFAULT '',
  batch_token TEXT NOT NULL DEFAULT '',
  received_at DATETIME NOT NULL,
  UNIQUE (tenant_id, identifier)
);
CREATE INDEX webhook_events_received ON webhook_events (received_at);

CREATE TABLE issue_results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  issue_key TEXT NOT NULL,
  issue_id TEXT NOT NULL DEFAULT '',
  issue_type TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  is_open INTEGER NOT NULL DEFAULT 1,
  deleted INTEGER NOT NULL DEFAULT 0,
  score REAL NOT NULL DEFAULT 0,
  moscow TEXT NOT NULL DEFAULT '',
  quality INTEGER NOT NULL DEFAULT 0,
  estimate REAL NULL,
  flags TEXT NOT NULL DEFAULT '',
  issue TEXT NOT NULL,
  analysis TEXT NOT NULL,
  analysis_hash TEXT NOT NULL DEFAULT '',
  written_hash TEXT NOT NULL DEFAULT '',
  jira_updated DATETIME NULL,
  analysed_at DATETIME NOT NULL,
  UNIQUE (tenant_id, issue_key)
);
CREATE INDEX issue_results_rank ON issue_results (tenant_id, project_key, is_open, score);
CREATE INDEX issue_results_unwritten ON issue_results (tenant_id, project_key, written_hash);
CREATE INDEX issue_results_changed ON issue_results (tenant_id, project_key, analysed_at);

CREATE TABLE overrides (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  issue_key TEXT NOT NULL,
  moscow TEXT NOT NULL,
  reason TEXT NOT NULL,
  account_id TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  UNIQUE (tenant_id, issue_key)
);

CREATE TABLE scans (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  state TEXT NOT NULL,
  phase TEXT NOT NULL DEFAULT '',
  total INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0,
  written INTEGER NOT NULL DEFAULT 0,
  page_token TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  started_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  finished_at DATETIME NULL,
  UNIQUE (tenant_id, project_key)
);
