-- Personal access tokens for AI assistants (MCP): only the SHA-256 of the
-- token is kept. A token acts as its person (account_id) on the projects
-- listed in projects (comma-separated keys) until expires_at or
-- revocation. Every statement is idempotent: MySQL commits DDL at once.
CREATE TABLE IF NOT EXISTS access_tokens (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  account_id VARCHAR(128) NOT NULL,
  name VARCHAR(255) NOT NULL,
  token_hash CHAR(64) NOT NULL,
  prefix VARCHAR(32) NOT NULL,
  projects TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  last_used_at DATETIME(6) NULL,
  revoked_at DATETIME(6) NULL,
  UNIQUE KEY access_tokens_hash (token_hash),
  KEY access_tokens_owner (tenant_id, account_id),
  CONSTRAINT access_tokens_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per tool call made with a token (never its arguments).
CREATE TABLE IF NOT EXISTS tool_audit (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  token_id BIGINT NOT NULL,
  account_id VARCHAR(128) NOT NULL,
  project_key VARCHAR(255) NOT NULL DEFAULT '',
  tool VARCHAR(64) NOT NULL,
  result VARCHAR(64) NOT NULL,
  duration_ms INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  KEY tool_audit_project (tenant_id, project_key, created_at),
  CONSTRAINT tool_audit_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
