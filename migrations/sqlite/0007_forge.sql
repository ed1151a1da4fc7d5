-- Forge installations: one row per Forge app installation, linked to the
-- tenant whose data it uses. A site that was on Connect keeps its tenant
-- (matched by site URL); a new site gets a tenant keyed "forge:<installation>".
-- The latest app system token is kept sealed so background work can call
-- Jira between invocations.
CREATE TABLE forge_installations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  installation_id TEXT NOT NULL UNIQUE,
  app_id TEXT NOT NULL DEFAULT '',
  cloud_id TEXT NOT NULL DEFAULT '',
  site_url TEXT NOT NULL DEFAULT '',
  api_base_url TEXT NOT NULL DEFAULT '',
  system_token_enc TEXT NOT NULL DEFAULT '',
  system_token_expires DATETIME NULL,
  state TEXT NOT NULL,
  installed_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX forge_installations_tenant ON forge_installations (tenant_id);
