package estimate

import "testing"

func TestScaleIndex(t *testing.T) {
	s := newScale([]float64{8, 1, 3, 2, 5, 3, 13, 1})
	tests := []struct {
		v, want float64
	}{
		{-4, 1}, {0, 1}, {1, 1}, {1.4, 1}, {1.5, 1}, {1.6, 2}, {4, 3}, {4.1, 5},
		{6.5, 5}, {6.6, 8}, {10.5, 8}, {11, 13}, {100, 13},
	}
	for _, tt := range tests {
		if got := s[s.index(tt.v)]; got != tt.want {
			t.Errorf("s[index(%v)] = %v, want %v (nearest)", tt.v, got, tt.want)
		}
	}
	if got := len(s); got != 6 {
		t.Errorf("scale %v has %d values, want 6 distinct", s, got)
	}
}

func TestQuantileIndex(t *testing.T) {
	tests := []struct {
		name string
		hist []float64
		tau  float64
		want int
	}{
		{"single", []float64{1}, 0.5, 0},
		{"empty weight", []float64{0, 0, 0}, 0.5, 0},
		{"peak", []float64{1, 5, 1}, 0.5, 1},
		{"skewed", []float64{3, 0, 0, 2.9}, 0.5, 0},
		{"exact half takes lower", []float64{1, 1}, 0.5, 0},
		{"middle", []float64{0.1, 0.2, 0.3, 0.3, 0.1}, 0.5, 2},
		{"heavy tail", []float64{1, 1, 1, 4}, 0.5, 3},
		{"below median leans low", []float64{0.46, 0.54}, 0.45, 0},
		{"below median but past it", []float64{0.44, 0.56}, 0.45, 1},
		{"exact tau takes lower", []float64{0.45, 0.55}, 0.45, 0},
		{"high quantile", []float64{1, 1, 1, 1}, 0.9, 3},
	}
	for _, tt := range tests {
		if got := quantileIndex(tt.hist, tt.tau); got != tt.want {
			t.Errorf("%s: quantileIndex(%v, %v) = %d, want %d", tt.name, tt.hist, tt.tau, got, tt.want)
		}
	}
}

func TestNear(t *testing.T) {
	tests := []struct {
		hist []float64
		i    int
		want float64
	}{
		{[]float64{1, 1, 1, 1}, 0, 0.5},
		{[]float64{1, 1, 1, 1}, 1, 0.75},
		{[]float64{0, 0}, 0, 0},
		{[]float64{2}, 0, 1},
	}
	for _, tt := range tests {
		if got := near(tt.hist, tt.i); got != tt.want {
			t.Errorf("near(%v, %d) = %v, want %v", tt.hist, tt.i, got, tt.want)
		}
	}
}

func TestMonotone(t *testing.T) {
	tests := []struct {
		r, w, want [confBins]float64
	}{
		{[confBins]float64{0.1, 0.2, 0.3, 0.4, 0.5}, [confBins]float64{1, 1, 1, 1, 1}, [confBins]float64{0.1, 0.2, 0.3, 0.4, 0.5}},
		// One violator pools with its neighbour, weighted.
		{[confBins]float64{0.1, 0.5, 0.2, 0.6, 0.7}, [confBins]float64{1, 1, 3, 1, 1}, [confBins]float64{0.1, 0.275, 0.275, 0.6, 0.7}},
		// Decreasing throughout: one pooled mean.
		{[confBins]float64{0.5, 0.4, 0.3, 0.2, 0.1}, [confBins]float64{1, 1, 1, 1, 1}, [confBins]float64{0.3, 0.3, 0.3, 0.3, 0.3}},
	}
	for _, tt := range tests {
		got := monotone(tt.r, tt.w)
		for i := range got {
			if d := got[i] - tt.want[i]; d > 1e-12 || d < -1e-12 {
				t.Errorf("monotone(%v, %v) = %v, want %v", tt.r, tt.w, got, tt.want)
				break
			}
		}
	}
}

func TestBin(t *testing.T) {
	for _, tt := range []struct {
		raw  float64
		want int
	}{{-0.1, 0}, {0, 0}, {0.29, 0}, {0.3, 1}, {0.45, 2}, {0.5, 3}, {0.59, 3}, {0.6, 4}, {1, 4}, {1.5, 4}} {
		if got := bin(tt.raw); got != tt.want {
			t.Errorf("bin(%v) = %d, want %d", tt.raw, got, tt.want)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{1, 2, 3, 5}, 2.5},
	}
	for _, tt := range tests {
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
