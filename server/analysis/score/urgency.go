package score

import (
	"math"
	"strconv"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

const day = 24 * time.Hour

// urgency returns the why-now evidence of an open issue and the bonus it
// earns: the sum of the deltas, capped at MaxUrgencyBonus. Done issues are
// not urgent.
func urgency(iss *domain.Issue, now time.Time) ([]domain.Evidence, float64) {
	if !iss.Open() {
		return nil, 0
	}
	var ev []domain.Evidence
	add := func(signal, detail string, delta float64) {
		if delta > 0 {
			ev = append(ev, domain.Evidence{Signal: signal, Detail: detail, Delta: round2(delta)})
		}
	}
	if iss.DueDate != nil {
		d := daysUntil(*iss.DueDate, now)
		switch {
		case d < 0:
			add("due_date", "it is overdue by "+plural(-d, "day"), 3)
		case d == 0:
			add("due_date", "it is due today", 3)
		case d <= 7:
			add("due_date", "it is due in "+plural(d, "day"), 3)
		case d <= 14:
			add("due_date", "it is due in "+plural(d, "day"), 2)
		case d <= 30:
			add("due_date", "it is due in "+plural(d, "day"), 1)
		}
	}
	var blocks []string
	for _, l := range iss.Links {
		if l.Kind == domain.LinkBlocks && !l.OtherDone {
			blocks = append(blocks, l.OtherKey)
		}
	}
	if n := len(blocks); n > 0 {
		add("blocks", "it blocks "+plural(n, "open issue")+" ("+joinAnd(blocks, 3)+")", geo(n, 2))
	}
	if iss.FixVersionRelease != nil {
		d := daysUntil(*iss.FixVersionRelease, now)
		switch {
		case d < 0:
			add("fix_version", "its fix version was due "+plural(-d, "day")+" ago", 1.5)
		case d == 0:
			add("fix_version", "its fix version releases today", 1.5)
		case d <= 14:
			add("fix_version", "its fix version releases in "+plural(d, "day"), 1.5)
		case d <= 30:
			add("fix_version", "its fix version releases in "+plural(d, "day"), 0.75)
		}
	}
	if c := iss.RecentComments; c > 0 {
		add("recent_comments", plural(c, "comment")+" in the last 30 days", sat(c, 1, 10))
	}
	if iss.Votes >= 3 && !iss.Updated.IsZero() && now.Sub(iss.Updated) <= 14*day && now.Sub(iss.Updated) >= 0 {
		add("recent_votes", strconv.Itoa(iss.Votes)+" votes and activity in the last 14 days", 0.5)
	}
	sortEvidence(ev)
	var sum float64
	for _, e := range ev {
		sum += e.Delta
	}
	return ev, min(sum, MaxUrgencyBonus)
}

// daysUntil counts calendar days from now to t in t's location, so a due
// date (midnight) is "today" all day long.
func daysUntil(t, now time.Time) int {
	now = now.In(t.Location())
	a := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	b := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return int(math.Round(b.Sub(a).Hours() / 24))
}
