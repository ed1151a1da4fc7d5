package eval

import (
	"fmt"
	"testing"

	"github.com/backlogai/backlogai/server/analysis/estimate"
)

// TestEstimationLeaveOneProjectOut checks how the estimator's settings were
// chosen: for each project, the setting with the best mean validation
// ratio (MAE / median MAE) on the other five is taken and scored on the
// held-out project's validation split. Test splits are never read. Run
// with -v for the table (docs/evaluation.md quotes it).
func TestEstimationLeaveOneProjectOut(t *testing.T) {
	if testing.Short() {
		t.Skip("32 settings × 6 projects; slow")
	}
	requireEstimationData(t)
	type setting struct {
		name string
		o    estimate.Options
	}
	var grid []setting
	for _, k := range []int{50, 100} {
		for _, sp := range []float64{1, 2} {
			for _, pr := range []float64{1, 2} {
				for _, q := range []float64{0.45, 0.5} {
					for _, ad := range []bool{false, true} {
						o := estimate.DefaultOptions()
						o.K, o.SimPower, o.Prior, o.Quantile, o.Adapt = k, sp, pr, q, ad
						grid = append(grid, setting{fmt.Sprintf("K=%d pow=%g prior=%g q=%g adapt=%v", k, sp, pr, q, ad), o})
					}
				}
			}
		}
	}
	// ratio[s][p]: validation MAE / median MAE of setting s on project p.
	var projects []string
	ratio := make([]map[string]float64, len(grid))
	def := -1
	for i, s := range grid {
		runs, err := EstimationRuns(estimationData, s.o, PhaseValidation)
		if err != nil {
			t.Fatal(err)
		}
		ratio[i] = map[string]float64{}
		for _, r := range runs {
			ratio[i][r.Project] = r.MAE / r.MedianBaselineMAE
		}
		if i == 0 {
			for _, r := range runs {
				projects = append(projects, r.Project)
			}
		}
		d := estimate.DefaultOptions()
		if s.o.K == d.K && s.o.SimPower == d.SimPower && s.o.Prior == d.Prior && s.o.Quantile == d.Quantile && !s.o.Adapt {
			def = i
		}
	}
	if def < 0 {
		t.Fatal("the default setting is not in the grid")
	}
	var heldOut, defMean float64
	for _, p := range projects {
		best, bestMean := -1, 0.0
		for i := range grid {
			var m float64
			for _, q := range projects {
				if q != p {
					m += ratio[i][q] / float64(len(projects)-1)
				}
			}
			if best < 0 || m < bestMean-1e-9 {
				best, bestMean = i, m
			}
		}
		t.Logf("held out %-18s chosen on the others: %-40s held-out val ratio %.3f (default %.3f)", p, grid[best].name, ratio[best][p], ratio[def][p])
		heldOut += ratio[best][p] / float64(len(projects))
		defMean += ratio[def][p] / float64(len(projects))
	}
	t.Logf("mean held-out val ratio %.3f; default setting %.3f", heldOut, defMean)
	// The selection must generalise: chosen without a project, the setting
	// still beats that project's median on average.
	if heldOut >= 0.97 {
		t.Errorf("mean held-out val ratio %.3f, want < 0.97", heldOut)
	}
}
