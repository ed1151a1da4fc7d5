package score

import (
	"math"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

func scoreWith(raw [5]float64) domain.Score {
	s := domain.Score{}
	for k, n := range domain.Pillars {
		s.Pillars = append(s.Pillars, domain.PillarScore{Name: n, Value: raw[k], Evidence: []domain.Evidence{{Signal: "base", Delta: raw[k]}}})
	}
	return s
}

func TestCalibrationSpreadsAndKeepsOrder(t *testing.T) {
	// Squeezed like the demo: values on a baseline with a few above.
	var raw [][5]float64
	for i := 0; i < 100; i++ {
		v := 4.0
		if i >= 90 {
			v = 5.5
		}
		raw = append(raw, [5]float64{3 + float64(i)/100, v, 5, 5, 2 + float64(i%7)})
	}
	c := NewCalibration(raw)
	tests := []struct {
		name  string
		raw   [5]float64
		k     int
		want  float64
		delta float64
	}{
		{"lowest of a spread pillar", raw[0], 0, 0.05, 0.01},
		{"highest of a spread pillar", raw[99], 0, 9.95, 0.01},
		{"the common baseline", raw[0], 1, 4.5, 0.01},
		{"the few above it", raw[95], 1, 9.5, 0.01},
		{"a pillar nobody moves", raw[0], 2, 5, 0},
		{"a new value above all", [5]float64{9, 9, 9, 9, 9}, 0, 10, 0},
	}
	for _, tc := range tests {
		s := scoreWith(tc.raw)
		c.Apply(&s, [5]float64{1, 1, 1, 1, 1})
		got := s.Pillars[tc.k].Value
		if math.Abs(got-tc.want) > tc.delta+1e-9 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		// Baseline plus deltas still add up to the value shown.
		sum := 0.0
		for _, e := range s.Pillars[tc.k].Evidence {
			sum += e.Delta
		}
		if math.Abs(sum-got) > 0.011 {
			t.Errorf("%s: evidence adds up to %v, value %v", tc.name, sum, got)
		}
		if back := RawPillars(s); back != tc.raw {
			t.Errorf("%s: raw %v, want %v back", tc.name, back, tc.raw)
		}
		if want := Base(s.Pillars, [5]float64{1, 1, 1, 1, 1}); s.Total != want {
			t.Errorf("%s: total %v, want %v from the calibrated pillars", tc.name, s.Total, want)
		}
	}
	// Applying twice gives the same; monotone within a pillar.
	a, b := scoreWith(raw[10]), scoreWith(raw[20])
	c.Apply(&a, [5]float64{1, 1, 1, 1, 1})
	once := a.Pillars[0].Value
	c.Apply(&a, [5]float64{1, 1, 1, 1, 1})
	c.Apply(&b, [5]float64{1, 1, 1, 1, 1})
	if a.Pillars[0].Value != once || !(b.Pillars[0].Value > a.Pillars[0].Value) {
		t.Errorf("twice %v vs %v; order %v < %v", a.Pillars[0].Value, once, a.Pillars[0].Value, b.Pillars[0].Value)
	}
	// Too small a backlog and nil calibration keep raw values.
	if NewCalibration(raw[:MinCalibrated-1]) != nil {
		t.Error("a calibration of 9 issues")
	}
	var none *Calibration
	none.Apply(&a, [5]float64{1, 1, 1, 1, 1})
	if RawPillars(a) != raw[10] || a.Pillars[0].Value != raw[10][0] {
		t.Errorf("nil calibration: %v", a.Pillars[0].Value)
	}
}
