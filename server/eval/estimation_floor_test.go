package eval

import (
	"testing"

	"github.com/backlogai/backlogai/server/analysis/estimate"
)

// floorGrid are the evidence floors (best neighbour's cosine similarity)
// the leave-one-project-out check chooses among.
var floorGrid = []float64{0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40}

// floorStats is what answering only rows whose best neighbour is more
// similar than a floor gives on one project: the MAE ratio against the
// training median (rows below the floor answered with the median, the
// number a team falls back on), the answered share and the interval's
// coverage of the answered rows.
type floorStats struct{ ratio, answered, coverage float64 }

func statsAtFloor(rows []EstimationRow, floor float64) floorStats {
	var sum, base, n, cov float64
	for _, r := range rows {
		base += r.MedianErr
		if r.Answered && r.Top > floor {
			sum += r.Err
			n++
			if r.Covered {
				cov++
			}
		} else {
			sum += r.MedianErr
		}
	}
	s := floorStats{ratio: 1}
	if base > 0 {
		s.ratio = sum / base
	}
	if len(rows) > 0 {
		s.answered = n / float64(len(rows))
	}
	if n > 0 {
		s.coverage = cov / n
	}
	return s
}

// floorTolerance: a higher floor whose mean MAE ratio is within this of the
// best one is preferred. A suggestion resting on a barely similar past
// issue is the team's median in disguise; saying "not enough signal"
// there is the honest answer when it costs (almost) no accuracy.
const floorTolerance = 0.005

// chooseFloor returns the floor of floorGrid with the lowest mean MAE ratio
// over projects, or a higher one within floorTolerance of it.
func chooseFloor(ratio map[float64]map[string]float64, projects []string) float64 {
	mean := func(f float64) float64 {
		var m float64
		for _, p := range projects {
			m += ratio[f][p] / float64(len(projects))
		}
		return m
	}
	best := floorGrid[0]
	for _, f := range floorGrid {
		if mean(f) < mean(best) {
			best = f
		}
	}
	chosen := best
	for _, f := range floorGrid {
		if f > chosen && mean(f) <= mean(best)+floorTolerance {
			chosen = f
		}
	}
	return chosen
}

// TestEstimationFloorLeaveOneProjectOut chooses the evidence floor
// (Options.MinEvidence): for each project, the floor chosen on the other
// five projects' validation splits is scored on its own validation split.
// Test splits are never read. Run with -v for the table
// (docs/evaluation.md quotes it).
func TestEstimationFloorLeaveOneProjectOut(t *testing.T) {
	requireEstimationData(t)
	o := estimate.DefaultOptions()
	o.MinEvidence = 1e-9 // answer every row with any neighbour; floors filter below
	runs, err := EstimationRuns(estimationData, o, PhaseValidation)
	if err != nil {
		t.Fatal(err)
	}
	var projects []string
	ratio := map[float64]map[string]float64{}
	stats := map[float64]map[string]floorStats{}
	for _, f := range floorGrid {
		ratio[f], stats[f] = map[string]float64{}, map[string]floorStats{}
	}
	for _, r := range runs {
		projects = append(projects, r.Project)
		line := ""
		for _, f := range floorGrid {
			s := statsAtFloor(r.Rows, f)
			ratio[f][r.Project], stats[f][r.Project] = s.ratio, s
			line += " " + fmtFloor(f, s)
		}
		t.Logf("%-18s%s", r.Project, line)
	}
	def := estimate.DefaultOptions().MinEvidence
	const previous = 0.10 // the floor before this check: the baseline
	var heldOut, heldDef, ans, ansDef float64
	for _, p := range projects {
		others := make([]string, 0, len(projects)-1)
		for _, q := range projects {
			if q != p {
				others = append(others, q)
			}
		}
		f := chooseFloor(ratio, others)
		s, d := stats[f][p], stats[previous][p]
		t.Logf("held out %-18s floor chosen on the others %.2f: val ratio %.3f answered %.2f coverage %.3f (floor %.2f: %.3f, %.2f, %.3f)",
			p, f, s.ratio, s.answered, s.coverage, previous, d.ratio, d.answered, d.coverage)
		n := float64(len(projects))
		heldOut += s.ratio / n
		heldDef += d.ratio / n
		ans += s.answered / n
		ansDef += d.answered / n
	}
	all := chooseFloor(ratio, projects)
	t.Logf("mean held-out val ratio %.3f, answered %.2f; floor %.2f: %.3f, answered %.2f; chosen on all six: %.2f", heldOut, ans, previous, heldDef, ansDef, all)
	if all != def {
		t.Errorf("DefaultOptions().MinEvidence is %.2f, the floor chosen on all six projects %.2f", def, all)
	}
	// The floor must not cost accuracy held out: answering fewer rows is
	// worth it only while the model still beats the median.
	if heldOut >= 0.97 {
		t.Errorf("mean held-out val ratio %.3f, want < 0.97", heldOut)
	}
}

func fmtFloor(f float64, s floorStats) string {
	return "|" + ftoa(f) + ":" + ftoa(s.ratio) + "/" + ftoa(s.answered)
}

func ftoa(v float64) string {
	b := []byte{}
	x := int(v*1000 + 0.5)
	b = append(b, byte('0'+x/1000), '.', byte('0'+x/100%10), byte('0'+x/10%10), byte('0'+x%10))
	return string(b)
}

// TestEstimationConfidenceBySimilarity prints, per bucket of the best
// neighbour's similarity, how often answered validation rows landed within
// one scale step and what confidence they were given: the check that the
// confidence follows the evidence of each issue.
func TestEstimationConfidenceBySimilarity(t *testing.T) {
	requireEstimationData(t)
	runs, err := EstimationRuns(estimationData, estimate.DefaultOptions(), PhaseValidation)
	if err != nil {
		t.Fatal(err)
	}
	edges := []float64{0.2, 0.3, 0.4, 0.5, 1.01}
	var n, within [4]float64
	var conf [4]float64
	for _, r := range runs {
		for _, row := range r.Rows {
			if !row.Answered {
				continue
			}
			for b := range 4 {
				if row.Top < edges[b+1] {
					n[b]++
					conf[b] += row.Confidence
					if row.Within {
						within[b]++
					}
					break
				}
			}
		}
	}
	for b := range 4 {
		if n[b] == 0 {
			continue
		}
		t.Logf("best neighbour %.1f-%.1f: %4.0f rows, within one step %.3f, mean confidence %.3f", edges[b], min(1, edges[b+1]), n[b], within[b]/n[b], conf[b]/n[b])
	}
}
