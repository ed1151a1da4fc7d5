package score

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

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

// Shares returns the Must, Should and Could shares of s in percent, the
// defaults (15, 35, 35) when none is set.
//
// Why these: Must is what the team should start next; about a sixth of a
// backlog several releases deep is one release's worth, and few enough that
// "Must" still means something. Won't, the bottom 15 %, is a short list of
// candidates to close. Should and Could split the middle evenly, so that
// neither becomes the catch-all the issue report complained about (199 of
// 221 in Could).
func Shares(s domain.Strategy) [3]float64 {
	if s.Shares == [3]float64{} {
		return [3]float64{15, 35, 35}
	}
	return s.Shares
}

// Cutoffs are the lowest totals of Must, Should and Could in the last
// relative or capacity ranking: the bounds a single issue is classified by
// until the backlog is ranked again. An empty class's bound is above 100.
type Cutoffs [3]float64

// Classify is the threshold class of a total.
func Classify(total float64, s domain.Strategy) domain.Moscow {
	return classifyBy(total, Thresholds(s))
}

// ClassifyThresholds classes sc by its total against s's thresholds, with
// the basis, and applies its override.
func ClassifyThresholds(sc *domain.Score, s domain.Strategy) {
	sc.Computed = Classify(sc.Total, s)
	sc.ClassBasis = thresholdBasis(sc.Total, sc.Computed, Thresholds(s))
	ApplyOverride(sc, sc.Override)
}

// ClassifyCutoffs is the class of a total against a ranking's cutoffs.
func ClassifyCutoffs(total float64, c Cutoffs) domain.Moscow {
	return classifyBy(total, c)
}

func classifyBy(total float64, t [3]float64) domain.Moscow {
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
	// Points and Count per effective class of the ranked items (overrides
	// included, followers not; overrides may push a class past its share,
	// which the warnings point out).
	Points [4]float64 `json:"points"`
	Count  [4]int     `json:"count"`
	// Unestimated items had no points of their own or suggested and were
	// counted at MedianPoints, the median of the items that had some.
	Unestimated  int     `json:"unestimated"`
	MedianPoints float64 `json:"medianPoints,omitempty"`
	// Shares (relative mode) are the Must, Should and Could shares in
	// percent; Ranked is how many items the shares were taken of.
	Shares [3]float64 `json:"shares,omitempty"`
	Ranked int        `json:"ranked"`
	// Cutoffs are the lowest totals of Must, Should and Could (relative
	// and capacity mode; an empty class's bound is above 100).
	Cutoffs Cutoffs `json:"cutoffs"`
	// Warnings point out a split a PM would not want: an empty class, or
	// one holding more than MaxClassShare of the backlog.
	Warnings []string `json:"warnings"`
	// Velocity is the measured story points per two-week sprint that a
	// capacity of 0 stands for (set by the engine).
	Velocity float64 `json:"velocity,omitempty"`
	// Forced counts the ranked items that are Must by ForcedMust (overdue
	// or imminent high-priority issues; included in Count's Must).
	Forced int `json:"forced"`
	// MustBound is the total forced items were lifted to just above (see
	// Lift): an issue analysed before the next ranking is lifted the same.
	MustBound float64 `json:"-"`
}

// MaxClassShare is the share of the backlog above which one class gets a
// warning: a class holding most of the backlog no longer sorts anything.
const MaxClassShare = 0.70

// CompareKeys orders issue keys as people read them: by project, then by
// number (SHOP-2 before SHOP-10).
func CompareKeys(a, b string) int {
	pa, na, oka := splitKey(a)
	pb, nb, okb := splitKey(b)
	if !oka || !okb || pa != pb {
		return cmp.Compare(a, b)
	}
	if c := cmp.Compare(len(na), len(nb)); c != 0 {
		return c
	}
	return cmp.Compare(na, nb)
}

// splitKey splits "SHOP-12" into "SHOP" and "12" (leading zeros dropped).
func splitKey(k string) (string, string, bool) {
	i := strings.LastIndexByte(k, '-')
	if i < 0 || i == len(k)-1 {
		return "", "", false
	}
	n := k[i+1:]
	for _, r := range n {
		if r < '0' || r > '9' {
			return "", "", false
		}
	}
	n = strings.TrimLeft(n, "0")
	return k[:i], n, true
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
// A forced item (Result.Forced) is Must in every mode: it takes the first
// Must places of the shares (relative) or its points come out of the Must
// budget first, like a Must override (capacity), so Must keeps the size
// the strategy gives it and the other items share what is left. Its total
// is then lifted to the lowest total of the other Musts (the Must
// threshold in thresholds mode; the top of the others when they hold no
// Must), so that the list shows it among the Musts. An override still
// wins over it.
//
// Pass open issues only: done work takes no capacity.
func Rank(items []Result, s domain.Strategy) Summary {
	sortResults(items)
	sum := Summary{Mode: domain.MoscowThresholds, Warnings: []string{}}
	mode := s.Mode
	if mode == domain.MoscowCapacity {
		// Followers (sub-tasks) take no capacity: their parent counts it.
		ranked := make([]Result, 0, len(items))
		var pos []int
		for i, it := range items {
			if !it.Follows {
				ranked = append(ranked, it)
				pos = append(pos, i)
			}
		}
		switch median, ok := medianPoints(ranked); {
		case !(s.Capacity > 0) || math.IsInf(s.Capacity, 0):
			sum.Fallback = "capacity is not set and no velocity could be measured"
			mode = domain.MoscowRelative
		case !ok:
			sum.Fallback = "no issue has story points or a suggestion"
			mode = domain.MoscowRelative
		default:
			sum.Mode, sum.Capacity, sum.MedianPoints = domain.MoscowCapacity, s.Capacity, median
			rankCapacity(ranked, &sum)
			for k, i := range pos {
				items[i] = ranked[k]
			}
			sum.MustBound = mustBound(items)
			liftForced(items, sum.MustBound, "this backlog's lowest Must score")
			sum.Cutoffs = cutoffsOf(items)
			followCutoffs(items, sum.Cutoffs, sum.MustBound, func(t float64) string { return CutoffBasis(t, sum.Cutoffs) })
		}
	}
	if mode == domain.MoscowRelative {
		sum.Mode = domain.MoscowRelative
		rankRelative(items, Shares(s), &sum)
	}
	if sum.Mode == domain.MoscowThresholds {
		t := Thresholds(s)
		sum.MustBound = t[0]
		for i := range items {
			sc := &items[i].Score
			if items[i].Forced != "" {
				Force(sc, items[i].Forced)
				Lift(sc, t[0], "the Must threshold")
				continue
			}
			ClassifyThresholds(sc, s)
		}
	}
	sortResults(items) // lifted totals moved up
	if sum.Mode == domain.MoscowRelative {
		relativeBases(items, sum.Shares)
	}
	forcedMust := 0 // forced items whose effective class is Must
	for _, it := range items {
		if it.Follows {
			continue // counted with the list they follow, not in it
		}
		sum.Ranked++
		if it.Forced != "" {
			sum.Forced++
			if it.Score.Moscow == domain.MoscowMust {
				forcedMust++
			}
		}
		k := classIndex(it.Score.Moscow)
		if k < 0 {
			continue
		}
		sum.Count[k]++
		sum.Points[k] += it.Points
	}
	sum.Warnings = warnings(sum, forcedMust)
	if sum.Mode == domain.MoscowRelative && sum.Ranked >= 5 {
		if must := int(math.Round(float64(sum.Ranked) * min(max(0, sum.Shares[0]), 100) / 100)); sum.Forced > must {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d overdue or imminent high-priority issues are Must, more than the Must share of %d.", sum.Forced, must))
		}
	}
	return sum
}

// sortResults orders items by total, highest first, then by key.
func sortResults(items []Result) {
	slices.SortStableFunc(items, func(a, b Result) int {
		if c := cmp.Compare(b.Score.Total, a.Score.Total); c != 0 {
			return c
		}
		return CompareKeys(a.Key, b.Key)
	})
}

// mustBound is the total forced items are lifted to: the lowest total of
// the other ranked items classed Must, else the highest total of the other
// ranked items (forced items then lead the list), else 0 (nothing to rank
// among).
func mustBound(items []Result) float64 {
	bound, top, seen := 101.0, 0.0, false
	for _, it := range items {
		if it.Follows || it.Forced != "" {
			continue
		}
		top = max(top, it.Score.Total)
		if it.Score.Computed == domain.MoscowMust {
			bound, seen = min(bound, it.Score.Total), true
		}
	}
	if !seen {
		return top
	}
	return bound
}

// liftForced lifts the forced items' totals, followers' included, to bound
// (see Lift).
func liftForced(items []Result, bound float64, what string) {
	for i := range items {
		if items[i].Forced != "" {
			Lift(&items[i].Score, bound, what)
		}
	}
}

// rankRelative gives the first shares[0] % of the ranked items Must, the
// next shares[1] % Should, the next shares[2] % Could and the rest Won't,
// by rank position (equal totals at a boundary are split in backlog order,
// so the classes follow the list the PM sees). Followers are classified by
// the resulting cutoffs and do not count.
//
// Forced items take the first places: the others are classed from
// position F+1 on, F being the number of forced items ranked.
func rankRelative(items []Result, shares [3]float64, sum *Summary) {
	sum.Shares = shares
	n, forced := 0, 0
	for _, it := range items {
		if !it.Follows {
			n++
			if it.Forced != "" {
				forced++
			}
		}
	}
	var bound [3]int // exclusive end position of Must, Should, Could
	cum := 0.0
	for k, sh := range shares {
		cum += max(0, sh)
		bound[k] = min(n, int(math.Round(float64(n)*min(cum, 100)/100)))
	}
	pos := forced
	for i := range items {
		sc := &items[i].Score
		switch {
		case items[i].Follows:
			continue
		case items[i].Forced != "":
			Force(sc, items[i].Forced)
			continue
		}
		k := 3
		for j := 2; j >= 0; j-- {
			if pos < bound[j] {
				k = j
			}
		}
		pos++
		sc.Computed = classes[k]
		ApplyOverride(sc, sc.Override)
	}
	sum.MustBound = mustBound(items)
	liftForced(items, sum.MustBound, "this backlog's lowest Must score")
	sum.Cutoffs = cutoffsOf(items)
	followCutoffs(items, sum.Cutoffs, sum.MustBound, func(t float64) string { return ShareBasis(t, sum.Cutoffs, shares) })
}

// relativeBases explains the class of each ranked, unforced item by its
// position in the final order (after forced items were lifted into it).
func relativeBases(items []Result, shares [3]float64) {
	n := 0
	for _, it := range items {
		if !it.Follows {
			n++
		}
	}
	pos := 0
	for i := range items {
		if items[i].Follows {
			continue
		}
		pos++
		if items[i].Forced == "" {
			items[i].Score.ClassBasis = relativeBasis(classIndex(items[i].Score.Computed), pos, n, shares)
		}
	}
}

// cutoffsOf is the lowest computed total of each class among the ranked
// (non-following) items; an empty class gets its upper neighbour's bound,
// or 101 for Must, so that nothing falls into it.
func cutoffsOf(items []Result) Cutoffs {
	c := Cutoffs{101, 101, 101}
	var seen [3]bool
	for _, it := range items {
		if it.Follows {
			continue
		}
		if k := classIndex(it.Score.Computed); k >= 0 && k < 3 {
			if !seen[k] || it.Score.Total < c[k] {
				c[k], seen[k] = it.Score.Total, true
			}
		}
	}
	for k := range c {
		if !seen[k] && k > 0 {
			c[k] = c[k-1]
		}
	}
	return c
}

// followCutoffs classifies the followers by the cutoffs c, explained by
// basis (in the wording of the mode); a forced follower is Must, lifted to
// bound.
func followCutoffs(items []Result, c Cutoffs, bound float64, basis func(total float64) string) {
	for i := range items {
		if !items[i].Follows {
			continue
		}
		sc := &items[i].Score
		if items[i].Forced != "" {
			Force(sc, items[i].Forced)
			Lift(sc, bound, "this backlog's lowest Must score")
			continue
		}
		sc.Computed = ClassifyCutoffs(sc.Total, c)
		sc.ClassBasis = basis(sc.Total)
		ApplyOverride(sc, sc.Override)
	}
}

// ShareBasis explains, in the wording of the relative (share) mode, a
// class given by the last ranking's cutoffs c: to an item that follows the
// ranking (a sub-task) or one analysed since the ranking.
func ShareBasis(total float64, c Cutoffs, shares [3]float64) string {
	k := classIndex(ClassifyCutoffs(total, c))
	var cum [3]float64
	sum := 0.0
	for j, sh := range shares {
		sum += max(0, sh)
		cum[j] = min(sum, 100)
	}
	s := "Score " + fmtNum(math.Floor(total)) + " places it "
	switch k {
	case 0:
		return s + "among the top " + pct(cum[0]) + " of this backlog (Must)."
	case 1, 2:
		return s + "in the top " + pct(cum[k]) + " of this backlog, below the top " + pct(cum[k-1]) + " (" + string(classes[k]) + ")."
	}
	return s + "in the bottom " + pct(100-cum[2]) + " of this backlog (Won't)."
}

// relativeBasis explains class k of the item at 1-based position pos of n.
func relativeBasis(k, pos, n int, shares [3]float64) string {
	var cum [3]float64
	c := 0.0
	for j, sh := range shares {
		c += max(0, sh)
		cum[j] = min(c, 100)
	}
	rank := fmt.Sprintf(" (rank %d of %d)", pos, n)
	switch k {
	case 0:
		return "In the top " + pct(cum[0]) + " of this backlog" + rank + "."
	case 1, 2:
		return "In the top " + pct(cum[k]) + " of this backlog, below the top " + pct(cum[k-1]) + rank + "."
	}
	return "In the bottom " + pct(100-cum[2]) + " of this backlog" + rank + "."
}

// CutoffBasis explains a class given by a ranking's cutoffs (an issue
// analysed between two rankings, or a sub-task, which follows them).
func CutoffBasis(total float64, c Cutoffs) string {
	m := ClassifyCutoffs(total, c)
	k := classIndex(m)
	s := "Score " + fmtNum(math.Floor(total))
	if k < 3 {
		return s + " reaches this backlog's " + string(m) + " bound of " + fmtNum(math.Floor(c[k])) + "."
	}
	return s + " is below this backlog's Could bound of " + fmtNum(math.Floor(c[2])) + "."
}

func thresholdBasis(total float64, m domain.Moscow, t [3]float64) string {
	k := classIndex(m)
	s := "Score " + fmtNum(math.Floor(total))
	if k < 3 {
		return s + " reaches the " + string(m) + " threshold of " + fmtNum(t[k]) + "."
	}
	return s + " is below the Could threshold of " + fmtNum(t[2]) + "."
}

func pct(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64) + " %"
}

// warnings flags an empty class or one with more than MaxClassShare of the
// items. Below 5 items any split is lopsided, so there is nothing to say.
// A Must class holding only forced Musts is pointed out as empty on the
// scores: the settings still leave no room for anything else.
func warnings(sum Summary, forcedMust int) []string {
	out := []string{}
	total := 0
	for _, n := range sum.Count {
		total += n
	}
	if total < 5 {
		return out
	}
	for k, n := range sum.Count {
		switch {
		case n == 0:
			out = append(out, "No issue would be "+string(classes[k])+".")
		case k == 0 && n == forcedMust:
			out = append(out, fmt.Sprintf("No issue would be Must on its score: only the %s due or overdue with a high priority.",
				plural(n, "issue")))
		case float64(n) > MaxClassShare*float64(total):
			out = append(out, fmt.Sprintf("%s would hold %d %% of the backlog (%d of %d issues).",
				classes[k], int(math.Round(100*float64(n)/float64(total))), n, total))
		}
	}
	return out
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
	// Overrides reserve their class's points, then forced Musts reserve
	// Must's: both are decided before the walk.
	for i := range items {
		if k := overrideClass(&items[i].Score); k >= 0 && k < 3 {
			take(k, items[i].Points)
		} else if k < 0 && items[i].Forced != "" {
			take(0, items[i].Points)
		}
	}
	for i := range items {
		sc := &items[i].Score
		p := items[i].Points
		var k int
		if items[i].Forced != "" {
			Force(sc, items[i].Forced)
			continue
		}
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
		sc.ClassBasis = capacityBasis(k, sum.Capacity)
		ApplyOverride(sc, sc.Override)
	}
}

func capacityBasis(k int, capacity float64) string {
	budget := "of the capacity of " + fmtNum(capacity) + " points"
	switch k {
	case 0:
		return "It fits in the Must budget, the first 60 % " + budget + "."
	case 1:
		return "It fits in the Should budget, up to 80 % " + budget + "."
	case 2:
		return "It fits in the Could budget, up to 100 % " + budget + "."
	}
	return "It no longer fits in the capacity of " + fmtNum(capacity) + " points."
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
