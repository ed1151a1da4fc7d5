package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// HistoryPoints is how many score points each issue keeps: enough for a
// sparkline over months of weekly changes, bounded so that a busy issue
// cannot grow the table.
const HistoryPoints = 30

// ScorePoint is an issue's score at one time, with what moved it there.
type ScorePoint struct {
	IssueKey  string        `json:"issueKey"`
	At        time.Time     `json:"at"`
	Score     float64       `json:"score"`
	Moscow    domain.Moscow `json:"moscow"`
	Framework string        `json:"framework,omitempty"`
	// Reason says in words what changed since the previous point ("User
	// Value −1.5 (votes −0.8)"); "First scored." for the first.
	Reason string `json:"reason"`
	// Signals are the pillar values, evidence deltas and framework inputs
	// the score had (see signalsOf).
	Signals map[string]float64 `json:"signals,omitempty"`
}

type historyRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	ProjectKey string
	IssueKey   string
	At         time.Time
	Score      float64
	Moscow     string
	Framework  string
	Signals    string
	Reason     string
}

func (historyRow) TableName() string { return "score_history" }

// signalsOf flattens what a score is made of: "pillar:<name>" values,
// "signal:<pillar>/<signal>" evidence deltas, "urgency:<signal>" bonus
// parts and "input:<name>" framework inputs.
func signalsOf(s *domain.Score) map[string]float64 {
	out := make(map[string]float64, 24)
	for _, p := range s.Pillars {
		out["pillar:"+string(p.Name)] = round2(p.Value)
		for _, e := range p.Evidence {
			out["signal:"+string(p.Name)+"/"+e.Signal] += round2(e.Delta)
		}
	}
	for _, e := range s.Urgency {
		out["urgency:"+e.Signal] += round2(e.Delta)
	}
	if s.Framework != nil {
		for _, in := range s.Framework.Inputs {
			out["input:"+in.Name] = in.Value
		}
	}
	return out
}

func round2(v float64) float64 { return math.Round(100*v) / 100 }

// explainChange names the largest movements between two points' signals:
// pillars (with their largest moving signal), urgency and framework inputs.
func explainChange(prev, next map[string]float64) string {
	type move struct {
		name  string
		delta float64
		why   string
	}
	var moves []move
	topSignal := func(pillar string) string {
		best, bestD := "", 0.0
		for k := range union(prev, next) {
			if sig, ok := strings.CutPrefix(k, "signal:"+pillar+"/"); ok {
				if d := next[k] - prev[k]; math.Abs(d) > math.Abs(bestD)+1e-9 {
					best, bestD = sig, d
				}
			}
		}
		if best == "" || math.Abs(bestD) < 0.05 {
			return ""
		}
		return " (" + domain.SignalTitle(best) + " " + signed(bestD) + ")"
	}
	for k := range union(prev, next) {
		d := next[k] - prev[k]
		if math.Abs(d) < 0.05 {
			continue
		}
		switch {
		case strings.HasPrefix(k, "pillar:"):
			p := strings.TrimPrefix(k, "pillar:")
			moves = append(moves, move{pillarTitle(p), d, topSignal(p)})
		case strings.HasPrefix(k, "urgency:"):
			moves = append(moves, move{"urgency: " + domain.SignalTitle(strings.TrimPrefix(k, "urgency:")), d, ""})
		case strings.HasPrefix(k, "input:"):
			moves = append(moves, move{strings.TrimPrefix(k, "input:"), d, ""})
		}
	}
	if len(moves) == 0 {
		return "No pillar or input moved: the backlog around it changed (scores are relative to it)."
	}
	slices.SortFunc(moves, func(a, b move) int {
		if c := cmp.Compare(math.Abs(b.delta), math.Abs(a.delta)); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	parts := make([]string, 0, 3)
	for _, m := range moves[:min(3, len(moves))] {
		parts = append(parts, m.name+" "+signed(m.delta)+m.why)
	}
	return strings.Join(parts, "; ") + "."
}

func union(a, b map[string]float64) map[string]struct{} {
	out := make(map[string]struct{}, len(a)+len(b))
	for k := range a {
		out[k] = struct{}{}
	}
	for k := range b {
		out[k] = struct{}{}
	}
	return out
}

func signed(d float64) string {
	s := strconv.FormatFloat(math.Abs(d), 'f', 1, 64)
	if d < 0 {
		return "−" + s
	}
	return "+" + s
}

func pillarTitle(p string) string { return domain.PillarName(p).Title() }

// recordHistory adds a score point for each analysed input whose shown
// score (floored) or class differs from the stored one, and trims each
// such issue to HistoryPoints. It runs before the results are saved.
func (ts *TenantStore) recordHistory(ctx context.Context, project string, in []ResultInput) error {
	byKey := make(map[string]*ResultInput, len(in))
	keys := make([]string, 0, len(in))
	for i := range in {
		if in[i].Analysis != nil {
			byKey[in[i].Issue.Key] = &in[i]
			keys = append(keys, in[i].Issue.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	type prevRow struct {
		IssueKey    string
		Score       float64
		Moscow      string
		Analysis    string
		JiraUpdated *time.Time
	}
	var changed []string
	prevs := make(map[string]prevRow, len(keys))
	for chunk := range slices.Chunk(keys, 500) {
		var rows []prevRow
		// Only an analysed row counts: a snapshot has no score yet. The
		// hash says so without reading the wide analysis column (the
		// store writes both together).
		err := ts.q(ctx, "issue_results").Select("issue_key, score, moscow, CASE WHEN analysis_hash = '' THEN '' ELSE 'y' END AS analysis, jira_updated").
			Where("issue_key IN ?", chunk).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("store: score history: %w", err)
		}
		for _, r := range rows {
			prevs[r.IssueKey] = r
		}
	}
	for _, k := range keys {
		x := byKey[k]
		p, ok := prevs[k]
		if ok && p.JiraUpdated != nil && !x.Issue.Updated.IsZero() && x.Issue.Updated.Before(*p.JiraUpdated) {
			continue // an older snapshot than the stored one is not saved either
		}
		s := x.Analysis.Score
		if ok && p.Analysis != "" && math.Floor(p.Score) == math.Floor(s.Total) && p.Moscow == string(s.Moscow) {
			continue
		}
		changed = append(changed, k)
	}
	if len(changed) == 0 {
		return nil
	}
	last := make(map[string]map[string]float64, len(changed))
	for chunk := range slices.Chunk(changed, 500) {
		var rows []historyRow
		sub := ts.q(ctx, "score_history").Select("MAX(id)").Where("issue_key IN ?", chunk).Group("issue_key")
		if err := ts.q(ctx, "score_history").Where("id IN (?)", sub).Find(&rows).Error; err != nil {
			return fmt.Errorf("store: score history: %w", err)
		}
		for _, r := range rows {
			var m map[string]float64
			if json.Unmarshal([]byte(r.Signals), &m) == nil {
				last[r.IssueKey] = m
			}
		}
	}
	now := ts.s.now().UTC()
	rows := make([]historyRow, 0, len(changed))
	for _, k := range changed {
		s := &byKey[k].Analysis.Score
		sig := signalsOf(s)
		raw, err := json.Marshal(sig)
		if err != nil {
			return fmt.Errorf("store: score history: %s: %w", k, err)
		}
		r := historyRow{TenantID: ts.tenantID, ProjectKey: project, IssueKey: k, At: now, Score: s.Total,
			Moscow: string(s.Moscow), Signals: string(raw), Reason: "First scored."}
		if s.Framework != nil {
			r.Framework = s.Framework.Name
		}
		if prev, ok := last[k]; ok {
			r.Reason = explainChange(prev, sig)
		}
		rows = append(rows, r)
	}
	if err := ts.s.db.WithContext(ctx).CreateInBatches(&rows, 200).Error; err != nil {
		return fmt.Errorf("store: score history: %w", err)
	}
	return ts.trimHistory(ctx, changed)
}

// trimHistory keeps the newest HistoryPoints points of each key.
func (ts *TenantStore) trimHistory(ctx context.Context, keys []string) error {
	for chunk := range slices.Chunk(keys, 500) {
		var over []string
		err := ts.q(ctx, "score_history").Select("issue_key").Where("issue_key IN ?", chunk).
			Group("issue_key").Having("COUNT(*) > ?", HistoryPoints).Pluck("issue_key", &over).Error
		if err != nil {
			return fmt.Errorf("store: trim score history: %w", err)
		}
		for _, k := range over {
			var ids []int64
			err := ts.q(ctx, "score_history").Where("issue_key = ?", k).Order("id DESC").
				Offset(HistoryPoints-1).Limit(1).Pluck("id", &ids).Error
			if err != nil || len(ids) == 0 {
				return fmt.Errorf("store: trim score history: %s: %v", k, err)
			}
			if err := ts.q(ctx, "score_history").Where("issue_key = ? AND id < ?", k, ids[0]).Delete(&historyRow{}).Error; err != nil {
				return fmt.Errorf("store: trim score history: %w", err)
			}
		}
	}
	return nil
}

// ScoreHistory returns an issue's score points, oldest first.
func (ts *TenantStore) ScoreHistory(ctx context.Context, issueKey string) ([]ScorePoint, error) {
	var rows []historyRow
	if err := ts.q(ctx, "score_history").Where("issue_key = ?", issueKey).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: score history: %w", err)
	}
	out := make([]ScorePoint, 0, len(rows))
	for _, r := range rows {
		p := ScorePoint{IssueKey: r.IssueKey, At: r.At.UTC(), Score: r.Score, Moscow: domain.Moscow(r.Moscow), Framework: r.Framework, Reason: r.Reason}
		_ = json.Unmarshal([]byte(r.Signals), &p.Signals) // written by signalsOf; a bad row just shows no signals
		out = append(out, p)
	}
	return out, nil
}
