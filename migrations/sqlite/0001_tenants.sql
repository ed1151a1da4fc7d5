CREATE TABLE tenants (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client_key TEXT NOT NULL UNIQUE,
  base_url TEXT NOT NULL,
  display_url TEXT NOT NULL DEFAULT '',
  product_type TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  oauth_client_id TEXT NOT NULL DEFAULT '',
  installation_id TEXT NOT NULL DEFAULT '',
  shared_secret_enc TEXT NOT NULL,
  state TEXT NOT NULL,
  installed_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  uninstalled_at DATETIME NULL,
  purge_after DATETIME NULL
);
CREATE INDEX tenants_purge ON tenants (purge_after);

CREATE TABLE projects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  project_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 0,
  strategy TEXT NOT NULL DEFAULT '',
  settings TEXT NOT NULL DEFAULT '',
  last_sync_at DATETIME NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, project_key)
);
