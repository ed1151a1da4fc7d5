package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type resultRow struct {
	ID           int64 `gorm:"primaryKey"`
	TenantID     int64
	ProjectKey   string
	IssueKey     string
	IssueID      string
	IssueType    string
	Summary      string
	IsOpen       bool
	Deleted      bool
	Score        float64
	Moscow       string
	Quality      int
	Estimate     *float64
	Flags        string
	Issue        string
	Analysis     string
	AnalysisHash string
	WrittenHash  string
	JiraUpdated  *time.Time
	AnalysedAt   time.Time
}

func (resultRow) TableName() string { return "issue_results" }

// IssueResult is what the app knows about one issue: its last snapshot
// and, once analysed, the analysis.
type IssueResult struct {
	ProjectKey   string
	Issue        domain.Issue
	Analysis     *domain.Analysis
	AnalysisHash string
	WrittenHash  string
	Deleted      bool
	AnalysedAt   time.Time
}

// ResultInput is one analysed issue to save. Hash identifies the value
// written to Jira's issue property, so write-back can skip what is current.
type ResultInput struct {
	Issue    domain.Issue
	Analysis *domain.Analysis
	Hash     string
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func (ts *TenantStore) toRow(project string, in ResultInput, now time.Time) (resultRow, error) {
	issueJSON, err := json.Marshal(in.Issue)
	if err != nil {
		return resultRow{}, err
	}
	r := resultRow{TenantID: ts.tenantID, ProjectKey: project, IssueKey: in.Issue.Key, IssueID: in.Issue.ID,
		IssueType: string(in.Issue.Type), Summary: truncate(in.Issue.Summary, 1000), IsOpen: in.Issue.Open(),
		Issue: string(issueJSON), Analysis: "", AnalysisHash: in.Hash, AnalysedAt: now}
	if !in.Issue.Updated.IsZero() {
		u := in.Issue.Updated.UTC()
		r.JiraUpdated = &u
	}
	if in.Analysis != nil {
		a, err := json.Marshal(in.Analysis)
		if err != nil {
			return resultRow{}, err
		}
		r.Analysis = string(a)
		r.Score = in.Analysis.Score.Total
		r.Moscow = string(in.Analysis.Score.Moscow)
		r.Quality = in.Analysis.Check.Quality
		if in.Analysis.Estimate.Method == "neighbours" { // a suggestion with a number
			p := in.Analysis.Estimate.Points
			r.Estimate = &p
		}
		if in.Issue.StoryPoints != nil {
			p := *in.Issue.StoryPoints
			r.Estimate = &p
		}
		r.Flags = strings.Join(in.Analysis.Flags, ",")
	}
	return r, nil
}

// SaveResults upserts issues with their analyses (or snapshots only, when
// Analysis is nil) and marks them not deleted.
func (ts *TenantStore) SaveResults(ctx context.Context, project string, in []ResultInput) error {
	if len(in) == 0 {
		return nil
	}
	if err := ts.recordHistory(ctx, project, in); err != nil {
		return err
	}
	now := ts.s.now().UTC()
	rows := make([]resultRow, 0, len(in))
	for _, x := range in {
		r, err := ts.toRow(project, x, now)
		if err != nil {
			return fmt.Errorf("store: save results: %s: %w", x.Issue.Key, err)
		}
		rows = append(rows, r)
	}
	cols := []string{"project_key", "issue_id", "issue_type", "summary", "is_open", "deleted", "issue", "analysed_at"}
	if in[0].Analysis != nil {
		cols = append(cols, "score", "moscow", "quality", "estimate", "flags", "analysis", "analysis_hash")
	}
	// Rows in key order take locks in one order across replicas, which
	// keeps upserts from deadlocking each other.
	slices.SortFunc(rows, func(a, b resultRow) int { return strings.Compare(a.IssueKey, b.IssueKey) })
	err := retry(ctx, func() error {
		return ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "issue_key"}},
			DoUpdates: ts.s.forwardOnly(cols),
		}).CreateInBatches(&rows, 200).Error
	})
	if err != nil {
		return fmt.Errorf("store: save results: %w", err)
	}
	return nil
}

// MarkDeleted records that an issue is gone from Jira. The row stays as a
// tombstone so other replicas' models see the removal, and is purged later.
func (ts *TenantStore) MarkDeleted(ctx context.Context, issueKey string) (project string, err error) {
	var r resultRow
	if err := ts.q(ctx, "issue_results").Where("issue_key = ?", issueKey).Take(&r).Error; err != nil {
		return "", notFound(err, "store: mark deleted")
	}
	err = ts.q(ctx, "issue_results").Where("issue_key = ?", issueKey).
		Updates(map[string]any{"deleted": true, "analysed_at": ts.s.now().UTC(), "written_hash": gorm.Expr("analysis_hash")}).Error
	if err != nil {
		return "", fmt.Errorf("store: mark deleted: %w", err)
	}
	return r.ProjectKey, nil
}

func decodeResult(r *resultRow, withAnalysis bool) (IssueResult, error) {
	out := IssueResult{ProjectKey: r.ProjectKey, AnalysisHash: r.AnalysisHash, WrittenHash: r.WrittenHash, Deleted: r.Deleted, AnalysedAt: r.AnalysedAt}
	if err := json.Unmarshal([]byte(r.Issue), &out.Issue); err != nil {
		return out, fmt.Errorf("store: issue %s snapshot: %w", r.IssueKey, err)
	}
	if withAnalysis && r.Analysis != "" {
		out.Analysis = &domain.Analysis{}
		if err := json.Unmarshal([]byte(r.Analysis), out.Analysis); err != nil {
			return out, fmt.Errorf("store: issue %s analysis: %w", r.IssueKey, err)
		}
	}
	return out, nil
}

func decodeResults(rows []resultRow, withAnalysis bool) ([]IssueResult, error) {
	out := make([]IssueResult, 0, len(rows))
	for i := range rows {
		r, err := decodeResult(&rows[i], withAnalysis)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Result returns one issue's result, or ErrNotFound (also for deleted).
func (ts *TenantStore) Result(ctx context.Context, issueKey string) (*IssueResult, error) {
	var r resultRow
	if err := ts.q(ctx, "issue_results").Where("issue_key = ? AND deleted = ?", issueKey, false).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: result")
	}
	out, err := decodeResult(&r, true)
	if err != nil {
		return &out, err
	}
	if err := ts.dropDeletedRefs(ctx, []IssueResult{out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Results returns results for several keys (missing keys are skipped).
func (ts *TenantStore) Results(ctx context.Context, keys []string) ([]IssueResult, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var rows []resultRow
	if err := ts.q(ctx, "issue_results").Where("issue_key IN ? AND deleted = ?", keys, false).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: results: %w", err)
	}
	out, err := decodeResults(rows, true)
	if err != nil {
		return nil, err
	}
	if err := ts.dropDeletedRefs(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// dropDeletedRefs removes deleted issues from the duplicate candidates and
// estimate neighbours of stored analyses. An analysis names the issues it
// resembled when it ran; one deleted since then stays named until the
// re-analysis that the deletion queues has run, so readers filter here
// rather than trust that it has.
func (ts *TenantStore) dropDeletedRefs(ctx context.Context, rs []IssueResult) error {
	seen := map[string]bool{}
	var keys []string
	for _, r := range rs {
		if r.Analysis == nil {
			continue
		}
		for _, c := range r.Analysis.Duplicates {
			if !seen[c.Key] {
				seen[c.Key] = true
				keys = append(keys, c.Key)
			}
		}
		for _, n := range r.Analysis.Estimate.Neighbours {
			if !seen[n.Key] {
				seen[n.Key] = true
				keys = append(keys, n.Key)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	var deleted []string
	if err := ts.q(ctx, "issue_results").Where("issue_key IN ? AND deleted = ?", keys, true).Pluck("issue_key", &deleted).Error; err != nil {
		return fmt.Errorf("store: deleted references: %w", err)
	}
	if len(deleted) == 0 {
		return nil
	}
	gone := make(map[string]bool, len(deleted))
	for _, k := range deleted {
		gone[k] = true
	}
	for _, r := range rs {
		if r.Analysis == nil {
			continue
		}
		r.Analysis.Duplicates = slices.DeleteFunc(r.Analysis.Duplicates, func(c domain.Candidate) bool { return gone[c.Key] })
		r.Analysis.Estimate.Neighbours = slices.DeleteFunc(r.Analysis.Estimate.Neighbours, func(n domain.Neighbour) bool { return gone[n.Key] })
	}
	return nil
}

// ChangedSince streams a project's snapshots (tombstones included) changed
// at or after since, oldest first, in pages; fn gets each page. Replicas
// use it to keep their in-memory project models current.
func (ts *TenantStore) ChangedSince(ctx context.Context, project string, since time.Time, withAnalysis bool, fn func([]IssueResult) error) error {
	cols := "id, project_key, issue_key, issue, deleted, analysis_hash, written_hash, analysed_at"
	if withAnalysis {
		cols += ", analysis"
	}
	var lastID int64
	for {
		var rows []resultRow
		q := ts.q(ctx, "issue_results").Select(cols).Where("project_key = ? AND analysed_at >= ? AND id > ?", project, since.UTC(), lastID).Order("id").Limit(1000)
		if err := q.Find(&rows).Error; err != nil {
			return fmt.Errorf("store: changed since: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		page, err := decodeResults(rows, withAnalysis)
		if err != nil {
			return err
		}
		lastID = rows[len(rows)-1].ID
		if err := fn(page); err != nil {
			return err
		}
	}
}

// ChangedKeysSince returns, for a project's snapshots (tombstones
// included) changed at or after since, each issue's key and the time it
// was saved: an index-only read, so a model can skip the rows it already
// holds before reading the wide ones (SnapshotsOf).
func (ts *TenantStore) ChangedKeysSince(ctx context.Context, project string, since time.Time) (map[string]time.Time, error) {
	var rows []struct {
		IssueKey   string
		AnalysedAt time.Time
	}
	err := ts.q(ctx, "issue_results").Select("issue_key, analysed_at").Where("project_key = ? AND analysed_at >= ?", project, since.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: changed keys: %w", err)
	}
	out := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		out[r.IssueKey] = r.AnalysedAt
	}
	return out, nil
}

// SnapshotsOf returns the stored snapshots (tombstones included, without
// the analyses) of the given issues.
func (ts *TenantStore) SnapshotsOf(ctx context.Context, keys []string) ([]IssueResult, error) {
	out := make([]IssueResult, 0, len(keys))
	for chunk := range slices.Chunk(keys, 500) {
		var rows []resultRow
		err := ts.q(ctx, "issue_results").Select("id, project_key, issue_key, issue, deleted, analysis_hash, written_hash, analysed_at").
			Where("issue_key IN ?", chunk).Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("store: snapshots: %w", err)
		}
		page, err := decodeResults(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}

// Unwritten returns up to limit analysed, live issues whose property in
// Jira is not current.
func (ts *TenantStore) Unwritten(ctx context.Context, project string, limit int) ([]IssueResult, error) {
	var rows []resultRow
	err := ts.q(ctx, "issue_results").Where("project_key = ? AND deleted = ? AND analysis <> '' AND written_hash <> analysis_hash", project, false).
		Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: unwritten: %w", err)
	}
	return decodeResults(rows, true)
}

// CountUnwritten counts issues whose property is not current.
func (ts *TenantStore) CountUnwritten(ctx context.Context, project string) (int64, error) {
	var n int64
	err := ts.q(ctx, "issue_results").Where("project_key = ? AND deleted = ? AND analysis <> '' AND written_hash <> analysis_hash", project, false).Count(&n).Error
	return n, err
}

// MarkWritten records that Jira holds the property of the given hash,
// whatever the row's analysis is now: a row re-analysed meanwhile (another
// hash) stays unwritten, and so does one whose analysis flipped back to a
// value Jira held before this write (one writer per project at a time
// makes the last write the one Jira holds).
func (ts *TenantStore) MarkWritten(ctx context.Context, written map[string]string) error {
	return ts.WithTx(ctx, func(tx *TenantStore) error {
		for key, hash := range written {
			err := tx.q(ctx, "issue_results").Where("issue_key = ?", key).Update("written_hash", hash).Error
			if err != nil {
				return fmt.Errorf("store: mark written: %w", err)
			}
		}
		return nil
	})
}

// PurgeTombstones deletes tombstones older than d.
func (s *Store) PurgeTombstones(ctx context.Context, d time.Duration) (int64, error) {
	res := s.db.WithContext(ctx).Where("deleted = ? AND analysed_at < ?", true, s.now().UTC().Add(-d)).Delete(&resultRow{})
	return res.RowsAffected, res.Error
}

// TombstoneUnseen marks deleted the live issues of a project that a full
// scan started at since did not see (deleted in Jira while no webhook
// reached us). The scan's fetch phase touched every issue it saw.
func (ts *TenantStore) TombstoneUnseen(ctx context.Context, project string, since time.Time) (int64, error) {
	res := ts.q(ctx, "issue_results").Where("project_key = ? AND deleted = ? AND analysed_at < ?", project, false, since.UTC()).
		Updates(map[string]any{"deleted": true, "analysed_at": ts.s.now().UTC(), "written_hash": gorm.Expr("analysis_hash")})
	if res.Error != nil {
		return 0, fmt.Errorf("store: tombstone unseen: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// forwardOnly builds upsert assignments that replace a stored issue only
// with a state at least as recent in Jira (its "updated" time): replicas
// that fetched an issue at different moments may save out of order, and
// the older state must not win. jira_updated is assigned last because
// MySQL evaluates assignments left to right.
func (s *Store) forwardOnly(cols []string) clause.Set {
	newer := "excluded.jira_updated IS NULL OR issue_results.jira_updated IS NULL OR excluded.jira_updated >= issue_results.jira_updated"
	val := func(c string) string { return "excluded." + c }
	if s.driver == "mysql" {
		newer = "VALUES(jira_updated) IS NULL OR jira_updated IS NULL OR VALUES(jira_updated) >= jira_updated"
		val = func(c string) string { return "VALUES(" + c + ")" }
	}
	set := make(clause.Set, 0, len(cols)+1)
	for _, c := range append(cols, "jira_updated") {
		set = append(set, clause.Assignment{Column: clause.Column{Name: c},
			Value: gorm.Expr("CASE WHEN " + newer + " THEN " + val(c) + " ELSE " + c + " END")})
	}
	return set
}

// ResultVersion identifies the stored analysis of an issue cheaply (the
// property hash and when it was saved) and says whether its project is
// active: enough to know whether a page rendered earlier is still current.
// ok is false when the issue has no analysis.
func (ts *TenantStore) ResultVersion(ctx context.Context, issueKey string) (version string, active bool, ok bool, err error) {
	var row struct {
		AnalysisHash string
		AnalysedAt   time.Time
		Active       bool
	}
	res := ts.s.db.WithContext(ctx).Table("issue_results r").
		Select("r.analysis_hash, r.analysed_at, p.active").
		Joins("JOIN projects p ON p.tenant_id = r.tenant_id AND p.project_key = r.project_key").
		Where("r.tenant_id = ? AND r.issue_key = ? AND r.deleted = ? AND r.analysis <> ''", ts.tenantID, issueKey, false).
		Limit(1).Scan(&row)
	if res.Error != nil {
		return "", false, false, fmt.Errorf("store: result version: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return "", false, false, nil
	}
	return row.AnalysisHash + "@" + row.AnalysedAt.UTC().Format(time.RFC3339Nano), row.Active, true, nil
}
