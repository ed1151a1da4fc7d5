package score

import (
	"math"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// baselines are the pillars' baselines without a strategy text, in
// domain.Pillars order.
var baselines = [5]float64{BaselineUserValue, BaselineCommercial, BaselineStrategicNoText, BaselineCompetitive, BaselineTechnical}

// scoreWith builds a score as the scorer does: each pillar is its baseline
// plus one signal of delta (none when delta is 0), clamped to 0-10.
func scoreWith(deltas [5]float64) domain.Score {
	s := domain.Score{}
	for k, n := range domain.Pillars {
		ev := []domain.Evidence{}
		if deltas[k] != 0 {
			ev = append(ev, domain.Evidence{Signal: "signal", Delta: deltas[k]})
		}
		s.Pillars = append(s.Pillars, domain.PillarScore{Name: n, Value: round2(clamp(baselines[k]+deltas[k], 0, 10)), Evidence: ev})
	}
	return s
}

var ones = [5]float64{1, 1, 1, 1, 1}

// demoLike is a backlog squeezed like the demo: User Value spread on both
// sides of its baseline, Commercial Impact on its baseline but for a few
// above, Strategic Horizon moved by nobody, Competitive Positioning mostly
// above, Technical Reality mostly below.
func demoLike() [][5]float64 {
	var d [][5]float64
	for i := 0; i < 100; i++ {
		c := 0.0
		if i >= 90 {
			c = 1.5
		}
		comp := 1.5
		if i < 10 {
			comp = 0
		}
		d = append(d, [5]float64{float64(i-40) / 20, c, 0, comp, -0.5 - float64(i%7)/2})
	}
	return d
}

func calibrationOf(deltas [][5]float64) *Calibration {
	samples := make([]Sample, len(deltas))
	for i, d := range deltas {
		samples[i] = SampleOf(scoreWith(d))
	}
	return NewCalibration(samples)
}

func TestCalibrationAnchorsAtNeutral(t *testing.T) {
	c := calibrationOf(demoLike())
	tests := []struct {
		name   string
		deltas [5]float64
		k      int
		want   float64
		tol    float64
		detail string
	}{
		{"no evidence on a spread pillar", [5]float64{}, 0, 5, 0, "no evidence either way"},
		{"no evidence where most are above", [5]float64{}, 3, 5, 0, "no evidence either way"},
		{"no evidence where most are below", [5]float64{}, 4, 5, 0, ""}, // 5 already: no step
		{"a pillar nobody moves", [5]float64{}, 2, 5, 0, ""},
		{"the common baseline", [5]float64{}, 1, 5, 0, "no evidence either way"},
		{"the few above it", [5]float64{0, 1.5}, 1, 7.5, 0, "percentile 50 of the 10 open issues above"},
		{"lowest below", [5]float64{-2}, 0, 5 * 0.5 / 40, 0.01, "percentile 1 of the 40 open issues below"},
		{"highest above", [5]float64{2.95}, 0, 5 + 5*58.5/59, 0.01, "above this pillar's baseline"},
		{"just below the baseline", [5]float64{0, 0, 0, 0, -0.5}, 4, 5 * (85 + 15.0/2) / 100, 0.01, "percentile 93 of the 100 open issues below"},
		{"clamped above stays above all", [5]float64{20}, 0, 10, 0, ""},             // 10 already
		{"clamped below stays below all", [5]float64{0, 0, 0, 0, -20}, 4, 0, 0, ""}, // 0 already
		{"signals that cancel out are neutral", [5]float64{}, 0, 5, 0, ""},
	}
	for _, tc := range tests {
		s := scoreWith(tc.deltas)
		raw := RawPillars(s)
		c.Apply(&s, ones)
		p := s.Pillars[tc.k]
		if math.Abs(p.Value-tc.want) > tc.tol+1e-9 {
			t.Errorf("%s: %v, want %v", tc.name, p.Value, tc.want)
		}
		// Baseline plus deltas still add up to the value shown.
		sum := baselines[tc.k]
		detail := ""
		for _, e := range p.Evidence {
			sum += e.Delta
			if e.Signal == calibrationSignal {
				detail = e.Detail
			}
		}
		if math.Abs(sum-p.Value) > 0.011 && tc.deltas[tc.k] > -10 && tc.deltas[tc.k] < 10 {
			t.Errorf("%s: evidence adds up to %v, value %v", tc.name, sum, p.Value)
		}
		if !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: evidence %q, want it to say %q", tc.name, detail, tc.detail)
		}
		if back := RawPillars(s); back != raw {
			t.Errorf("%s: raw %v, want %v back", tc.name, back, raw)
		}
		if want := Base(s.Pillars, ones); s.Total != want {
			t.Errorf("%s: total %v, want %v from the calibrated pillars", tc.name, s.Total, want)
		}
	}

	// Evidence that cancels out is at the baseline: neutral, and so
	// explained.
	s := scoreWith([5]float64{})
	s.Pillars[0].Evidence = []domain.Evidence{{Signal: "votes", Delta: 1}, {Signal: "low", Delta: -1}}
	c.Apply(&s, ones)
	if s.Pillars[0].Value != 5 {
		t.Errorf("cancelling signals: %v, want 5", s.Pillars[0].Value)
	}

	// An issue with no evidence anywhere sits at 50 in any backlog.
	none := scoreWith([5]float64{})
	c.Apply(&none, ones)
	if none.Total != 50 {
		t.Errorf("no evidence at all: total %v, want 50", none.Total)
	}
}

func TestCalibrationMonotoneAndTies(t *testing.T) {
	d := demoLike()
	c := calibrationOf(d)
	for k := range domain.Pillars {
		prevRaw, prevVal := math.Inf(-1), math.Inf(-1)
		// Every delta on a fine grid, from far below to far above.
		for x := -6.0; x <= 6.0; x += 0.25 {
			var deltas [5]float64
			deltas[k] = x
			s := scoreWith(deltas)
			raw := RawPillars(s)[k]
			c.Apply(&s, ones)
			v := s.Pillars[k].Value
			if raw > prevRaw && v < prevVal || raw == prevRaw && v != prevVal {
				t.Errorf("pillar %d: raw %v → %v after raw %v → %v", k, raw, v, prevRaw, prevVal)
			}
			// A value outside the backlog's may reach 5 (percentile 0 above
			// or 100 below), never cross it.
			if (x < 0 && v > 5) || (x > 0 && v < 5) || (x == 0 && v != 5) {
				t.Errorf("pillar %d: delta %v → %v, on the wrong side of 5", k, x, v)
			}
			prevRaw, prevVal = raw, v
		}
	}
	// The backlog's own values above (below) their baseline land strictly
	// above (below) 5.
	for _, deltas := range d {
		s := scoreWith(deltas)
		c.Apply(&s, ones)
		for k, x := range deltas {
			if v := s.Pillars[k].Value; (x < 0 && !(v < 5)) || (x > 0 && !(v > 5)) || (x == 0 && v != 5) {
				t.Errorf("pillar %d: backlog delta %v → %v, on the wrong side of 5", k, x, v)
			}
		}
	}
	// Issues with the same raw value share one calibrated value.
	a, b := scoreWith(d[10]), scoreWith(d[17])
	c.Apply(&a, ones)
	c.Apply(&b, ones)
	if RawPillars(a)[4] != RawPillars(b)[4] || a.Pillars[4].Value != b.Pillars[4].Value {
		t.Errorf("ties: %v vs %v", a.Pillars[4].Value, b.Pillars[4].Value)
	}
	// Applying twice gives the same.
	once := a.Pillars[0].Value
	c.Apply(&a, ones)
	if a.Pillars[0].Value != once {
		t.Errorf("twice %v vs %v", a.Pillars[0].Value, once)
	}
	// Too small a backlog and nil calibration keep raw values.
	if calibrationOf(d[:MinCalibrated-1]) != nil {
		t.Error("a calibration of 9 issues")
	}
	var nilc *Calibration
	nilc.Apply(&a, ones)
	if RawPillars(a) != RawPillars(scoreWith(d[10])) || a.Pillars[0].Value != RawPillars(a)[0] {
		t.Errorf("nil calibration: %v", a.Pillars[0].Value)
	}
}

// TestSampleSides: the side comes from the issue's own baseline, whichever
// applied (Strategic Horizon's is 2 with a strategy text and 5 without).
func TestSampleSides(t *testing.T) {
	s := domain.Score{Pillars: []domain.PillarScore{
		{Name: domain.PillarStrategic, Value: BaselineStrategic + 3, Evidence: []domain.Evidence{{Signal: "strategy_similarity", Delta: 3}}},
		{Name: domain.PillarTechnical, Value: BaselineTechnical - 0.5, Evidence: []domain.Evidence{{Signal: "estimate", Delta: -0.5}}},
		{Name: domain.PillarUserValue, Value: BaselineUserValue, Evidence: []domain.Evidence{}},
	}}
	got := SampleOf(s)
	if got.Side[2] != Above || got.Side[4] != Below || got.Side[0] != AtBaseline {
		t.Errorf("sides %v", got.Side)
	}
	if got.Raw[2] != 5 || got.Raw[4] != 4.5 || got.Raw[0] != 3 {
		t.Errorf("raw %v", got.Raw)
	}
}
