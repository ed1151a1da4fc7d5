package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

// BacklogQuery selects a page of a project's ranked backlog.
type BacklogQuery struct {
	Sort     string // score (default), quality, estimate, key, updated
	Asc      bool
	Moscow   string // filter by class
	Flag     string // filter by flag (duplicate, vague, stale, too_big)
	Type     string // filter by issue type
	Text     string // substring of key or summary
	OpenOnly bool
	// Subtasks includes sub-tasks; they are left out by default, as the
	// ranked backlog counts their parents (a Type filter of "subtask"
	// shows them too).
	Subtasks bool
	Offset   int
	Limit    int
}

// BacklogRow is one line of the backlog table.
type BacklogRow struct {
	Key      string
	Summary  string
	Type     string
	Score    float64
	Moscow   string
	Quality  int
	Estimate *float64
	// Suggested: Estimate is the app's suggestion, not the issue's own
	// points; Low and High are then its 80 % interval.
	Suggested bool
	Low, High float64
	Flags     []string
	Open      bool
}

var sortColumns = map[string]string{
	"score": "score", "quality": "quality", "estimate": "estimate", "key": "issue_key", "updated": "jira_updated",
}

// keyOrder orders keys of one project by number (SHOP-2 before SHOP-10):
// a shorter key has the smaller number.
func keyOrder(desc bool) string {
	if desc {
		return "LENGTH(issue_key) DESC, issue_key DESC"
	}
	return "LENGTH(issue_key), issue_key"
}

// Backlog returns a page of the project's analysed issues and the total
// matching the filter. Sorting and paging happen in the database so that a
// 100k-issue project stays fast: the count and the page's ids come from
// the issue_results_list index alone (migration 0010), and only the page's
// rows are then read whole. Reading every row's issue and analysis JSON
// (overflow pages in SQLite) was most of the list's time.
func (ts *TenantStore) Backlog(ctx context.Context, project string, q BacklogQuery) ([]BacklogRow, int64, error) {
	count, page := ts.backlogQueries(ctx, project, q)
	var total int64
	if err := count.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: backlog count: %w", err)
	}
	var ids []int64
	if err := page.Pluck("id", &ids).Error; err != nil {
		return nil, 0, fmt.Errorf("store: backlog: %w", err)
	}
	if len(ids) == 0 {
		return []BacklogRow{}, total, nil
	}
	var rows []resultRow
	err := ts.q(ctx, "issue_results").Where("id IN ?", ids).
		Select("id, issue_key, summary, issue_type, score, moscow, quality, estimate, flags, is_open, issue, analysis").Find(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("store: backlog rows: %w", err)
	}
	byID := make(map[int64]resultRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]BacklogRow, 0, len(ids))
	for _, id := range ids {
		r, ok := byID[id]
		if !ok {
			continue // deleted between the two reads
		}
		b := BacklogRow{Key: r.IssueKey, Summary: r.Summary, Type: r.IssueType, Score: r.Score, Moscow: r.Moscow,
			Quality: r.Quality, Estimate: r.Estimate, Open: r.IsOpen}
		if r.Flags != "" {
			b.Flags = strings.Split(r.Flags, ",")
		}
		if r.Estimate != nil {
			if err := markSuggestion(&b, r); err != nil {
				return nil, 0, err
			}
		}
		out = append(out, b)
	}
	return out, total, nil
}

// backlogQueries builds the count and the page-id query of q, both
// answered from the issue_results_list index (TestBacklogPlansUseTheIndex).
// An analysed row is one with an analysis_hash: the store writes the
// analysis and its hash together (SaveResults), and the hash is in the
// index while the analysis is not.
func (ts *TenantStore) backlogQueries(ctx context.Context, project string, q BacklogQuery) (count, page *gorm.DB) {
	col, ok := sortColumns[q.Sort]
	if !ok {
		col = "score"
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 50
	}
	db := ts.q(ctx, "issue_results").Where("project_key = ? AND deleted = ? AND analysis_hash <> ?", project, false, "")
	if q.OpenOnly {
		db = db.Where("is_open = ?", true)
	}
	if q.Moscow != "" {
		db = db.Where("moscow = ?", q.Moscow)
	}
	if q.Type != "" {
		db = db.Where("issue_type = ?", q.Type)
	} else if !q.Subtasks {
		db = db.Where("issue_type <> ?", string(domain.TypeSubtask))
	}
	if q.Flag != "" {
		db = db.Where("(flags = ? OR flags LIKE ? OR flags LIKE ? OR flags LIKE ?)", q.Flag, q.Flag+",%", "%,"+q.Flag, "%,"+q.Flag+",%")
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		like := "%" + escapeLike(strings.ToLower(t)) + "%"
		db = db.Where("(LOWER(issue_key) LIKE ? ESCAPE '!' OR LOWER(summary) LIKE ? ESCAPE '!')", like, like)
	}
	page = db.Session(&gorm.Session{})
	if col == "issue_key" {
		page = page.Order(keyOrder(!q.Asc))
	} else {
		// Ties in backlog order: by key number, as the ranking breaks them.
		page = page.Order(clause.OrderByColumn{Column: clause.Column{Name: col}, Desc: !q.Asc}).Order(keyOrder(false))
	}
	return db.Session(&gorm.Session{}), page.Offset(q.Offset).Limit(q.Limit)
}

// markSuggestion tells the issue's own points from the app's suggestion,
// which share the estimate column (it sorts by the points either way).
func markSuggestion(b *BacklogRow, r resultRow) error {
	var is struct {
		StoryPoints *float64 `json:"storyPoints"`
	}
	if err := json.Unmarshal([]byte(r.Issue), &is); err != nil {
		return fmt.Errorf("store: backlog: issue %s snapshot: %w", r.IssueKey, err)
	}
	if is.StoryPoints != nil {
		return nil
	}
	var a struct {
		Estimate struct {
			Low  float64 `json:"low"`
			High float64 `json:"high"`
		} `json:"estimate"`
	}
	if err := json.Unmarshal([]byte(r.Analysis), &a); err != nil {
		return fmt.Errorf("store: backlog: issue %s analysis: %w", r.IssueKey, err)
	}
	b.Suggested, b.Low, b.High = true, a.Estimate.Low, a.Estimate.High
	return nil
}

// Mentioning returns the keys of the project's live analysed issues whose
// stored analysis mentions key as a candidate or neighbour: whom a deletion
// touches (candidate lists are not symmetric, so the deleted issue's own
// list does not name them all). It scans the project, which is fine for
// the rare deletion.
func (ts *TenantStore) Mentioning(ctx context.Context, project, key string) ([]string, error) {
	var keys []string
	err := ts.q(ctx, "issue_results").Where("project_key = ? AND deleted = ? AND analysis LIKE ? ESCAPE '!'",
		project, false, "%\"key\":\""+escapeLike(key)+"\"%").Pluck("issue_key", &keys).Error
	if err != nil {
		return nil, fmt.Errorf("store: issues mentioning %s: %w", key, err)
	}
	return keys, nil
}

func escapeLike(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}

type overrideRow struct {
	ID        int64 `gorm:"primaryKey"`
	TenantID  int64
	IssueKey  string
	Moscow    string
	Reason    string
	AccountID string
	CreatedAt time.Time
}

func (overrideRow) TableName() string { return "overrides" }

// SetOverride records a person's MoSCoW decision; it is kept until cleared.
func (ts *TenantStore) SetOverride(ctx context.Context, issueKey string, o domain.Override) error {
	switch o.Moscow {
	case domain.MoscowMust, domain.MoscowShould, domain.MoscowCould, domain.MoscowWont:
	default:
		return fmt.Errorf("store: override class %q: %w", o.Moscow, domain.ErrInvalid)
	}
	if strings.TrimSpace(o.Reason) == "" {
		return fmt.Errorf("store: override needs a reason: %w", domain.ErrInvalid)
	}
	row := overrideRow{TenantID: ts.tenantID, IssueKey: issueKey, Moscow: string(o.Moscow), Reason: truncate(o.Reason, 2000),
		AccountID: o.AccountID, CreatedAt: ts.s.now().UTC()}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "issue_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"moscow", "reason", "account_id", "created_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: set override: %w", err)
	}
	return nil
}

// ClearOverride removes an override.
func (ts *TenantStore) ClearOverride(ctx context.Context, issueKey string) error {
	return ts.q(ctx, "overrides").Where("issue_key = ?", issueKey).Delete(&overrideRow{}).Error
}

// Overrides returns overrides for the given keys (all when keys is nil).
func (ts *TenantStore) Overrides(ctx context.Context, keys []string) (map[string]domain.Override, error) {
	q := ts.q(ctx, "overrides")
	if keys != nil {
		if len(keys) == 0 {
			return map[string]domain.Override{}, nil
		}
		q = q.Where("issue_key IN ?", keys)
	}
	var rows []overrideRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: overrides: %w", err)
	}
	out := make(map[string]domain.Override, len(rows))
	for _, r := range rows {
		out[r.IssueKey] = domain.Override{Moscow: domain.Moscow(r.Moscow), Reason: r.Reason, AccountID: r.AccountID, At: r.CreatedAt}
	}
	return out, nil
}

// Scan states.
const (
	ScanRunning   = "running"
	ScanDone      = "done"
	ScanFailed    = "failed"
	ScanCancelled = "cancelled"
)

// Scan is the progress of a project's full scan.
type Scan struct {
	ProjectKey string
	State      string
	Phase      string // fetch, analyse, write
	Total      int
	Done       int
	Written    int
	PageToken  string
	Error      string
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

type scanRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	ProjectKey string
	State      string
	Phase      string
	Total      int
	Done       int
	Written    int
	PageToken  string
	Error      string
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

func (scanRow) TableName() string { return "scans" }

// StartScan (re)starts a project's scan from the first page.
func (ts *TenantStore) StartScan(ctx context.Context, project string, total int) (*Scan, error) {
	now := ts.s.now().UTC()
	row := scanRow{TenantID: ts.tenantID, ProjectKey: project, State: ScanRunning, Phase: "fetch", Total: total, StartedAt: now, UpdatedAt: now}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "tenant_id"}, {Name: "project_key"}},
		DoUpdates: clause.Assignments(map[string]any{"state": ScanRunning, "phase": "fetch", "total": total, "done": 0, "written": 0,
			"page_token": "", "error": "", "started_at": now, "updated_at": now, "finished_at": nil}),
	}).Create(&row).Error
	if err != nil {
		return nil, fmt.Errorf("store: start scan: %w", err)
	}
	return ts.Scan(ctx, project)
}

// StartScanIfIdle starts a project's scan from the first page unless one
// is running (queued counts: a scan is running from the moment it is
// started) and has made progress within staleAfter. It reports whether it
// started one and returns the project's scan either way. Two concurrent
// calls start at most one scan.
func (ts *TenantStore) StartScanIfIdle(ctx context.Context, project string, staleAfter time.Duration) (*Scan, bool, error) {
	now := ts.s.now().UTC()
	row := scanRow{TenantID: ts.tenantID, ProjectKey: project, State: ScanRunning, Phase: "fetch", StartedAt: now, UpdatedAt: now}
	res := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return nil, false, fmt.Errorf("store: start scan if idle: %w", res.Error)
	}
	started := res.RowsAffected == 1
	if !started {
		res = ts.q(ctx, "scans").Where("project_key = ? AND (state <> ? OR updated_at < ?)", project, ScanRunning, now.Add(-staleAfter)).
			Updates(map[string]any{"state": ScanRunning, "phase": "fetch", "total": 0, "done": 0, "written": 0,
				"page_token": "", "error": "", "started_at": now, "updated_at": now, "finished_at": nil})
		if res.Error != nil {
			return nil, false, fmt.Errorf("store: start scan if idle: %w", res.Error)
		}
		started = res.RowsAffected == 1
	}
	sc, err := ts.Scan(ctx, project)
	return sc, started, err
}

// Scan returns a project's scan, or ErrNotFound if it never ran.
func (ts *TenantStore) Scan(ctx context.Context, project string) (*Scan, error) {
	var r scanRow
	if err := ts.q(ctx, "scans").Where("project_key = ?", project).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: scan")
	}
	return &Scan{ProjectKey: r.ProjectKey, State: r.State, Phase: r.Phase, Total: r.Total, Done: r.Done, Written: r.Written,
		PageToken: r.PageToken, Error: r.Error, StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt}, nil
}

// ScanUpdate changes some fields of a scan; nil fields stay.
type ScanUpdate struct {
	State     *string
	Phase     *string
	Total     *int
	AddDone   int
	AddWrite  int
	Done      *int
	Written   *int
	PageToken *string
	Error     *string
}

// UpdateScan applies u to a running scan. It reports ErrConflict when the
// scan is no longer running (cancelled by an uninstall or restarted).
func (ts *TenantStore) UpdateScan(ctx context.Context, project string, u ScanUpdate) error {
	now := ts.s.now().UTC()
	cols := map[string]any{"updated_at": now}
	if u.State != nil {
		cols["state"] = *u.State
		if *u.State != ScanRunning {
			cols["finished_at"] = now
		}
	}
	if u.Phase != nil {
		cols["phase"] = *u.Phase
	}
	if u.Total != nil {
		cols["total"] = *u.Total
	}
	if u.Done != nil {
		cols["done"] = *u.Done
	} else if u.AddDone != 0 {
		cols["done"] = gorm.Expr("done + ?", u.AddDone)
	}
	if u.Written != nil {
		cols["written"] = *u.Written
	} else if u.AddWrite != 0 {
		cols["written"] = gorm.Expr("written + ?", u.AddWrite)
	}
	if u.PageToken != nil {
		cols["page_token"] = *u.PageToken
	}
	if u.Error != nil {
		cols["error"] = truncate(*u.Error, 2000)
	}
	res := ts.q(ctx, "scans").Where("project_key = ? AND state = ?", project, ScanRunning).Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("store: update scan: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update scan %s: not running: %w", project, domain.ErrConflict)
	}
	return nil
}

// ActiveProjects lists, across tenants, the active projects of active
// tenants (for periodic reconciliation).
func (s *Store) ActiveProjects(ctx context.Context) ([]TenantProject, error) {
	var out []TenantProject
	err := s.db.WithContext(ctx).Table("projects").Select("projects.tenant_id, projects.project_key, projects.last_sync_at").
		Joins("JOIN tenants ON tenants.id = projects.tenant_id").
		Where("projects.active = ? AND tenants.state IN ?", true, []string{string(domain.TenantInstalled), string(domain.TenantEnabled)}).
		Scan(&out).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("store: active projects: %w", err)
	}
	return out, nil
}

// TenantProject names a project of a tenant.
type TenantProject struct {
	TenantID   int64
	ProjectKey string
	LastSyncAt *time.Time
}
