-- Settings per project (project_key) and site defaults (project_key '').
-- A NULL column is "not set here": a project inherits the site default,
-- the site default the environment's. The LLM and research groups are
-- inherited whole (provider, URL, model and key together) so that a key
-- is never sent to another scope's endpoint. Every statement is
-- idempotent, so a migration cut short can simply run again.
CREATE TABLE IF NOT EXISTS project_settings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL DEFAULT '',
  llm_provider TEXT NULL,
  llm_base_url TEXT NOT NULL DEFAULT '',
  llm_model TEXT NOT NULL DEFAULT '',
  llm_key_enc TEXT NOT NULL DEFAULT '',
  research_provider TEXT NULL,
  research_key_enc TEXT NOT NULL DEFAULT '',
  llm_budget_micro_usd INTEGER NULL,
  searches_per_month INTEGER NULL,
  retention_days INTEGER NULL,
  updated_by TEXT NOT NULL DEFAULT '',
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, project_key)
);

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
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  period TEXT NOT NULL,
  llm_calls INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  llm_cost_micro_usd INTEGER NOT NULL DEFAULT 0,
  searches INTEGER NOT NULL DEFAULT 0,
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, project_key, period)
);

-- The last accepted signed-install token per clientKey (not per tenant
-- row: it must outlive an uninstall and purge). A token seen before, or
-- issued before this one, is refused.
CREATE TABLE IF NOT EXISTS install_tokens (
  client_key TEXT NOT NULL PRIMARY KEY,
  token_hash TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  accepted_at DATETIME NOT NULL
);
