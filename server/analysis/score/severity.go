package score

import (
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// A defect's value is the harm it does, not who a story is for: bugs,
// tasks and sub-tasks are written without a persona, so User Value reads
// their severity words, Jira priority and due date instead.

// severityClass is a kind of harm, strongest first.
type severityClass int

const (
	sevSecurity severityClass = iota
	sevData
	sevOutage
	sevNone
)

// severityDelta is what each class adds to User Value; a second class adds
// severitySecond more.
var severityDelta = [...]float64{sevSecurity: 3.5, sevData: 3, sevOutage: 2.5}

const severitySecond = 0.5

// severityTerms maps a lowercase token (or the first token of a phrase) to
// its class. Phrases guard words that are harmless alone ("double" in
// "double-click").
var severityTerms = map[string][]severityTerm{
	"security": {{class: sevSecurity}}, "vulnerability": {{class: sevSecurity}},
	"vulnerable": {{class: sevSecurity}}, "exploit": {{class: sevSecurity}},
	"unauthorized": {{class: sevSecurity}}, "unauthorised": {{class: sevSecurity}},
	"bypass": {{class: sevSecurity}}, "bypasses": {{class: sevSecurity}},
	"permission": {{class: sevSecurity}}, "permissions": {{class: sevSecurity}},
	"privilege": {{class: sevSecurity}}, "privileges": {{class: sevSecurity}},
	"leak": {{class: sevSecurity}}, "leaks": {{class: sevSecurity}}, "leaked": {{class: sevSecurity}},
	"exposed": {{class: sevSecurity}}, "exposes": {{class: sevSecurity}},
	"injection": {{class: sevSecurity}}, "xss": {{class: sevSecurity}}, "csrf": {{class: sevSecurity}},
	"privacy": {{class: sevSecurity}}, "gdpr": {{class: sevSecurity}},
	"encrypt": {{class: sevSecurity}}, "unencrypted": {{class: sevSecurity}}, "plaintext": {{class: sevSecurity}},

	"corrupt": {{class: sevData}}, "corrupted": {{class: sevData}}, "corruption": {{class: sevData}},
	"twice": {{class: sevData}}, "overcharged": {{class: sevData}}, "overcharge": {{class: sevData}},
	"undercharged": {{class: sevData}}, "mismatch": {{class: sevData}},
	"double":   {{rest: []string{"charge"}, class: sevData}, {rest: []string{"charged"}, class: sevData}, {rest: []string{"payment"}, class: sevData}},
	"negative": {{rest: []string{"balance"}, class: sevData}, {rest: []string{"stock"}, class: sevData}},
	"data":     {{rest: []string{"loss"}, class: sevData}},
	"lost":     {{rest: []string{"data"}, class: sevData}, {rest: []string{"orders"}, class: sevData}},
	"drops":    {{rest: []string{"rows"}, class: sevData}, {rest: []string{"orders"}, class: sevData}},

	"crash": {{class: sevOutage}}, "crashes": {{class: sevOutage}}, "crashed": {{class: sevOutage}},
	"crashing": {{class: sevOutage}}, "outage": {{class: sevOutage}}, "outages": {{class: sevOutage}},
	"unavailable": {{class: sevOutage}}, "downtime": {{class: sevOutage}}, "freezes": {{class: sevOutage}},
	"502": {{class: sevOutage}}, "503": {{class: sevOutage}}, "500": {{rest: []string{"error"}, class: sevOutage}},
}

type severityTerm struct {
	rest  []string // further words of a phrase
	class severityClass
}

// severityNoun is how a glance names each class ("a security defect").
func severityNoun(c severityClass, t domain.IssueType) string {
	thing := "defect"
	if t != domain.TypeBug {
		thing = "issue"
	}
	switch c {
	case sevSecurity:
		return "a security " + thing
	case sevData:
		return "a data-integrity " + thing
	case sevOutage:
		return "a crash or outage " + thing
	}
	return ""
}

// valuedAsDefect reports whether an issue's User Value is its harm: the
// types that are not written as stories for a persona (epics take their
// children's value instead).
func valuedAsDefect(t domain.IssueType) bool {
	return t == domain.TypeBug || t == domain.TypeTask || t == domain.TypeSubtask
}

// severities returns the classes of harm the tokens name, strongest first,
// with the first word or phrase of each.
func severities(toks []string) (classes []severityClass, words []string) {
	var found [sevNone]string
	for i, w := range toks {
		for _, t := range severityTerms[w] {
			if found[t.class] == "" && hasAt(toks, i+1, t.rest) {
				found[t.class] = w
				for _, r := range t.rest {
					found[t.class] += " " + r
				}
			}
		}
	}
	for c, w := range found {
		if w != "" {
			classes = append(classes, severityClass(c))
			words = append(words, w)
		}
	}
	return classes, words
}

// defectValue adds a defect's severity, priority and lateness to p.
func defectValue(p *pillar, iss *domain.Issue, s *signals, overdue int) {
	if s.severity != sevNone {
		d := severityDelta[s.severity] + severitySecond*float64(s.sevClasses-1)
		p.add("severity", severityNoun(s.severity, iss.Type)+" (“"+s.sevWord+"”)", d)
	}
	d, name := defectPriorityDelta(iss.Priority)
	detail := ""
	if d != 0 {
		detail = name + " priority"
	}
	if overdue > 0 && d >= 0 {
		// A defect past its due date keeps hurting the people it was
		// promised to.
		if detail != "" {
			detail += " and "
		}
		detail += "overdue by " + plural(overdue, "day")
		d++
	}
	if detail != "" {
		p.add("defect_priority", detail, d)
	}
}

// overdueDays is how many days past its due date an open issue is (0 if
// not overdue).
func overdueDays(iss *domain.Issue, now time.Time) int {
	if iss.DueDate == nil || !iss.Open() {
		return 0
	}
	return max(0, -daysUntil(*iss.DueDate, now))
}

// A security or data-integrity defect is also a business risk (refunds,
// churn, liability) and a threat to trust in the whole product, whatever
// the strategy's wording: Commercial Impact and Strategic Horizon count it.
const (
	severeCommercial = 1.5
	severeStrategic  = 1.5
)

// severeRisk adds the business or strategic side of a severe defect to p.
func severeRisk(p *pillar, iss *domain.Issue, s *signals, delta float64, what string) {
	if s.severity == sevSecurity || s.severity == sevData {
		p.add("severity", severityNoun(s.severity, iss.Type)+" "+what, delta)
	}
}

// defectPriorityDelta maps Jira's priority to a defect's User Value: the
// priority is the team's own judgement of the harm.
func defectPriorityDelta(name string) (float64, string) {
	switch d, n := priorityDelta(name); {
	case d >= 2.5:
		return 3, n
	case d >= 1.5:
		return 2, n
	default:
		return d, n
	}
}
