-- Applying BacklogAI's ranking in Jira: the last application per project,
-- with who did it, when, the moves made and Jira's order before them, so
-- that it can be undone. Every statement is idempotent, so a migration cut
-- short can simply run again.
CREATE TABLE IF NOT EXISTS rank_applications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  account_id TEXT NOT NULL,
  moved TEXT NOT NULL,
  previous_order TEXT NOT NULL,
  applied_at DATETIME NOT NULL,
  undone_at DATETIME NULL,
  undone_by TEXT NOT NULL DEFAULT '',
  UNIQUE (tenant_id, project_key)
);

-- Saved views of the Backlog tab (filters and sort under a name), per
-- person: a person only ever sees their own.
CREATE TABLE IF NOT EXISTS saved_views (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL,
  project_key TEXT NOT NULL,
  name TEXT NOT NULL,
  query TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, account_id, project_key, name)
);
