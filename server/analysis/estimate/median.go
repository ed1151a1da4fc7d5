package estimate

import (
	"math"
	"slices"
)

// Median is the usual median of v: the middle value, or the mean of the
// two middle values (0 for none). Baselines and charts use it; estimates
// use the weighted quantile below, on the team's scale.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// scale is the sorted set of distinct point values a team has used.
type scale []float64

func newScale(points []float64) scale {
	s := slices.Clone(points)
	slices.Sort(s)
	return scale(slices.Compact(s))
}

// index returns the position of v in the scale, or of the nearest value
// (the lower one on a tie).
func (s scale) index(v float64) int {
	i, found := slices.BinarySearch(s, v)
	if found || i == 0 {
		return i
	}
	if i == len(s) {
		return len(s) - 1
	}
	if v-s[i-1] <= s[i]-v {
		return i - 1
	}
	return i
}

// quantileIndex returns the weighted tau-quantile of a histogram over the
// scale: the lowest index whose cumulative weight reaches tau of the total.
// At tau 0.5 it is the weighted median, which minimises the expected
// absolute error, the metric estimates are judged by.
func quantileIndex(hist []float64, tau float64) int {
	var total float64
	for _, w := range hist {
		total += w
	}
	if total <= 0 {
		return 0
	}
	target := tau * total
	var cum float64
	for i, w := range hist {
		cum += w
		// A small tolerance keeps float rounding from moving an exact
		// split to the upper value.
		if cum >= target-1e-12*total {
			return i
		}
	}
	return len(hist) - 1
}

// finite reports whether v is a usable point value.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }
