package score

import (
	"cmp"
	"slices"

	"github.com/backlogai/backlogai/server/domain"
)

// Sentences name at most this many supporting signals and one opposing.
const (
	maxPros = 3
	maxCons = 1
)

// minSentenceDelta is the smallest |Delta| a sentence mentions: smaller
// signals are real but not worth a reader's attention.
const minSentenceDelta = 0.5

// sortEvidence orders evidence strongest first (by Delta, stable).
func sortEvidence(ev []domain.Evidence) {
	slices.SortStableFunc(ev, func(a, b domain.Evidence) int { return cmp.Compare(b.Delta, a.Delta) })
}

// tagged is evidence with the pillar it came from, for grouping.
type tagged struct {
	domain.Evidence
	pillar int
}

func whyNow(iss *domain.Issue, urgency []domain.Evidence) string {
	if len(urgency) == 0 {
		if !iss.Open() {
			return "It is done, so nothing about it is urgent."
		}
		return "Nothing makes it urgent: no close due date or release, and it blocks no open issue."
	}
	pros := make([]tagged, 0, 2)
	for _, e := range urgency {
		if len(pros) == 2 {
			break
		}
		pros = append(pros, tagged{Evidence: e})
	}
	return sentence(pros, nil, "")
}

func whyThis(pillars []domain.PillarScore) string {
	pros, cons := strongest(pillars, 0, 1)
	return sentence(pros, cons, "No user or commercial signal speaks for it yet")
}

func whyUs(pillars []domain.PillarScore, noStrategy bool) string {
	pros, cons := strongest(pillars, 2, 3, 4)
	empty := "No strategic, competitive or technical signal stands out"
	if noStrategy {
		empty = "No strategic, competitive or technical signal stands out (set a vision or objectives on the Strategy tab to judge fit)"
	}
	return sentence(pros, cons, empty)
}

// strongest picks the largest positive and the most negative evidence of
// the given pillars (indexes into domain.Pillars order), at most maxPros and
// maxCons, strongest first, ties in order of appearance.
func strongest(pillars []domain.PillarScore, which ...int) (pros, cons []tagged) {
	pros, cons = make([]tagged, 0, maxPros), make([]tagged, 0, maxCons)
	// A defect's priority is already said by its defect evidence ("High
	// priority and overdue by 15 days"); the commercial one would repeat it.
	defectPriority := false
	for _, p := range pillars {
		defectPriority = defectPriority || slices.ContainsFunc(p.Evidence, func(e domain.Evidence) bool { return e.Signal == "defect_priority" })
	}
	for _, p := range pillars {
		k := pillarIndex(p.Name)
		if !slices.Contains(which, k) {
			continue
		}
		for _, e := range p.Evidence {
			if defectPriority && e.Signal == "priority" {
				continue
			}
			switch {
			case e.Delta >= minSentenceDelta:
				pros = insertTop(pros, tagged{e, k}, 1)
			case e.Delta <= -minSentenceDelta:
				cons = insertTop(cons, tagged{e, k}, -1)
			}
		}
	}
	return pros, cons
}

// insertTop inserts t into list, kept sorted by Delta·sign descending and
// no longer than its capacity.
func insertTop(list []tagged, t tagged, sign float64) []tagged {
	i := len(list)
	for i > 0 && t.Delta*sign > list[i-1].Delta*sign {
		i--
	}
	if i == cap(list) {
		return list
	}
	if len(list) < cap(list) {
		list = append(list, tagged{})
	}
	copy(list[i+1:], list[i:])
	list[i] = t
	return list
}

// clauseVerbs turns an evidence detail that is a noun phrase ("12 votes")
// into a clause ("it has 12 votes"); other details are clauses already.
var clauseVerbs = map[string]string{
	"votes": "has", "watchers": "has", "customer_requests": "has", "priority": "has",
	"pain": "uses", "differentiator": "uses", "catch_up": "uses", "research": "has",
	"estimate": "is", "too_big": "is", "blockers": "is", "dependencies": "has",
	"quality": "has", "recent_comments": "has", "recent_votes": "has",
}

// writeClauses writes evidence as clauses joined "a, b, and c", merging
// details that share a verb ("it has 12 votes and 5 watchers"), in order of
// first appearance.
func writeClauses(b []byte, ev []tagged) []byte {
	ev = ev[:min(len(ev), maxPros+maxCons)]
	var verbs [maxPros + maxCons]string // verb of unit u, "" for a ready clause
	var members [maxPros + maxCons][maxPros + maxCons]int
	var size [maxPros + maxCons]int
	units := 0
	for i, e := range ev {
		verb, ok := clauseVerbs[e.Signal]
		u := units
		if ok {
			for j := 0; j < units; j++ {
				if verbs[j] == verb {
					u = j
					break
				}
			}
		}
		if u == units {
			verbs[u] = verb
			units++
		}
		members[u][size[u]] = i
		size[u]++
	}
	for u := 0; u < units; u++ {
		switch {
		case u == 0:
		case u == units-1:
			b = append(b, ", and "...)
		default:
			b = append(b, ", "...)
		}
		if verbs[u] != "" {
			b = append(b, "it "...)
			b = append(b, verbs[u]...)
			b = append(b, ' ')
		}
		for k := 0; k < size[u]; k++ {
			switch {
			case k == 0:
			case k == size[u]-1:
				b = append(b, " and "...)
			default:
				b = append(b, ", "...)
			}
			b = append(b, ev[members[u][k]].Detail...)
		}
	}
	return b
}

// sentence builds one sentence from the supporting evidence (strongest
// first), then ", but " and the opposing evidence: "It has 12 votes and 5
// watchers, and the Enterprise label marks it commercial." With nothing in
// support it reads "<empty>." or "<empty>; <opposing>.".
func sentence(pros, cons []tagged, empty string) string {
	b := make([]byte, 0, 200)
	if len(pros) == 0 {
		b = append(b, empty...)
		if len(cons) > 0 {
			b = append(b, "; "...)
			b = writeClauses(b, cons)
		}
	} else {
		b = writeClauses(b, pros)
		if len(cons) > 0 {
			b = append(b, ", but "...)
			b = writeClauses(b, cons)
		}
	}
	b = append(b, '.')
	if len(b) > 0 && 'a' <= b[0] && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}
