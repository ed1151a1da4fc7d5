-- Forge installations: see the sqlite migration of the same number.
CREATE TABLE IF NOT EXISTS forge_installations (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  installation_id VARCHAR(255) NOT NULL,
  app_id VARCHAR(255) NOT NULL DEFAULT '',
  cloud_id VARCHAR(64) NOT NULL DEFAULT '',
  site_url VARCHAR(512) NOT NULL DEFAULT '',
  api_base_url VARCHAR(512) NOT NULL DEFAULT '',
  system_token_enc TEXT NOT NULL,
  system_token_expires DATETIME(6) NULL,
  state VARCHAR(16) NOT NULL,
  installed_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY forge_installations_installation (installation_id),
  KEY forge_installations_tenant (tenant_id),
  CONSTRAINT forge_installations_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
