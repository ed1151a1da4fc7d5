-- The ranked list (TenantStore.Backlog) reads one index for its count,
-- filters, sorts and the page's ids, so it does not read the wide rows
-- (the issue and analysis JSON) except the page's own. An analysed row is
-- one with an analysis_hash (the store writes both together). InnoDB keys
-- are at most 3072 bytes, so flags and summary (utf8mb4) stay out: a flag
-- or text filter reads the rows it tests. issue_results_list starts with
-- the columns of issue_results_rank, which it replaces. Every statement is
-- idempotent: MySQL commits DDL at once, so a migration cut short must be
-- able to run again.
CREATE INDEX IF NOT EXISTS issue_results_list ON issue_results (tenant_id, project_key, is_open, score, deleted, analysis_hash,
  issue_type, moscow, quality, estimate, jira_updated, issue_key);
DROP INDEX IF EXISTS issue_results_rank ON issue_results;
