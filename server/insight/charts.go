package insight

import (
	"cmp"
	"math"
	"slices"

	"github.com/backlogai/backlogai/server/analysis/estimate"
	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// ValueEffort is the value vs effort chart: ranked issues with an effort,
// the medians that split the quadrants, and how many issues have no effort
// to place.
type ValueEffort struct {
	Points       []ChartPoint `json:"points"` // by value, highest first
	MedianValue  float64      `json:"medianValue"`
	MedianEffort float64      `json:"medianEffort"`
	Unplaced     int          `json:"unplaced"`
}

// ChartPoint is one issue on the value vs effort chart.
type ChartPoint struct {
	Key     string  `json:"key"`
	Summary string  `json:"summary"`
	Value   int     `json:"value"`  // the score (floored, as shown)
	Effort  float64 `json:"effort"` // story points, else the suggestion
	// Suggested marks an effort that is the app's suggestion.
	Suggested bool   `json:"suggested,omitempty"`
	Moscow    string `json:"moscow"`
}

// ValueEffortOf places the ranked rows on the value vs effort chart.
func ValueEffortOf(rows map[string]*store.ProjectRow) ValueEffort {
	out := ValueEffort{Points: []ChartPoint{}}
	for _, r := range rows {
		if !Ranked(r) {
			continue
		}
		if r.Estimate == nil || !(*r.Estimate > 0) {
			out.Unplaced++
			continue
		}
		out.Points = append(out.Points, ChartPoint{Key: r.Key, Summary: r.Summary, Value: int(math.Floor(r.Score)), Effort: *r.Estimate,
			Suggested: r.PointsSource == "suggestion", Moscow: string(r.Moscow)})
	}
	slices.SortFunc(out.Points, func(a, b ChartPoint) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		return score.CompareKeys(a.Key, b.Key)
	})
	values := make([]float64, len(out.Points))
	efforts := make([]float64, len(out.Points))
	for i, p := range out.Points {
		values[i], efforts[i] = float64(p.Value), p.Effort
	}
	out.MedianValue, out.MedianEffort = estimate.Median(values), estimate.Median(efforts)
	return out
}

// RollUp is what an epic's row says about its open, analysed children.
type RollUp struct {
	Open      int
	MeanScore int // floored
	Must      int
}

// RollUps sums up the open, analysed children of each of the epics.
func RollUps(rows map[string]*store.ProjectRow, epics []string) map[string]RollUp {
	out := make(map[string]RollUp, len(epics))
	for _, k := range epics {
		out[k] = RollUp{}
	}
	sums := map[string]float64{}
	for _, r := range rows {
		e, ok := out[r.EpicKey]
		if !ok || !r.Open || !r.Analysed {
			continue
		}
		e.Open++
		sums[r.EpicKey] += r.Score
		if r.Moscow == domain.MoscowMust {
			e.Must++
		}
		out[r.EpicKey] = e
	}
	for k, e := range out {
		if e.Open > 0 {
			e.MeanScore = int(math.Floor(sums[k] / float64(e.Open)))
			out[k] = e
		}
	}
	return out
}
