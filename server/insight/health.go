package insight

import (
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// Health is the Health tab's summary of a project, also served to AI
// assistants (get_health).
type Health struct {
	// Open, ScoreHistogram and Moscow count the open issues the backlog
	// ranks: sub-tasks follow their parents there and are left out here
	// too (OpenSubtasks says how many), so the tabs agree.
	Open              int                `json:"open"`
	OpenSubtasks      int                `json:"openSubtasks"`
	ScoreHistogram    [10]int            `json:"scoreHistogram"`
	Moscow            map[string]int     `json:"moscow"`
	InvestPassRate    map[string]float64 `json:"investPassRate"`
	QualityOverTime   []QualityPeriod    `json:"qualityOverTime"`
	DuplicateClusters []DupCluster       `json:"duplicateClusters"`
	Stale             []StaleItem        `json:"stale"`
}

// QualityPeriod is the mean quality of the issues created in one month.
type QualityPeriod struct {
	Period     string  `json:"period"` // 2006-01
	AvgQuality float64 `json:"avgQuality"`
	N          int     `json:"n"`
}

// DupCluster is a group of open issues linked by near-duplicate pairs.
type DupCluster struct {
	// Keys are the cluster's first keys (at most healthClusterKeys);
	// Size counts them all.
	Keys       []string `json:"keys"`
	Size       int      `json:"size"`
	Similarity float64  `json:"similarity"` // of the closest pair
}

// StaleItem is an open issue flagged stale.
type StaleItem struct {
	Key             string `json:"key"`
	Summary         string `json:"summary"`
	DaysSinceUpdate int    `json:"daysSinceUpdate"`
}

// Limits of the health lists.
const (
	healthMonths      = 12
	healthMaxClusters = 25
	healthMaxStale    = 50
	healthClusterKeys = 20
)

// investLetters are the INVEST letters in order.
var investLetters = [6]string{"I", "N", "V", "E", "S", "T"}

// HealthOf aggregates the open, analysed rows for the charts; quality over
// time covers every analysed issue by the month it was created, the last
// healthMonths months that have any. Near-duplicate pairs of open issues
// are joined into clusters (union-find).
func HealthOf(rows map[string]*store.ProjectRow, now time.Time) Health {
	out := Health{Moscow: map[string]int{"Must": 0, "Should": 0, "Could": 0, "Won't": 0},
		InvestPassRate: map[string]float64{}, QualityOverTime: []QualityPeriod{}, DuplicateClusters: []DupCluster{}, Stale: []StaleItem{}}
	var pass, seen [6]int
	months := map[string]*QualityPeriod{}
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok || p == k {
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	best := map[[2]string]float64{}
	for _, k := range slices.Sorted(maps.Keys(rows)) {
		r := rows[k]
		if !r.Analysed {
			continue
		}
		// An issue without an applicable story check has no quality: it
		// is left out of the average rather than counted as 100.
		if !r.Created.IsZero() && r.Quality >= 0 {
			m := r.Created.UTC().Format("2006-01")
			q := months[m]
			if q == nil {
				q = &QualityPeriod{Period: m}
				months[m] = q
			}
			q.AvgQuality += float64(r.Quality)
			q.N++
		}
		if !r.Open {
			continue
		}
		if r.Type == string(domain.TypeSubtask) {
			out.OpenSubtasks++
		} else {
			out.Open++
			out.ScoreHistogram[min(9, max(0, int(r.Score)/10))]++
			if _, ok := out.Moscow[string(r.Moscow)]; ok {
				out.Moscow[string(r.Moscow)]++
			}
		}
		for i, l := range investLetters {
			if st, ok := r.Letters[l]; ok && st != domain.LetterNotApplicable {
				seen[i]++
				if st == "pass" {
					pass[i]++
				}
			}
		}
		for _, f := range r.Flags {
			if f == domain.FlagStale {
				out.Stale = append(out.Stale, StaleItem{Key: r.Key, Summary: r.Summary, DaysSinceUpdate: daysBetween(r.Updated, now)})
			}
		}
		for _, d := range r.Near {
			o, ok := rows[d.Key]
			if !ok || !o.Open || !o.Analysed || d.Key == r.Key {
				continue
			}
			a, b := find(r.Key), find(d.Key)
			if a != b {
				parent[a] = b
			}
			pair := [2]string{min(r.Key, d.Key), max(r.Key, d.Key)}
			best[pair] = max(best[pair], d.Similarity)
		}
	}
	for i, l := range investLetters {
		if seen[i] > 0 {
			out.InvestPassRate[l] = math.Round(1000*float64(pass[i])/float64(seen[i])) / 1000
		}
	}
	periods := slices.Sorted(maps.Keys(months))
	if len(periods) > healthMonths {
		periods = periods[len(periods)-healthMonths:]
	}
	for _, m := range periods {
		q := months[m]
		q.AvgQuality = math.Round(10*q.AvgQuality/float64(q.N)) / 10
		out.QualityOverTime = append(out.QualityOverTime, *q)
	}
	clusters := map[string]*DupCluster{}
	members := map[string]map[string]bool{}
	for pair, sim := range best {
		root := find(pair[0])
		cl := clusters[root]
		if cl == nil {
			cl = &DupCluster{}
			clusters[root], members[root] = cl, map[string]bool{}
		}
		cl.Similarity = max(cl.Similarity, math.Round(sim*100)/100)
		members[root][pair[0]], members[root][pair[1]] = true, true
	}
	for root, cl := range clusters {
		cl.Keys = slices.Sorted(maps.Keys(members[root]))
		cl.Size = len(cl.Keys)
		if len(cl.Keys) > healthClusterKeys {
			cl.Keys = cl.Keys[:healthClusterKeys]
		}
		out.DuplicateClusters = append(out.DuplicateClusters, *cl)
	}
	sort.Slice(out.DuplicateClusters, func(i, j int) bool {
		a, b := out.DuplicateClusters[i], out.DuplicateClusters[j]
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		if a.Similarity != b.Similarity {
			return a.Similarity > b.Similarity
		}
		return a.Keys[0] < b.Keys[0]
	})
	if len(out.DuplicateClusters) > healthMaxClusters {
		out.DuplicateClusters = out.DuplicateClusters[:healthMaxClusters]
	}
	sort.Slice(out.Stale, func(i, j int) bool {
		if out.Stale[i].DaysSinceUpdate != out.Stale[j].DaysSinceUpdate {
			return out.Stale[i].DaysSinceUpdate > out.Stale[j].DaysSinceUpdate
		}
		return out.Stale[i].Key < out.Stale[j].Key
	})
	if len(out.Stale) > healthMaxStale {
		out.Stale = out.Stale[:healthMaxStale]
	}
	return out
}

// daysBetween counts whole days from a to b.
func daysBetween(a, b time.Time) int {
	if a.IsZero() || b.Before(a) {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}
