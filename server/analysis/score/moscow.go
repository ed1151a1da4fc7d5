package score

import (
	"cmp"
	"math"
	"slices"

	"github.com/backlogai/backlogai/server/domain"
)

// Capacity shares of the DSDM rule of thumb: Must fills up to 60 % of the
// capacity, Must+Should up to 80 %, Must+Should+Could up to 100 %.
var capacityShares = [3]float64{0.6, 0.8, 1.0}

// classes in order; Summary arrays use this order.
var classes = [4]domain.Moscow{domain.MoscowMust, domain.MoscowShould, domain.MoscowCould, domain.MoscowWont}

func classIndex(m domain.Moscow) int {
	for i, c := range classes {
		if c == m {
			return i
		}
	}
	return -1
}

// Thresholds returns the Must, Should and Could lower bounds of s, the
// defaults (80, 60, 40) when none is set.
func Thresholds(s domain.Strategy) [3]float64 {
	t := s.Thresholds
	if t == [3]float64{} {
		return [3]float64{80, 60, 40}
	}
	return t
}

// Classify is the threshold class of a total.
func Classify(total float64, s domain.Strategy) domain.Moscow {
	t := Thresholds(s)
	switch {
	case total >= t[0]:
		return domain.MoscowMust
	case total >= t[1]:
		return domain.MoscowShould
	case total >= t[2]:
		return domain.MoscowCould
	}
	return domain.MoscowWont
}

// ApplyOverride makes a person's override the effective class; Computed is
// kept. A nil override, or one with an unknown class, clears any previous
// override instead.
func ApplyOverride(s *domain.Score, o *domain.Override) {
	if o == nil || classIndex(o.Moscow) < 0 {
		s.Override = nil
		s.Moscow = s.Computed
		return
	}
	oc := *o
	s.Override = &oc
	s.Moscow = o.Moscow
}

// Summary describes how Rank classified a backlog. Arrays are indexed Must,
// Should, Could, Won't.
type Summary struct {
	// Mode is the mode actually used: capacity mode falls back to thresholds
	// when the capacity is not positive or no item has any points.
	Mode     domain.MoscowMode `json:"mode"`
	Fallback string            `json:"fallback,omitempty"` // why capacity mode fell back
	Capacity float64           `json:"capacity,omitempty"`
	// Limits are the cumulative point limits of Must, Must+Should and
	// Must+Should+Could in capacity mode.
	Limits [3]float64 `json:"limits"`
	// Points and Count per effective class (overrides included; overrides
	// may push a class past its share, which the UI should point out).
	Points [4]float64 `json:"points"`
	Count  [4]int     `json:"count"`
	// Unestimated items had no points of their own or suggested and were
	// counted at MedianPoints, the median of the items that had some.
	Unestimated  int     `json:"unestimated"`
	MedianPoints float64 `json:"medianPoints,omitempty"`
}

// Rank sorts items by total (highest first, then by key) and assigns every
// item its computed and effective class.
//
// Thresholds mode classifies each total. Capacity mode (Strategy.Mode
// "capacity", Strategy.Capacity story points) follows the DSDM rule: first
// the people's overrides take their points out of their class's budget,
// then the other items are walked in rank order and each goes to the
// highest class whose cumulative limit (60/80/100 % of capacity) still has
// room for it (first fit: a large item that misses Must may fall to Should
// while a smaller one below it still fits Must); items that fit nowhere
// are Won't. The computed class of an overridden item is where it would
// have gone in that walk, without taking any room. Items without points
// count as the median of those that have some.
//
// Pass open issues only: done work takes no capacity.
func Rank(items []Result, s domain.Strategy) Summary {
	slices.SortStableFunc(items, func(a, b Result) int {
		if c := cmp.Compare(b.Score.Total, a.Score.Total); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	sum := Summary{Mode: domain.MoscowThresholds}
	if s.Mode == domain.MoscowCapacity {
		switch median, ok := medianPoints(items); {
		case !(s.Capacity > 0) || math.IsInf(s.Capacity, 0):
			sum.Fallback = "capacity is not set"
		case !ok:
			sum.Fallback = "no issue has story points or a suggestion"
		default:
			sum.Mode, sum.Capacity, sum.MedianPoints = domain.MoscowCapacity, s.Capacity, median
			rankCapacity(items, &sum)
		}
	}
	if sum.Mode == domain.MoscowThresholds {
		for i := range items {
			sc := &items[i].Score
			sc.Computed = Classify(sc.Total, s)
			ApplyOverride(sc, sc.Override)
		}
	}
	for _, it := range items {
		k := classIndex(it.Score.Moscow)
		if k < 0 {
			continue
		}
		sum.Count[k]++
		sum.Points[k] += it.Points
	}
	return sum
}

func rankCapacity(items []Result, sum *Summary) {
	for k, share := range capacityShares {
		sum.Limits[k] = share * sum.Capacity
	}
	for i := range items {
		if items[i].PointsSource == "" || items[i].PointsSource == "median" {
			items[i].Points, items[i].PointsSource = sum.MedianPoints, "median"
			sum.Unestimated++
		}
		if !(items[i].Points > 0) || math.IsInf(items[i].Points, 0) {
			items[i].Points = 0 // negative, NaN or infinite points take no room
		}
	}
	// used[k] is the cumulative points in classes 0..k.
	var used [3]float64
	take := func(k int, p float64) {
		for j := k; j < len(used); j++ {
			used[j] += p
		}
	}
	fits := func(k int, p float64) bool {
		for j := k; j < len(used); j++ {
			if used[j]+p > sum.Limits[j]+1e-9 {
				return false
			}
		}
		return true
	}
	for i := range items {
		if k := overrideClass(&items[i].Score); k >= 0 && k < 3 {
			take(k, items[i].Points)
		}
	}
	for i := range items {
		sc := &items[i].Score
		p := items[i].Points
		var k int
		if own := overrideClass(sc); own >= 0 {
			// Where it would go, without its own reservation.
			if own < 3 {
				take(own, -p)
			}
			k = firstFit(fits, p)
			if own < 3 {
				take(own, p)
			}
		} else {
			k = firstFit(fits, p)
			if k < 3 {
				take(k, p)
			}
		}
		sc.Computed = classes[k]
		ApplyOverride(sc, sc.Override)
	}
}

// overrideClass is the index of s's override class, or -1 when there is
// no valid override.
func overrideClass(s *domain.Score) int {
	if s.Override == nil {
		return -1
	}
	return classIndex(s.Override.Moscow)
}

// firstFit is the highest class (0 Must … 2 Could) with room for p, or 3
// (Won't).
func firstFit(fits func(int, float64) bool, p float64) int {
	for k := 0; k < 3; k++ {
		if fits(k, p) {
			return k
		}
	}
	return 3
}

// medianPoints is the median of the items' known points.
func medianPoints(items []Result) (float64, bool) {
	var pts []float64
	for _, it := range items {
		if it.PointsSource != "" && it.PointsSource != "median" && it.Points >= 0 && !math.IsInf(it.Points, 0) {
			pts = append(pts, it.Points)
		}
	}
	if len(pts) == 0 {
		return 0, false
	}
	slices.Sort(pts)
	n := len(pts)
	if n%2 == 1 {
		return pts[n/2], true
	}
	return (pts[n/2-1] + pts[n/2]) / 2, true
}
