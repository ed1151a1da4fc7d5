-- Durable job queue. coalesce_slot equals dedupe_key while the job is
-- queued and is NULL otherwise, so at most one queued job exists per
-- (tenant, kind, dedupe_key): ten updates of one issue make one job.
CREATE TABLE IF NOT EXISTS jobs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  kind VARCHAR(32) NOT NULL,
  dedupe_key VARCHAR(255) NOT NULL DEFAULT '',
  coalesce_slot VARCHAR(255) NULL,
  payload MEDIUMTEXT NOT NULL,
  priority INT NOT NULL DEFAULT 0,
  state VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  max_attempts INT NOT NULL DEFAULT 8,
  run_at DATETIME(6) NOT NULL,
  locked_by VARCHAR(64) NOT NULL DEFAULT '',
  locked_until DATETIME(6) NULL,
  last_error TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY jobs_coalesce (tenant_id, kind, coalesce_slot),
  KEY jobs_due (state, run_at, tenant_id),
  KEY jobs_tenant_due (tenant_id, state, priority, run_at),
  CONSTRAINT jobs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS webhook_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  identifier VARCHAR(255) NOT NULL,
  event VARCHAR(64) NOT NULL,
  issue_key VARCHAR(255) NOT NULL DEFAULT '',
  batch_token VARCHAR(32) NOT NULL DEFAULT '',
  received_at DATETIME(6) NOT NULL,
  UNIQUE KEY webhook_events_ident (tenant_id, identifier),
  KEY webhook_events_received (received_at),
  CONSTRAINT webhook_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS issue_results (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  issue_key VARCHAR(255) NOT NULL,
  issue_id VARCHAR(64) NOT NULL DEFAULT '',
  issue_type VARCHAR(32) NOT NULL DEFAULT '',
  summary VARCHAR(1024) NOT NULL DEFAULT '',
  is_open TINYINT(1) NOT NULL DEFAULT 1,
  deleted TINYINT(1) NOT NULL DEFAULT 0,
  score DOUBLE NOT NULL DEFAULT 0,
  moscow VARCHAR(16) NOT NULL DEFAULT '',
  quality INT NOT NULL DEFAULT 0,
  estimate DOUBLE NULL,
  flags VARCHAR(255) NOT NULL DEFAULT '',
  issue MEDIUMTEXT NOT NULL,
  analysis MEDIUMTEXT NOT NULL,
  analysis_hash VARCHAR(64) NOT NULL DEFAULT '',
  written_hash VARCHAR(64) NOT NULL DEFAULT '',
  jira_updated DATETIME(6) NULL,
  analysed_at DATETIME(6) NOT NULL,
  UNIQUE KEY issue_results_key (tenant_id, issue_key),
  KEY issue_results_rank (tenant_id, project_key, is_open, score),
  KEY issue_results_unwritten (tenant_id, project_key, written_hash),
  KEY issue_results_changed (tenant_id, project_key, analysed_at),
  CONSTRAINT issue_results_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS overrides (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  issue_key VARCHAR(255) NOT NULL,
  moscow VARCHAR(16) NOT NULL,
  reason VARCHAR(2000) NOT NULL,
  account_id VARCHAR(128) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY overrides_key (tenant_id, issue_key),
  CONSTRAINT overrides_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS scans (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  state VARCHAR(16) NOT NULL,
  phase VARCHAR(32) NOT NULL DEFAULT '',
  total INT NOT NULL DEFAULT 0,
  done INT NOT NULL DEFAULT 0,
  written INT NOT NULL DEFAULT 0,
  page_token TEXT NOT NULL,
  error TEXT NOT NULL,
  started_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  finished_at DATETIME(6) NULL,
  UNIQUE KEY scans_project (tenant_id, project_key),
  CONSTRAINT scans_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
