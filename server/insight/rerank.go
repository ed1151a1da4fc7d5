package insight

import (
	"sort"

	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// Row is one issue of a re-ranked backlog: its place under the new
// settings and under the stored scores.
type Row struct {
	Key, Summary, Type string
	Score              float64 // the total under the new settings
	Moscow             domain.Moscow
	Quality            int
	Estimate           *float64
	// Suggested marks an Estimate that is the app's suggestion.
	Suggested    bool
	Flags        []string // never nil
	Rank         int
	PreviousRank int // 0: not ranked before
}

// Ranked reports whether a row takes a place in the ranked backlog list
// (sub-tasks follow their parents and are listed only on request).
func Ranked(r *store.ProjectRow) bool {
	return r.Open && r.Analysed && r.Type != string(domain.TypeSubtask)
}

// previousRanks numbers the ranked rows by stored score: the backlog's
// order before the change.
func previousRanks(rows map[string]*store.ProjectRow) map[string]int {
	open := make([]*store.ProjectRow, 0, len(rows))
	for _, r := range rows {
		if Ranked(r) {
			open = append(open, r)
		}
	}
	sort.Slice(open, func(i, j int) bool {
		if open[i].Score != open[j].Score {
			return open[i].Score > open[j].Score
		}
		return score.CompareKeys(open[i].Key, open[j].Key) < 0
	})
	prev := make(map[string]int, len(open))
	for i, r := range open {
		prev[r.Key] = i + 1
	}
	return prev
}

// Preview lists the first limit analyses of all (the analysis model's
// ranking under unsaved settings, in rank order) that the backlog list
// shows by default, and how many it shows.
func Preview(rows map[string]*store.ProjectRow, all []domain.Analysis, limit int) ([]Row, int) {
	prev := previousRanks(rows)
	out := make([]Row, 0, min(limit, len(all)))
	n := 0
	for _, a := range all {
		r := rows[a.IssueKey]
		if r != nil && r.Type == string(domain.TypeSubtask) {
			continue
		}
		n++
		if len(out) == limit {
			continue
		}
		row := Row{Key: a.IssueKey, Score: a.Score.Total, Moscow: a.Score.Moscow, Quality: a.Check.Quality, Flags: a.Flags,
			Rank: n, PreviousRank: prev[a.IssueKey]}
		if r != nil {
			row.Summary, row.Type, row.Estimate = r.Summary, r.Type, r.Estimate
		}
		if row.Flags == nil {
			row.Flags = []string{}
		}
		out = append(out, row)
	}
	return out, n
}

// Rerank ranks the open analysed rows under st from their stored pillar
// values (without the analysis model: no re-reading of vision or
// objectives) and returns the first limit of them, how many are ranked and
// the summary of the ranking.
func Rerank(rows map[string]*store.ProjectRow, st domain.Strategy, limit int) ([]Row, int, score.Summary) {
	prev := previousRanks(rows)
	open := make([]*store.ProjectRow, 0, len(prev))
	for _, r := range rows {
		if r.Open && r.Analysed {
			open = append(open, r)
		}
	}
	items := make([]score.Result, len(open))
	pillars := make([]domain.PillarScore, 5*len(open))
	for i, r := range open {
		ps := pillars[5*i : 5*i+5 : 5*i+5]
		for k, n := range domain.Pillars {
			ps[k] = domain.PillarScore{Name: n, Value: r.Pillars[k]}
		}
		items[i] = score.Result{Key: r.Key, Score: domain.Score{Pillars: ps, UrgencyBonus: r.UrgencyBonus, Override: r.Override},
			Follows: r.Type == string(domain.TypeSubtask)}
		if r.Estimate != nil && r.PointsSource != "" {
			items[i].Points, items[i].PointsSource = *r.Estimate, r.PointsSource
		}
	}
	summary := score.Rerank(items, st)
	byKey := make(map[string]*store.ProjectRow, len(open))
	for _, r := range open {
		byKey[r.Key] = r
	}
	out := make([]Row, 0, min(limit, len(items)))
	n := 0
	for _, it := range items {
		if it.Follows {
			continue
		}
		n++
		if len(out) == limit {
			continue
		}
		r := byKey[it.Key]
		flags := r.Flags
		if flags == nil {
			flags = []string{}
		}
		out = append(out, Row{Key: r.Key, Summary: r.Summary, Type: r.Type, Score: it.Score.Total, Moscow: it.Score.Moscow,
			Quality: r.Quality, Estimate: r.Estimate, Suggested: r.PointsSource == "suggestion", Flags: flags, Rank: n, PreviousRank: prev[r.Key]})
	}
	return out, n, summary
}
