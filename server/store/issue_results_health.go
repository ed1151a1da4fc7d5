package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/backlogai/backlogai/server/domain"
)

// ProjectRow is the compact part of one issue's result that project-wide
// views need (health charts, re-ranking with other weights): a few columns
// and the fields of the stored JSON those views read, without the rest of
// the analysis. A 10k-issue project fits in a few MB of them.
type ProjectRow struct {
	ID      int64 // the row's id, stable for the issue
	Key     string
	Summary string
	Type    string
	Open    bool
	// Deleted rows are tombstones: a caller keeping rows in memory drops
	// the key.
	Deleted bool
	// Analysed is false for a snapshot that was not analysed yet; the
	// fields below Analysed are then zero.
	Analysed bool
	Score    float64
	Moscow   domain.Moscow
	Quality  int
	// Estimate is the issue's story points, else the suggestion (nil when
	// neither); PointsSource says which ("issue", "suggestion" or "").
	Estimate     *float64
	PointsSource string
	Flags        []string
	// Pillars are the stored pillar values in domain.Pillars order.
	Pillars      [5]float64
	UrgencyBonus float64
	Override     *domain.Override
	// Letters maps INVEST letters to pass, warn or fail.
	Letters map[string]string
	// Near are the near-duplicate candidates.
	Near       []domain.Candidate
	Created    time.Time
	Updated    time.Time
	AnalysedAt time.Time
	// EpicKey is the parent epic, if any (for epic roll-ups).
	EpicKey string
}

// projectRowIssue and projectRowAnalysis pick the fields ProjectRow needs
// out of the stored JSON; decoding into them skips everything else.
type projectRowIssue struct {
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	StoryPoints *float64  `json:"storyPoints"`
	EpicKey     string    `json:"epicKey"`
}

type projectRowAnalysis struct {
	Score struct {
		Pillars []struct {
			Name  domain.PillarName `json:"name"`
			Value float64           `json:"value"`
		} `json:"pillars"`
		UrgencyBonus float64          `json:"urgencyBonus"`
		Override     *domain.Override `json:"override"`
	} `json:"score"`
	Check struct {
		Letters map[string]string `json:"letters"`
	} `json:"check"`
	Duplicates []domain.Candidate `json:"duplicates"`
	Estimate   struct {
		Method string `json:"method"`
	} `json:"estimate"`
}

// Page sizes of ProjectRows: full rows carry two JSON documents each,
// versions only an id and a time.
const (
	projectRowPage     = 500
	projectVersionPage = 5000
)

// ProjectRows streams the project's rows (tombstones and unanalysed
// snapshots included) changed at or after since, in pages; fn gets each
// page. A zero since reads the whole project. Callers that keep the rows
// in memory re-read a short overlap before the newest AnalysedAt they saw
// (timestamps from several replicas are not strictly ordered) and pass
// known: rows it reports as already held at that AnalysedAt are skipped
// after a light query on an index, without reading their JSON.
func (ts *TenantStore) ProjectRows(ctx context.Context, project string, since time.Time, known func(id int64, analysedAt time.Time) bool, fn func([]ProjectRow) error) error {
	base := func() *gorm.DB {
		return ts.q(ctx, "issue_results").Where("project_key = ? AND analysed_at >= ?", project, since.UTC())
	}
	if known == nil {
		var lastID int64
		for {
			n, last, err := ts.readProjectRows(base().Where("id > ?", lastID).Order("id").Limit(projectRowPage), fn)
			if err != nil || n < projectRowPage {
				return err
			}
			lastID = last
		}
	}
	var changed []int64
	var lastID int64
	for {
		var vs []struct {
			ID         int64
			AnalysedAt time.Time
		}
		err := base().Select("id, analysed_at").Where("id > ?", lastID).Order("id").Limit(projectVersionPage).Find(&vs).Error
		if err != nil {
			return fmt.Errorf("store: project row versions: %w", err)
		}
		for _, v := range vs {
			if !known(v.ID, v.AnalysedAt) {
				changed = append(changed, v.ID)
			}
		}
		if len(vs) < projectVersionPage {
			break
		}
		lastID = vs[len(vs)-1].ID
	}
	for len(changed) > 0 {
		chunk := changed[:min(projectRowPage, len(changed))]
		changed = changed[len(chunk):]
		if _, _, err := ts.readProjectRows(ts.q(ctx, "issue_results").Where("id IN ?", chunk).Order("id"), fn); err != nil {
			return err
		}
	}
	return nil
}

// readProjectRows runs q for full rows and hands them to fn decoded; it
// returns how many it read and the last id.
func (ts *TenantStore) readProjectRows(q *gorm.DB, fn func([]ProjectRow) error) (int, int64, error) {
	const cols = "id, issue_key, summary, issue_type, is_open, deleted, score, moscow, quality, estimate, flags, issue, analysis, analysed_at"
	var rows []resultRow
	if err := q.Select(cols).Find(&rows).Error; err != nil {
		return 0, 0, fmt.Errorf("store: project rows: %w", err)
	}
	if len(rows) == 0 {
		return 0, 0, nil
	}
	page := make([]ProjectRow, len(rows))
	for i := range rows {
		if err := decodeProjectRow(&rows[i], &page[i]); err != nil {
			return 0, 0, err
		}
	}
	if err := fn(page); err != nil {
		return 0, 0, err
	}
	return len(rows), rows[len(rows)-1].ID, nil
}

func decodeProjectRow(r *resultRow, out *ProjectRow) error {
	*out = ProjectRow{ID: r.ID, Key: r.IssueKey, Summary: r.Summary, Type: r.IssueType, Open: r.IsOpen, Deleted: r.Deleted,
		AnalysedAt: r.AnalysedAt}
	if r.Deleted {
		return nil
	}
	var is projectRowIssue
	if err := json.Unmarshal([]byte(r.Issue), &is); err != nil {
		return fmt.Errorf("store: project rows: issue %s snapshot: %w", r.IssueKey, err)
	}
	out.Created, out.Updated, out.EpicKey = is.Created, is.Updated, is.EpicKey
	if r.Analysis == "" {
		return nil
	}
	var a projectRowAnalysis
	if err := json.Unmarshal([]byte(r.Analysis), &a); err != nil {
		return fmt.Errorf("store: project rows: issue %s analysis: %w", r.IssueKey, err)
	}
	out.Analysed = true
	out.Score, out.Moscow, out.Quality, out.Estimate = r.Score, domain.Moscow(r.Moscow), r.Quality, r.Estimate
	switch {
	case is.StoryPoints != nil:
		out.PointsSource = "issue"
	case r.Estimate != nil && a.Estimate.Method == "neighbours":
		out.PointsSource = "suggestion"
	}
	if r.Flags != "" {
		out.Flags = strings.Split(r.Flags, ",")
	}
	for _, p := range a.Score.Pillars {
		for i, n := range domain.Pillars {
			if p.Name == n {
				out.Pillars[i] = p.Value
			}
		}
	}
	out.UrgencyBonus = a.Score.UrgencyBonus
	out.Override = a.Score.Override
	out.Letters = a.Check.Letters
	for _, d := range a.Duplicates {
		if d.Near {
			out.Near = append(out.Near, d)
		}
	}
	return nil
}
