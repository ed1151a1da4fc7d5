package score

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

func TestForcedMust(t *testing.T) {
	now := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC)
	due := func(days int) *time.Time {
		d := time.Date(2026, 12, 5+days, 0, 0, 0, 0, time.UTC)
		return &d
	}
	tests := []struct {
		name     string
		priority string
		due      *time.Time
		done     bool
		want     string
	}{
		{"overdue High", "High", due(-15), false,
			"Overdue: due 2026-11-20 (15 days ago), priority High. An open issue of High priority or above past its due date is a Must."},
		{"overdue Critical, 1 day", "Critical", due(-1), false,
			"Overdue: due 2026-12-04 (1 day ago), priority Critical. An open issue of High priority or above past its due date is a Must."},
		{"overdue Major (legacy High)", "Major", due(-3), false,
			"Overdue: due 2026-12-02 (3 days ago), priority Major. An open issue of High priority or above past its due date is a Must."},
		{"Highest due today", "Highest", due(0), false,
			"Due 2026-12-05 (today), priority Highest. An open issue of Highest priority due within 3 days is a Must."},
		{"Blocker due in 3 days", "Blocker", due(3), false,
			"Due 2026-12-08 (in 3 days), priority Blocker. An open issue of Highest priority due within 3 days is a Must."},
		{"Highest due in 4 days", "Highest", due(4), false, ""},
		{"High due today", "High", due(0), false, ""},
		{"High due in 2 days", "High", due(2), false, ""},
		{"overdue Medium", "Medium", due(-15), false, ""},
		{"overdue Low", "Low", due(-40), false, ""},
		{"overdue, no priority", "", due(-5), false, ""},
		{"overdue High but done", "High", due(-15), true, ""},
		{"High without a due date", "High", nil, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			is := &domain.Issue{Key: "SHOP-64", Type: domain.TypeBug, Priority: tc.priority, DueDate: tc.due, StatusCat: domain.StatusToDo}
			if tc.done {
				is.StatusCat = domain.StatusDone
			}
			if got := ForcedMust(is, now); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRankForcedMust: in relative mode a forced item takes the first Must
// place (Must keeps its share), is lifted just above the lowest other
// Must and listed among the Musts, with the lift as urgency; an override
// still wins; a forced follower is Must without taking a place.
func TestRankForcedMust(t *testing.T) {
	items := squeezed(40) // 6 Must, 14 Should, 14 Could, 6 Won't
	const reason = "Overdue: due 2026-11-20 (15 days ago), priority High."
	for i := range items {
		switch items[i].Key {
		case "SHOP-12": // the lowest total, 40
			items[i].Forced = reason
		case "SHOP-3": // a Could
			items[i].Forced = reason
			items[i].Score.Override = &domain.Override{Moscow: domain.MoscowWont, Reason: "supplier"}
		}
	}
	items = append(items, Result{Key: "SHOP-41", Score: domain.Score{Total: 41}, Follows: true, Forced: reason})
	before := map[string]float64{}
	for _, it := range items {
		before[it.Key] = it.Score.Total
	}
	sum := Rank(items, domain.DefaultStrategy())
	// Counts are effective classes: SHOP-3 takes a Must place but shows Won't.
	if sum.Count != [4]int{5, 14, 14, 7} || sum.Forced != 2 || len(sum.Warnings) != 0 {
		t.Fatalf("counts %v forced %d warnings %v: the forced items must take Must places", sum.Count, sum.Forced, sum.Warnings)
	}
	musts := 0
	for i, it := range items {
		sc := it.Score
		switch it.Key {
		case "SHOP-12", "SHOP-41":
			if sc.Moscow != domain.MoscowMust || sc.ClassBasis != reason || sc.Total <= sum.MustBound || sc.Total > sum.MustBound+0.02 {
				t.Errorf("%s #%d: %s %.2f %q (bound %.2f)", it.Key, i+1, sc.Moscow, sc.Total, sc.ClassBasis, sum.MustBound)
			}
			if len(sc.Urgency) != 1 || sc.Urgency[0].Signal != ForcedSignal || math.Abs(sc.UrgencyBonus-(sc.Total-before[it.Key])) > 1e-9 {
				t.Errorf("%s: urgency %.2f %+v", it.Key, sc.UrgencyBonus, sc.Urgency)
			}
		case "SHOP-3":
			if sc.Moscow != domain.MoscowWont || sc.Computed != domain.MoscowMust || sc.ClassBasis != reason {
				t.Errorf("SHOP-3 overridden: %s (computed %s) %q", sc.Moscow, sc.Computed, sc.ClassBasis)
			}
		}
		if sc.Computed == domain.MoscowMust && !it.Follows {
			musts++
			if i >= 7 { // 6 Musts, and the follower may sit among them
				t.Errorf("%s (Must) is #%d: not listed among the Musts", it.Key, i+1)
			}
		}
	}
	if musts != 6 {
		t.Errorf("%d computed Musts", musts)
	}
	// The other Musts' bases give their place in the final list.
	if b := items[0].Score.ClassBasis; b != "In the top 15 % of this backlog (rank 1 of 40)." {
		t.Errorf("top basis %q", b)
	}
}

// TestRankForcedMustCapacityAndThresholds: in capacity mode a forced item
// reserves its points in the Must budget before the walk; in thresholds
// mode it is lifted to the Must threshold.
func TestRankForcedMustCapacityAndThresholds(t *testing.T) {
	mk := func() []Result {
		items := make([]Result, 10)
		for i := range items {
			items[i] = item(fmt.Sprintf("P-%d", i+1), 90-5*float64(i), 3, "")
		}
		items[9].Forced = "Overdue." // total 45, 3 points
		return items
	}
	st := domain.DefaultStrategy()
	st.Mode, st.Capacity = domain.MoscowCapacity, 10 // Must budget 6 points: two items
	items := mk()
	sum := Rank(items, st)
	if sum.Mode != domain.MoscowCapacity || sum.Count[0] != 2 || sum.Points[0] != 6 {
		t.Fatalf("capacity: %+v", sum)
	}
	effective, _ := classesOf(items)
	// P-10 is lifted just above P-1; P-2 no longer fits Should (8 points).
	if want := "P-10:Must P-1:Must P-2:Could P-3:Won't "; effective[:len(want)] != want {
		t.Errorf("capacity classes %s, want %s…", effective, want)
	}
	st = domain.DefaultStrategy()
	st.Mode = domain.MoscowThresholds
	items = mk()
	Rank(items, st)
	for _, it := range items {
		if it.Key == "P-10" && (it.Score.Moscow != domain.MoscowMust || it.Score.Total < 80) {
			t.Errorf("thresholds: P-10 %s %.2f", it.Score.Moscow, it.Score.Total)
		}
	}
	// Thresholds no score reaches: Must holds only the forced item, and
	// the warning says so.
	st.Thresholds = [3]float64{95, 60, 40}
	items = mk()
	sum = Rank(items, st)
	if sum.Count[0] != 1 || !slices.Contains(sum.Warnings, "No issue would be Must on its score: only the 1 issue due or overdue with a high priority.") {
		t.Errorf("thresholds 95: counts %v, warnings %q", sum.Count, sum.Warnings)
	}
}
