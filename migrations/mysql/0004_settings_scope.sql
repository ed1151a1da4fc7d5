-- Settings per project (project_key) and site defaults (project_key '').
-- A NULL column is "not set here": a project inherits the site default,
-- the site default the environment's. The LLM and research groups are
-- inherited whole (provider, URL, model and key together) so that a key
-- is never sent to another scope's endpoint. Every statement is
-- idempotent: MySQL commits DDL at once, so a migration cut short must be
-- able to run again.
CREATE TABLE IF NOT EXISTS project_settings (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL DEFAULT '',
  llm_provider VARCHAR(32) NULL,
  llm_base_url VARCHAR(2048) NOT NULL DEFAULT '',
  llm_model VARCHAR(255) NOT NULL DEFAULT '',
  llm_key_enc TEXT NOT NULL,
  research_provider VARCHAR(32) NULL,
  research_key_enc TEXT NOT NULL,
  llm_budget_micro_usd BIGINT NULL,
  searches_per_month INT NULL,
  retention_days INT NULL,
  updated_by VARCHAR(128) NOT NULL DEFAULT '',
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY project_settings_scope (tenant_id, project_key),
  CONSTRAINT project_settings_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The old site-wide rows become the site defaults (their sealed keys keep
-- the same associated data), then leave the old table.
INSERT INTO project_settings (tenant_id, project_key, llm_provider, llm_base_url, llm_model, llm_key_enc,
  research_provider, research_key_enc, llm_budget_micro_usd, searches_per_month, retention_days, updated_by, updated_at)
SELECT g.tenant_id, '', NULLIF(g.llm_provider, ''), g.llm_base_url, g.llm_model, g.llm_key_enc,
  NULLIF(g.research_provider, ''), g.research_key_enc, g.llm_budget_micro_usd, g.searches_per_month,
  NULLIF(g.retention_days, 0), g.updated_by, g.updated_at
FROM generate_settings g
WHERE NOT EXISTS (SELECT 1 FROM project_settings p WHERE p.tenant_id = g.tenant_id AND p.project_key = '');
DELETE FROM generate_settings;

-- Usage per project and month, so that each project's budget and search
-- quota count its own spending (generate_usage keeps the site's total).
CREATE TABLE IF NOT EXISTS project_usage (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  period CHAR(7) NOT NULL,
  llm_calls INT NOT NULL DEFAULT 0,
  prompt_tokens BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  llm_cost_micro_usd BIGINT NOT NULL DEFAULT 0,
  searches INT NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY project_usage_period (tenant_id, project_key, period),
  CONSTRAINT project_usage_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The last accepted signed-install token per clientKey (not per tenant
-- row: it must outlive an uninstall and purge). A token seen before, or
-- issued before this one, is refused.
CREATE TABLE IF NOT EXISTS install_tokens (
  client_key VARCHAR(255) NOT NULL PRIMARY KEY,
  token_hash CHAR(64) NOT NULL,
  issued_at BIGINT NOT NULL,
  accepted_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
