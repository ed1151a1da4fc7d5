package score

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

func dayOffset(days int) *time.Time {
	t := time.Date(testNow.Year(), testNow.Month(), testNow.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
	return &t
}

func TestUrgencySignals(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*domain.Issue)
		signal     string
		wantDelta  float64 // 0: no evidence
		wantDetail string
	}{
		{"overdue", func(i *domain.Issue) { i.DueDate = dayOffset(-2) }, "due_date", 3, "overdue by 2 days"},
		{"due today", func(i *domain.Issue) { i.DueDate = dayOffset(0) }, "due_date", 3, "due today"},
		{"due in a week", func(i *domain.Issue) { i.DueDate = dayOffset(7) }, "due_date", 3, "due in 7 days"},
		{"due in two weeks", func(i *domain.Issue) { i.DueDate = dayOffset(14) }, "due_date", 2, "due in 14 days"},
		{"due in a month", func(i *domain.Issue) { i.DueDate = dayOffset(30) }, "due_date", 1, ""},
		{"due later", func(i *domain.Issue) { i.DueDate = dayOffset(31) }, "due_date", 0, ""},
		{"blocks one open issue", func(i *domain.Issue) {
			i.Links = []domain.Link{{Kind: domain.LinkBlocks, OtherKey: "PROJ-4"}, {Kind: domain.LinkBlocks, OtherKey: "PROJ-5", OtherDone: true}}
		}, "blocks", 1, "blocks 1 open issue (PROJ-4)"},
		{"blocks three open issues", func(i *domain.Issue) {
			i.Links = []domain.Link{{Kind: domain.LinkBlocks, OtherKey: "A-1"}, {Kind: domain.LinkBlocks, OtherKey: "A-2"}, {Kind: domain.LinkBlocks, OtherKey: "A-3"}}
		}, "blocks", 1.75, "A-1, A-2 and A-3"},
		{"blocked-by is not urgency", func(i *domain.Issue) {
			i.Links = []domain.Link{{Kind: domain.LinkBlockedBy, OtherKey: "A-1"}}
		}, "blocks", 0, ""},
		{"release soon", func(i *domain.Issue) { i.FixVersionRelease = dayOffset(10) }, "fix_version", 1.5, "releases in 10 days"},
		{"release in a month", func(i *domain.Issue) { i.FixVersionRelease = dayOffset(25) }, "fix_version", 0.75, ""},
		{"release date passed", func(i *domain.Issue) { i.FixVersionRelease = dayOffset(-3) }, "fix_version", 1.5, "due 3 days ago"},
		{"release far away", func(i *domain.Issue) { i.FixVersionRelease = dayOffset(90) }, "fix_version", 0, ""},
		{"recent comments", func(i *domain.Issue) { i.RecentComments = 10 }, "recent_comments", 1, "10 comments in the last 30 days"},
		{"recent votes", func(i *domain.Issue) { i.Votes, i.Updated = 4, testNow.Add(-48*time.Hour) }, "recent_votes", 0.5, "4 votes"},
		{"old votes", func(i *domain.Issue) { i.Votes, i.Updated = 40, testNow.AddDate(0, -2, 0) }, "recent_votes", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iss := plainIssue()
			tc.edit(iss)
			ev, bonus := urgency(iss, testNow)
			var got *domain.Evidence
			for i := range ev {
				if ev[i].Signal == tc.signal {
					got = &ev[i]
				}
			}
			if tc.wantDelta == 0 {
				if got != nil {
					t.Fatalf("evidence %+v, want none", *got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no %q evidence in %+v", tc.signal, ev)
			}
			if math.Abs(got.Delta-tc.wantDelta) > 0.005 || math.Abs(bonus-tc.wantDelta) > 0.005 {
				t.Errorf("delta %.2f, bonus %.2f, want %.2f", got.Delta, bonus, tc.wantDelta)
			}
			if !strings.Contains(got.Detail, tc.wantDetail) {
				t.Errorf("detail %q, want %q in it", got.Detail, tc.wantDetail)
			}
		})
	}
}

func TestUrgencyBonusIsCappedAndOnlyForOpenIssues(t *testing.T) {
	iss := plainIssue()
	iss.DueDate, iss.FixVersionRelease, iss.RecentComments = dayOffset(1), dayOffset(2), 30
	iss.Links = []domain.Link{{Kind: domain.LinkBlocks, OtherKey: "A-1"}, {Kind: domain.LinkBlocks, OtherKey: "A-2"}}
	ev, bonus := urgency(iss, testNow)
	if bonus != MaxUrgencyBonus {
		t.Errorf("bonus = %v, want the cap %v", bonus, MaxUrgencyBonus)
	}
	for i := 1; i < len(ev); i++ {
		if ev[i].Delta > ev[i-1].Delta {
			t.Errorf("evidence not strongest first: %+v", ev)
		}
	}
	iss.StatusCat = domain.StatusDone
	if ev, bonus := urgency(iss, testNow); len(ev) != 0 || bonus != 0 {
		t.Errorf("done issue: %v, %v; want no urgency", ev, bonus)
	}
}

func TestDaysUntilUsesCalendarDays(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	due := time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		now  time.Time
		want int
	}{
		{time.Date(2025, 3, 10, 0, 0, 1, 0, time.UTC), 1},
		{time.Date(2025, 3, 10, 23, 59, 0, 0, time.UTC), 1},
		{time.Date(2025, 3, 11, 23, 0, 0, 0, time.UTC), 0},
		{time.Date(2025, 3, 12, 0, 30, 0, 0, berlin), 0}, // 23:30 UTC on the 11th
		{time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC), -3},
	}
	for _, tc := range tests {
		if got := daysUntil(due, tc.now); got != tc.want {
			t.Errorf("daysUntil(%v, %v) = %d, want %d", due, tc.now, got, tc.want)
		}
	}
}
