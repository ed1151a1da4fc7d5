-- Score history: one point per issue each time its stored score or class
-- changes, with the pillar values and signals it had then, so that the
-- glance can say why a score moved. Bounded by the store (HistoryPoints per
-- issue). project_trend keeps one row per project and day: the open
-- backlog's mean score and class counts after the day's last ranking.
-- Every statement is idempotent: MySQL commits DDL at once, so a migration
-- cut short must be able to run again.
CREATE TABLE IF NOT EXISTS score_history (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  issue_key VARCHAR(255) NOT NULL,
  at DATETIME(6) NOT NULL,
  score DOUBLE NOT NULL,
  moscow VARCHAR(16) NOT NULL DEFAULT '',
  framework VARCHAR(16) NOT NULL DEFAULT '',
  signals TEXT NOT NULL,
  reason TEXT NOT NULL,
  KEY score_history_issue (tenant_id, issue_key, id),
  CONSTRAINT score_history_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS project_trend (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  project_key VARCHAR(255) NOT NULL,
  day CHAR(10) NOT NULL,
  mean_score DOUBLE NOT NULL,
  open_count INT NOT NULL,
  must_count INT NOT NULL,
  should_count INT NOT NULL,
  could_count INT NOT NULL,
  wont_count INT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY project_trend_day (tenant_id, project_key, day),
  CONSTRAINT project_trend_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
