-- Score history: one point per issue each time its stored score or class
-- changes, with the pillar values and signals it had then, so that the
-- glance can say why a score moved. Bounded by the store (HistoryPoints per
-- issue). project_trend keeps one row per project and day: the open
-- backlog's mean score and class counts after the day's last ranking.
-- Every statement is idempotent, so a migration cut short can run again.
CREATE TABLE IF NOT EXISTS score_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  issue_key TEXT NOT NULL,
  at DATETIME NOT NULL,
  score REAL NOT NULL,
  moscow TEXT NOT NULL DEFAULT '',
  framework TEXT NOT NULL DEFAULT '',
  signals TEXT NOT NULL DEFAULT '{}',
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS score_history_issue ON score_history (tenant_id, issue_key, id);

CREATE TABLE IF NOT EXISTS project_trend (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  project_key TEXT NOT NULL,
  day TEXT NOT NULL,
  mean_score REAL NOT NULL,
  open_count INTEGER NOT NULL,
  must_count INTEGER NOT NULL,
  should_count INTEGER NOT NULL,
  could_count INTEGER NOT NULL,
  wont_count INTEGER NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE (tenant_id, project_key, day)
);
