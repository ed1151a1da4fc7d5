package eval

import (
	"fmt"
	"os"
	"testing"

	"github.com/backlogai/backlogai/server/analysis/estimate"
)

func TestZZSweep(t *testing.T) {
	if os.Getenv("SWEEP") == "" {
		t.Skip()
	}
	dir := "/work/shared/data"
	type cfg struct {
		name string
		o    estimate.Options
	}
	var cs []cfg
	for _, ad := range []bool{false, true} {
		for _, cs2 := range []int{300, 600} {
			o := estimate.DefaultOptions()
			o.Adapt, o.CalibrationSize = ad, cs2
			cs = append(cs, cfg{fmt.Sprintf("adapt %v cal %d", ad, cs2), o})
		}
	}
	for _, c := range cs {
		runs, err := EstimationRuns(dir, c.o, PhaseValidation)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(c.name)
		for _, r := range runs {
			fmt.Printf("  %-20s ratio %.3f ans %.2f ansratio %.3f cov %.2f w1 %.2f conf %.2f\n", r.Project, r.MAE/r.MedianBaselineMAE, r.Answered, r.AnsweredMAE/r.AnsweredMedianMAE, r.Coverage, r.WithinOneStep, r.MeanConfidence)
		}
	}
}
