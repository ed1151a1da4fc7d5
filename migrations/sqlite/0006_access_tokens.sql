-- Personal access tokens for AI assistants (MCP): only the SHA-256 of the
-- token is kept. A token acts as its person (account_id) on the projects
-- listed in projects (comma-separated keys) until expires_at or
-- revocation. Every statement is idempotent.
CREATE TABLE IF NOT EXISTS access_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  projects TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL,
  last_used_at DATETIME NULL,
  revoked_at DATETIME NULL
);
CREATE INDEX IF NOT EXISTS access_tokens_owner ON access_tokens (tenant_id, account_id);

-- One row per tool call made with a token (never its arguments).
CREATE TABLE IF NOT EXISTS tool_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  token_id INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  project_key TEXT NOT NULL DEFAULT '',
  tool TEXT NOT NULL,
  result TEXT NOT NULL,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS tool_audit_project ON tool_audit (tenant_id, project_key, created_at);
