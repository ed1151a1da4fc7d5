-- Story generation: runs (one per submitted form, worked on by a job),
-- the drafts they produce, per-tenant settings (API keys sealed by the
-- app), monthly usage counters, the research cache and idempotency keys.
CREATE TABLE generation_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  account_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  step TEXT NOT NULL DEFAULT '',
  progress REAL NOT NULL DEFAULT 0,
  mode TEXT NOT NULL DEFAULT '',
  notice TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  prompt_version TEXT NOT NULL DEFAULT '',
  form TEXT NOT NULL,
  research TEXT NOT NULL DEFAULT '',
  stats TEXT NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  finished_at DATETIME NULL
);
CREATE INDEX generation_runs_recent ON generation_runs (tenant_id, project_key, created_at);

-- idem_key is also put on the Jira issue (as a label) so that a retry
-- after a crash finds an issue a previous attempt created.
CREATE TABLE drafts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  run_id INTEGER NULL REFERENCES generation_runs(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  ord INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  content TEXT NOT NULL,
  analysis TEXT NOT NULL DEFAULT '',
  idem_key TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_key TEXT NOT NULL DEFAULT '',
  created_id TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  claimed_at DATETIME NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, idem_key)
);
CREATE INDEX drafts_recent ON drafts (tenant_id, project_key, created_at);
CREATE INDEX drafts_run ON drafts (run_id);

CREATE TABLE generate_settings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  llm_provider TEXT NOT NULL DEFAULT '',
  llm_base_url TEXT NOT NULL DEFAULT '',
  llm_model TEXT NOT NULL DEFAULT '',
  llm_key_enc TEXT NOT NULL DEFAULT '',
  research_provider TEXT NOT NULL DEFAULT '',
  research_key_enc TEXT NOT NULL DEFAULT '',
  llm_budget_micro_usd INTEGER NOT NULL DEFAULT 0,
  searches_per_month INTEGER NOT NULL DEFAULT 0,
  retention_days INTEGER NOT NULL DEFAULT 0,
  updated_by TEXT NOT NULL DEFAULT '',
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id)
);

-- One row per tenant and calendar month (UTC, "2026-05"); counters are
-- only ever changed by atomic UPDATEs so replicas share them.
CREATE TABLE generate_usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  period TEXT NOT NULL,
  llm_calls INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  llm_cost_micro_usd INTEGER NOT NULL DEFAULT 0,
  searches INTEGER NOT NULL DEFAULT 0,
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, period)
);

CREATE TABLE research_cache (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  query_hash TEXT NOT NULL,
  query TEXT NOT NULL,
  result TEXT NOT NULL,
  fetched_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL,
  UNIQUE (tenant_id, provider, query_hash)
);
CREATE INDEX research_cache_expiry ON research_cache (tenant_id, expires_at);

CREATE TABLE idempotency_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  idem_key TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  result TEXT NOT NULL DEFAULT '',
  claim_token TEXT NOT NULL DEFAULT '',
  claimed_at DATETIME NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, idem_key)
);
