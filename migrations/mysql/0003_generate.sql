-- Story generation: runs (one per submitted form, worked on by a job),
-- the drafts they produce, per-tenant settings (API keys sealed by the
-- app), monthly usage counters, the research cache and idempotency keys.
CREATE TABLE IF NOT EXISTS generation_runs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  account_id VARCHAR(128) NOT NULL DEFAULT '',
  state VARCHAR(16) NOT NULL,
  step VARCHAR(255) NOT NULL DEFAULT '',
  progress DOUBLE NOT NULL DEFAULT 0,
  mode VARCHAR(16) NOT NULL DEFAULT '',
  notice TEXT NOT NULL,
  error TEXT NOT NULL,
  prompt_version VARCHAR(64) NOT NULL DEFAULT '',
  form MEDIUMTEXT NOT NULL,
  research MEDIUMTEXT NOT NULL,
  stats TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  finished_at DATETIME(6) NULL,
  KEY generation_runs_recent (tenant_id, project_key, created_at),
  CONSTRAINT generation_runs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- idem_key is also put on the Jira issue (as a label) so that a retry
-- after a crash finds an issue a previous attempt created.
CREATE TABLE IF NOT EXISTS drafts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  run_id BIGINT NULL,
  project_key VARCHAR(255) NOT NULL,
  ord INT NOT NULL DEFAULT 0,
  status VARCHAR(16) NOT NULL,
  content MEDIUMTEXT NOT NULL,
  analysis MEDIUMTEXT NOT NULL,
  idem_key VARCHAR(64) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  created_key VARCHAR(255) NOT NULL DEFAULT '',
  created_id VARCHAR(64) NOT NULL DEFAULT '',
  error TEXT NOT NULL,
  claimed_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY drafts_idem (tenant_id, idem_key),
  KEY drafts_recent (tenant_id, project_key, created_at),
  KEY drafts_run (run_id),
  CONSTRAINT drafts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE,
  CONSTRAINT drafts_run FOREIGN KEY (run_id) REFERENCES generation_runs(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS generate_settings (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  llm_provider VARCHAR(32) NOT NULL DEFAULT '',
  llm_base_url VARCHAR(2048) NOT NULL DEFAULT '',
  llm_model VARCHAR(255) NOT NULL DEFAULT '',
  llm_key_enc TEXT NOT NULL,
  research_provider VARCHAR(32) NOT NULL DEFAULT '',
  research_key_enc TEXT NOT NULL,
  llm_budget_micro_usd BIGINT NOT NULL DEFAULT 0,
  searches_per_month INT NOT NULL DEFAULT 0,
  retention_days INT NOT NULL DEFAULT 0,
  updated_by VARCHAR(128) NOT NULL DEFAULT '',
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY generate_settings_tenant (tenant_id),
  CONSTRAINT generate_settings_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per tenant and calendar month (UTC, "2026-05"); counters are
-- only ever changed by atomic UPDATEs so replicas share them.
CREATE TABLE IF NOT EXISTS generate_usage (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  period CHAR(7) NOT NULL,
  llm_calls INT NOT NULL DEFAULT 0,
  prompt_tokens BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  llm_cost_micro_usd BIGINT NOT NULL DEFAULT 0,
  searches INT NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY generate_usage_period (tenant_id, period),
  CONSTRAINT generate_usage_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS research_cache (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  provider VARCHAR(32) NOT NULL,
  query_hash CHAR(64) NOT NULL,
  query TEXT NOT NULL,
  result MEDIUMTEXT NOT NULL,
  fetched_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  UNIQUE KEY research_cache_query (tenant_id, provider, query_hash),
  KEY research_cache_expiry (tenant_id, expires_at),
  CONSTRAINT research_cache_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS idempotency_keys (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  idem_key VARCHAR(128) NOT NULL,
  state VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  result MEDIUMTEXT NOT NULL,
  claim_token VARCHAR(64) NOT NULL DEFAULT '',
  claimed_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY idempotency_keys_key (tenant_id, idem_key),
  CONSTRAINT idempotency_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
