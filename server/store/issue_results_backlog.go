package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
