-- Applying BacklogAI's ranking in Jira: the last application per project,
-- with who did it, when, the moves made and Jira's order before them, so
-- that it can be undone. Every statement is idempotent: MySQL commits DDL
-- at once, so a migration cut short must be able to run again.
CREATE TABLE IF NOT EXISTS rank_applications (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  account_id VARCHAR(128) NOT NULL,
  moved MEDIUMTEXT NOT NULL,
  previous_order MEDIUMTEXT NOT NULL,
  applied_at DATETIME(6) NOT NULL,
  undone_at DATETIME(6) NULL,
  undone_by VARCHAR(128) NOT NULL DEFAULT '',
  UNIQUE KEY rank_applications_project (tenant_id, project_key),
  CONSTRAINT rank_applications_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Saved views of the Backlog tab (filters and sort under a name), per
-- person: a person only ever sees their own.
CREATE TABLE IF NOT EXISTS saved_views (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  account_id VARCHAR(128) NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  name VARCHAR(80) NOT NULL,
  query TEXT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY saved_views_name (tenant_id, account_id, project_key, name),
  CONSTRAINT saved_views_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
