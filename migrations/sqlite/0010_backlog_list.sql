-- The ranked list (TenantStore.Backlog) reads one covering index for its
-- count, filters, sorts and the page's ids, so it never reads the wide rows
-- (the issue and analysis JSON, in overflow pages) except the page's own.
-- An analysed row is one with an analysis_hash (the store writes both
-- together). issue_results_list starts with the columns of
-- issue_results_rank, which it replaces.
CREATE INDEX IF NOT EXISTS issue_results_list ON issue_results (tenant_id, project_key, is_open, score, deleted, analysis_hash,
  issue_type, moscow, quality, estimate, jira_updated, flags, issue_key, summary);
DROP INDEX IF EXISTS issue_results_rank;
