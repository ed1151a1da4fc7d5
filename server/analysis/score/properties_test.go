package score

import (
	"math"
	randv1 "math/rand"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"testing/quick"

	"github.com/backlogai/backlogai/server/domain"
)

// pillarsFrom builds stored pillars from five values.
func pillarsFrom(v [5]float64) []domain.PillarScore {
	ps := make([]domain.PillarScore, 5)
	for i, n := range domain.Pillars {
		ps[i] = domain.PillarScore{Name: n, Value: v[i]}
	}
	return ps
}

// unit maps any float to [0, 1) for quick-generated values.
func unit(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0.5
	}
	_, f := math.Modf(math.Abs(x))
	return f
}

func TestBaseMonotoneInEachPillar(t *testing.T) {
	f := func(raw [5]float64, rawW [5]float64, which uint8, rawStep float64) bool {
		var v, w [5]float64
		for i := range v {
			v[i] = 10 * unit(raw[i])
			w[i] = math.Floor(4 * unit(rawW[i])) // 0..3, zeros included
		}
		i := int(which) % 5
		up := v
		up[i] = min(10, v[i]+10*unit(rawStep))
		before, after := Base(pillarsFrom(v), w), Base(pillarsFrom(up), w)
		eff := EffectiveWeights(w)
		switch {
		case after < before:
			t.Logf("raising pillar %d from %v to %v lowered %v to %v (weights %v)", i, v[i], up[i], before, after, w)
			return false
		case eff[i] > 0 && up[i] > v[i] && !(after > before):
			t.Logf("raising pillar %d with weight %v left %v unchanged", i, eff[i], before)
			return false
		case eff[i] == 0 && after != before:
			t.Logf("pillar %d has weight 0 but moved %v to %v", i, before, after)
			return false
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000, Rand: newQuickRand()}); err != nil {
		t.Error(err)
	}
}

func TestBaseWeightNormalisation(t *testing.T) {
	f := func(raw [5]float64, rawW [5]float64, rawK float64) bool {
		var v, w, scaled, pow2 [5]float64
		k := math.Pow(10, 6*unit(rawK)-3) // 1e-3 … 1e3
		for i := range v {
			v[i] = 10 * unit(raw[i])
			w[i] = unit(rawW[i])
			scaled[i] = w[i] * k
			pow2[i] = w[i] * 1024
		}
		a, b, c := Base(pillarsFrom(v), w), Base(pillarsFrom(v), scaled), Base(pillarsFrom(v), pow2)
		if math.Abs(a-b) > 1e-9 || a != c {
			t.Logf("weights %v: base %v, ×%v: %v, ×1024: %v", w, a, k, b, c)
			return false
		}
		return a >= 0 && a <= 100
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000, Rand: newQuickRand()}); err != nil {
		t.Error(err)
	}
}

func TestZeroAndInvalidWeights(t *testing.T) {
	v := [5]float64{10, 8, 6, 4, 2}
	equal := Base(pillarsFrom(v), [5]float64{1, 1, 1, 1, 1})
	if equal != 60 {
		t.Fatalf("equal weights: base = %v, want 60", equal)
	}
	tests := []struct {
		name string
		w    [5]float64
		want float64
	}{
		{"all zero counts as equal", [5]float64{}, 60},
		{"all negative counts as equal", [5]float64{-1, -2, -3, -4, -5}, 60},
		{"NaN and Inf are ignored", [5]float64{math.NaN(), math.Inf(1), 1, 0, 0}, 60},
		{"one weight picks one pillar", [5]float64{0, 0, 0, 0, 3}, 20},
		{"negatives count as zero", [5]float64{2, -5, 0, 0, 0}, 100},
	}
	for _, tc := range tests {
		if got := Base(pillarsFrom(v), tc.w); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: base = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestScoreInvariantsOnGeneratedBacklog(t *testing.T) {
	ins := genBacklog(2000, 11)
	s := testStrategy()
	sc := NewScorer(s)
	for i, in := range ins {
		r := sc.Score(in, testNow)
		sco := r.Score
		if sco.Total < 0 || sco.Total > 100 || sco.UrgencyBonus < 0 || sco.UrgencyBonus > MaxUrgencyBonus {
			t.Fatalf("issue %d: total %v bonus %v out of range", i, sco.Total, sco.UrgencyBonus)
		}
		if want := math.Min(100, Base(sco.Pillars, s.Weights)+sco.UrgencyBonus); math.Abs(sco.Total-want) > 1e-9 {
			t.Fatalf("issue %d: total %v, want base+bonus %v", i, sco.Total, want)
		}
		for _, p := range sco.Pillars {
			if p.Value < 0 || p.Value > 10 {
				t.Fatalf("issue %d: pillar %s = %v", i, p.Name, p.Value)
			}
		}
		if sco.WhyNow == "" || sco.WhyThis == "" || sco.WhyUs == "" {
			t.Fatalf("issue %d: empty explanation %q / %q / %q", i, sco.WhyNow, sco.WhyThis, sco.WhyUs)
		}
		if sco.Computed != Classify(sco.Total, s) || sco.Moscow != sco.Computed {
			t.Fatalf("issue %d: classes %s/%s for total %v", i, sco.Moscow, sco.Computed, sco.Total)
		}
		if again := sc.Score(in, testNow); !reflect.DeepEqual(again, r) {
			t.Fatalf("issue %d: scoring twice differs", i)
		}
	}
}

// TestMoreSignalNeverLowersTheScore raises positive signals on generated
// issues one at a time.
func TestMoreSignalNeverLowersTheScore(t *testing.T) {
	raise := map[string]func(*Input){
		"votes":    func(in *Input) { in.Issue.Votes += 5 },
		"watchers": func(in *Input) { in.Issue.Watchers += 3 },
		"requests": func(in *Input) { in.CustomerRequests++ },
		"label":    func(in *Input) { in.Issue.Labels = append(in.Issue.Labels, "Revenue") },
		"quality":  func(in *Input) { in.Quality = min(100, in.Quality+10) },
		"research": func(in *Input) { in.ResearchSources++ },
		"comments": func(in *Input) { in.Issue.RecentComments += 2 },
		"unblocked": func(in *Input) {
			var keep []domain.Link
			for _, l := range in.Issue.Links {
				if l.Kind != domain.LinkBlockedBy {
					keep = append(keep, l)
				}
			}
			in.Issue.Links = keep
		},
	}
	sc := NewScorer(testStrategy())
	for i, in := range genBacklog(300, 5) {
		before := sc.Score(in, testNow).Score.Total
		for name, f := range raise {
			iss := *in.Issue
			iss.Labels = append([]string(nil), in.Issue.Labels...)
			up := in
			up.Issue = &iss
			f(&up)
			if after := sc.Score(up, testNow).Score.Total; after < before-1e-9 {
				t.Errorf("issue %d: more %s lowered %v to %v", i, name, before, after)
			}
		}
	}
}

func TestCapacityNeverExceedsShares(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 4))
	for round := 0; round < 300; round++ {
		n := 1 + r.IntN(60)
		items := make([]Result, n)
		for i := range items {
			items[i] = item(string(rune('A'+i%26))+string(rune('a'+i/26)), 100*r.Float64(), -1, "")
			if r.IntN(5) > 0 {
				items[i].Points, items[i].PointsSource = genPoints[r.IntN(len(genPoints))], "issue"
			}
		}
		withOverrides := round%2 == 1
		s := capacityStrategy(float64(5 + r.IntN(120)))
		if withOverrides {
			for i := range items {
				switch r.IntN(12) {
				case 0, 1:
					items[i].Score.Override = &domain.Override{Moscow: classes[r.IntN(4)]}
				case 2:
					items[i].Score.Override = &domain.Override{Moscow: "Maybe"} // invalid: ignored
				}
			}
		}
		sum := Rank(items, s)
		if sum.Mode != domain.MoscowCapacity {
			continue
		}
		// Room the overrides reserved, cumulative by class.
		var reserved [3]float64
		for _, it := range items {
			if o := it.Score.Override; o != nil {
				if k := classIndex(o.Moscow); k < 0 {
					t.Fatalf("round %d: invalid override %q kept", round, o.Moscow)
				}
				for k := classIndex(o.Moscow); k < 3; k++ {
					reserved[k] += it.Points
				}
			}
		}
		var cum float64
		for k := 0; k < 3; k++ {
			cum += sum.Points[k]
			if reserved[k] <= sum.Limits[k] && cum > sum.Limits[k]+1e-9 {
				t.Fatalf("round %d: classes 0..%d hold %v points, limit %v (capacity %v, reserved %v)",
					round, k, cum, sum.Limits[k], sum.Capacity, reserved)
			}
		}
		for i, it := range items {
			if o := it.Score.Override; o != nil && it.Score.Moscow != o.Moscow {
				t.Fatalf("round %d: item %d overridden to %s is %s", round, i, o.Moscow, it.Score.Moscow)
			}
			if i > 0 && items[i-1].Score.Total < it.Score.Total {
				t.Fatalf("round %d: not ranked by total at %d", round, i)
			}
		}
	}
}

func TestOverrideAlwaysWins(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	ins := genBacklog(200, 13)
	for _, mode := range []domain.MoscowMode{domain.MoscowThresholds, domain.MoscowCapacity} {
		s := testStrategy()
		s.Mode, s.Capacity = mode, 150
		sc := NewScorer(s)
		items := make([]Result, len(ins))
		want := map[string]domain.Moscow{}
		for i, in := range ins {
			if r.IntN(3) == 0 {
				in.Override = &domain.Override{Moscow: classes[r.IntN(4)], Reason: "customer escalation"}
				want[in.Issue.Key] = in.Override.Moscow
			}
			items[i] = sc.Score(in, testNow)
			if o := in.Override; o != nil {
				got := items[i].Score
				if got.Moscow != o.Moscow || got.Override == nil || got.Override.Reason != o.Reason {
					t.Fatalf("%s: scored class %s override %+v, want %s", mode, got.Moscow, got.Override, o.Moscow)
				}
				if got.Computed != Classify(got.Total, s) {
					t.Fatalf("%s: computed %s, want the threshold class kept", mode, got.Computed)
				}
			}
		}
		Rank(items, s)
		for _, it := range items {
			if w, ok := want[it.Key]; ok && it.Score.Moscow != w {
				t.Fatalf("%s: after Rank %s is %s, override says %s", mode, it.Key, it.Score.Moscow, w)
			}
			if _, ok := want[it.Key]; !ok && it.Score.Moscow != it.Score.Computed {
				t.Fatalf("%s: %s without override is %s, computed %s", mode, it.Key, it.Score.Moscow, it.Score.Computed)
			}
		}
	}
}

// newQuickRand seeds testing/quick (which takes a math/rand v1 source) so
// runs are reproducible.
func newQuickRand() *randv1.Rand { return randv1.New(randv1.NewSource(42)) }

// TestScorerIsSafeForConcurrentUse scores one backlog from several
// goroutines sharing a Scorer (run with -race to check the token pool).
func TestScorerIsSafeForConcurrentUse(t *testing.T) {
	ins := genBacklog(200, 23)
	sc := NewScorer(testStrategy())
	want := make([]Result, len(ins))
	for i, in := range ins {
		want[i] = sc.Score(in, testNow)
	}
	got := make([][]Result, 4)
	var wg sync.WaitGroup
	for g := range got {
		got[g] = make([]Result, len(ins))
		wg.Go(func() {
			for i, in := range ins {
				got[g][i] = sc.Score(in, testNow)
			}
		})
	}
	wg.Wait()
	for g := range got {
		for i := range ins {
			if !reflect.DeepEqual(got[g][i], want[i]) {
				t.Fatalf("goroutine %d, issue %d: result differs from sequential scoring", g, i)
			}
		}
	}
}

func TestRerankMatchesRescoring(t *testing.T) {
	ins := genBacklog(300, 29)
	s1, s2 := testStrategy(), testStrategy()
	s2.Weights = [5]float64{0, 3, 1, 0.5, 2}
	s2.Mode, s2.Capacity = domain.MoscowCapacity, 200
	sc1, sc2 := NewScorer(s1), NewScorer(s2)
	got, want := make([]Result, len(ins)), make([]Result, len(ins))
	for i, in := range ins {
		got[i], want[i] = sc1.Score(in, testNow), sc2.Score(in, testNow)
	}
	gotSum, wantSum := Rerank(got, s2), Rank(want, s2)
	if !reflect.DeepEqual(gotSum, wantSum) {
		t.Errorf("summary after Rerank %+v, after rescoring %+v", gotSum, wantSum)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Key != w.Key || math.Abs(g.Score.Total-w.Score.Total) > 1e-9 || g.Score.Moscow != w.Score.Moscow {
			t.Fatalf("rank %d: reranked %s %.4f %s, rescored %s %.4f %s", i,
				g.Key, g.Score.Total, g.Score.Moscow, w.Key, w.Score.Total, w.Score.Moscow)
		}
	}
}
