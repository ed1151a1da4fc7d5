package score

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// DueSoonDays is how close (in calendar days, today included) the due date
// of a Highest-priority issue must be for it to be Must: close enough that
// the next planning meeting may come after the date.
const DueSoonDays = 3

// ForcedSignal marks the urgency evidence of a forced Must's lift.
const ForcedSignal = "forced_must"

// ForcedMust returns why an open issue is Must whatever its rank, or "":
// its due date has passed and its priority is High or above (High, Major,
// P2, or the Highest tier), or it is due within DueSoonDays and its
// priority is in the Highest tier (Highest, Blocker, Critical, Urgent, P0,
// P1). A team that set both a date and a high priority has already decided
// the issue matters now; the relative shares must not file it under Could.
// The tiers are those of the Commercial Impact pillar (priorityDelta).
func ForcedMust(iss *domain.Issue, now time.Time) string {
	if iss == nil || !iss.Open() || iss.DueDate == nil {
		return ""
	}
	delta, _ := priorityDelta(iss.Priority)
	name := strings.TrimSpace(iss.Priority)
	due := iss.DueDate.Format("2006-01-02")
	switch d := daysUntil(*iss.DueDate, now); {
	case d < 0 && delta >= 1.5:
		return "Overdue: due " + due + " (" + plural(-d, "day") + " ago), priority " + name +
			". An open issue of High priority or above past its due date is a Must."
	case d >= 0 && d <= DueSoonDays && delta >= 2.5:
		when := "today"
		if d > 0 {
			when = "in " + plural(d, "day")
		}
		return "Due " + due + " (" + when + "), priority " + name +
			". An open issue of Highest priority due within " + plural(DueSoonDays, "day") + " is a Must."
	}
	return ""
}

// Force makes reason the computed class's basis and Must the computed
// class; a person's override still wins.
func Force(s *domain.Score, reason string) {
	s.Computed = domain.MoscowMust
	s.ClassBasis = reason
	ApplyOverride(s, s.Override)
}

// liftMargin puts a lifted total just above its bound, so that an issue
// of the next class tied with the bound is not listed above it.
const liftMargin = 0.01

// Lift raises a forced Must's total to just above bound (the lowest Must
// total of the ranking, or the Must threshold), so that it is listed,
// sorted and filtered (JQL backlogScore) among the Musts rather than among
// the issues its pillars alone would place it with. The raise is urgency:
// it is added to the bonus and explained as urgency evidence, so that the
// total is still the pillars plus the bonus. what names the bound ("this
// backlog's lowest Must score"). A total at or above bound is left alone.
func Lift(s *domain.Score, bound float64, what string) {
	if !(s.Total < bound) {
		return
	}
	to := min(bound+liftMargin, 100)
	d := to - s.Total
	s.Total = to
	s.UrgencyBonus += d
	s.Urgency = append(s.Urgency, domain.Evidence{Signal: ForcedSignal,
		Detail: "a Must by its due date and priority: raised to " + what + ", " + fmtNum(math.Floor(bound)) + ", to rank among the Musts",
		Delta:  round2(d)})
	sortEvidence(s.Urgency)
}

// unlift undoes Lift, so that a score analysed between rankings (lifted to
// the last ranking's bound) is ranked on its own merit again.
func unlift(s *domain.Score) {
	i := slices.IndexFunc(s.Urgency, func(e domain.Evidence) bool { return e.Signal == ForcedSignal })
	if i < 0 {
		return
	}
	s.Urgency = slices.Delete(slices.Clone(s.Urgency), i, i+1)
	var sum float64
	for _, e := range s.Urgency {
		sum += e.Delta
	}
	s.UrgencyBonus = min(sum, MaxUrgencyBonus) // as urgency() summed it
}
