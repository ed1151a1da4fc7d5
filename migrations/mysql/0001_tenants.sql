CREATE TABLE IF NOT EXISTS tenants (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  client_key VARCHAR(255) NOT NULL,
  base_url VARCHAR(512) NOT NULL,
  display_url VARCHAR(512) NOT NULL DEFAULT '',
  product_type VARCHAR(64) NOT NULL DEFAULT '',
  description VARCHAR(1024) NOT NULL DEFAULT '',
  oauth_client_id VARCHAR(255) NOT NULL DEFAULT '',
  installation_id VARCHAR(255) NOT NULL DEFAULT '',
  shared_secret_enc TEXT NOT NULL,
  state VARCHAR(16) NOT NULL,
  installed_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  uninstalled_at DATETIME(6) NULL,
  purge_after DATETIME(6) NULL,
  UNIQUE KEY tenants_client_key (client_key),
  KEY tenants_purge (purge_after)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS projects (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  project_id VARCHAR(64) NOT NULL DEFAULT '',
  name VARCHAR(255) NOT NULL DEFAULT '',
  active TINYINT(1) NOT NULL DEFAULT 0,
  strategy MEDIUMTEXT NOT NULL,
  settings MEDIUMTEXT NOT NULL,
  last_sync_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY projects_tenant_key (tenant_id, project_key),
  CONSTRAINT projects_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
