package estimate

import (
	"math"
	"slices"
	"testing"
)

// TestExperimentEnsembleLOPO answers the median of several methods'
// answers, each method's setting chosen on the other five projects'
// validation splits.
func TestExperimentEnsembleLOPO(t *testing.T) {
	needExp(t, false)
	ps := loadExp(t, DefaultOptions(), false)
	fs := families()
	ratios := map[int][][]float64{} // by family, computed once
	pick := func(fi, skip int) method {
		ratio, ok := ratios[fi]
		if !ok {
			ratio = ratioMatrix(ps, fs[fi].gen())
			ratios[fi] = ratio
		}
		return fs[fi].gen()[bestWithout(ratio, skip)].m
	}
	for _, members := range [][]int{{0, 6, 7}, {0, 4, 5}, {0, 6, 4}, {0, 7, 5}} {
		var held []float64
		for j := range ps {
			var ms []method
			for _, fi := range members {
				ms = append(ms, pick(fi, j))
			}
			held = append(held, ratioOf(&ps[j], medianOf(ms)))
		}
		t.Logf("median of families %v: LOPO held-out val %.4f |%s", members, meanOf(held), fmtRatios(held))
		if meanOf(held) >= 1 {
			t.Errorf("families %v: held-out val ratio %.4f, not below the median", members, meanOf(held))
		}
	}
}

// medianOf answers the median of the methods' answers, and nothing when
// any of them has nothing.
func medianOf(ms []method) method {
	return func(p *expProject, r *expRow) (float64, bool) {
		var v []float64
		for _, m := range ms {
			x, ok := m(p, r)
			if !ok {
				return 0, false
			}
			v = append(v, x)
		}
		slices.Sort(v)
		return v[len(v)/2], true
	}
}

// testRatios are the test MAE ratios server/eval reports for
// DefaultOptions (TestEstimationTestSplit).
var testRatios = []float64{1.2847 / 1.3053, 0.7333 / 0.7524, 0.7239 / 0.8060, 1.1399 / 1.2202, 1.6133 / 1.7153, 1.1546 / 1.1649}

// TestExperimentEnsembleTest scores once on test the ensemble whose members
// were chosen on all six validation splits.
func TestExperimentEnsembleTest(t *testing.T) {
	needExp(t, true)
	ps := loadExp(t, DefaultOptions(), true)
	ms := []method{baseline(0.2, 2, 0.45), titleMix(1, 0.25, 0.45), drifted(200, 2, 0.45)}
	m := medianOf(ms)
	var tr []float64
	for j := range ps {
		tr = append(tr, ratioOf(&ps[j], m))
		if b := ratioOf(&ps[j], ms[0]); math.Abs(b-testRatios[j]) > 1e-3 {
			t.Errorf("%s: harness test ratio %.4f, server/eval %.4f", ps[j].name, b, testRatios[j])
		}
	}
	t.Logf("median of vote, title vote, quantile-mapped vote: test once %.4f |%s", meanOf(tr), fmtRatios(tr))
}
