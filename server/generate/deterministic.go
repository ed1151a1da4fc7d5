package generate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/backlogai/backlogai/server/research"
)

// slice is one way of cutting an objective into a story that the
// deterministic mode knows: a role, a goal, a benefit and criteria.
type slice struct {
	title    func(obj string) string
	role     func(persona string) string
	goal     func(obj string) string
	benefit  func(f *Form) string
	criteria func(persona, obj string, f *Form) []string
}

func samePersona(p string) string { return p }

// cuts are tried in order after the core stories, one per part of a
// compound objective. goal is the objective as a verb phrase ("export
// orders").
var cuts = []slice{
	{ // measure
		title: func(goal string) string { return "Track success metrics for " + gerund(shortTitle(goal, 6)) },
		role:  func(string) string { return "product manager" },
		goal: func(goal string) string {
			return "to see each week how " + gerund(goal) + " performs against its success metrics"
		},
		benefit: func(f *Form) string {
			return "so that I can tell within 4 weeks whether the change reaches its target"
		},
		criteria: func(_ string, goal string, f *Form) []string {
			m := firstMetric(f)
			return []string{
				fmt.Sprintf("Given the change is live, when a week ends, then the report shows %s for that week next to its baseline", m),
				"Given fewer than 100 sessions were recorded in a week, when I open the report, then that week is marked as too small to compare",
			}
		},
	},
	{ // recover
		title: func(goal string) string { return "Recover from failures while trying to " + shortTitle(goal, 5) },
		role:  samePersona,
		goal:  func(goal string) string { return "to see the cause of a failed step with the next action to take" },
		benefit: func(f *Form) string {
			return "so that I can finish without contacting support"
		},
		criteria: func(persona, goal string, f *Form) []string {
			return []string{
				fmt.Sprintf("Given I am a %s and a step fails while I %s, when the error is shown, then it names the cause with one next action", persona, goal),
				"Given I take the next action, when I retry, then the data I entered before is still filled in",
			}
		},
	},
	{ // discover
		title: func(goal string) string { return "Point first-time visitors to " + gerund(shortTitle(goal, 5)) },
		role:  samePersona,
		goal:  func(goal string) string { return "to see on my first visit that I can " + goal },
		benefit: func(f *Form) string {
			return "so that I start using it without reading the help pages"
		},
		criteria: func(persona, goal string, f *Form) []string {
			return []string{
				fmt.Sprintf("Given I am a %s on my first visit, when I reach the page, then one message of at most 2 sentences tells me I can %s", persona, goal),
				"Given I dismissed the message, when I come back, then it is not shown again",
			}
		},
	},
	{ // accessibility
		title: func(goal string) string { return "Keyboard access to " + gerund(shortTitle(goal, 5)) },
		role:  func(p string) string { return p + " who uses a screen reader" },
		goal:  func(goal string) string { return "to " + goal + " with the keyboard alone" },
		benefit: func(f *Form) string {
			return "so that I do not depend on someone else's help"
		},
		criteria: func(persona, goal string, f *Form) []string {
			return []string{
				"Given I use only the keyboard, when I move through the flow, then every step is reachable with Tab with a visible focus",
				"Given I use a screen reader, when a step changes, then the change is announced within 1 second",
			}
		},
	},
}

var splitObjective = regexp.MustCompile(`(?i)\s*(?:;|\n|\band also\b|, and\b|\band\b)\s*`)

// Deterministic writes stories from the form alone: one per part of the
// objective ("… and …" makes two), then measurement, error recovery,
// onboarding and accessibility slices, up to the number asked for. Each
// story is well-formed with Given/When/Then criteria built from the form.
func Deterministic(f Form, findings research.Findings) []Content {
	actor, goal0 := goalOf(f.Objective)
	persona := f.Persona
	if persona == "" {
		persona = actor
	}
	persona = role(persona, f.Segment)
	var parts []string
	for _, p := range splitObjective.Split(goal0, -1) {
		if p = strings.Trim(strings.TrimSpace(p), ".!"); len(strings.Fields(p)) >= 2 {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		parts = []string{goal0}
	}
	var out []Content
	for _, part := range parts {
		if len(out) < f.Count {
			out = append(out, core(persona, part, &f, findings))
		}
	}
	for i := 0; len(out) < f.Count && i < len(cuts); i++ {
		s := cuts[i]
		r := s.role(persona)
		c := base(&f, findings)
		c.Title = truncate(s.title(parts[0]), maxTitle)
		c.UserStory = fmt.Sprintf("As %s %s, I want %s, %s.", article(r), r, s.goal(parts[0]), s.benefit(&f))
		c.AcceptanceCriteria = s.criteria(persona, parts[0], &f)
		c.normalize()
		out = append(out, c)
	}
	// More stories than slices: one per further constraint, else stop.
	return out
}

// core is the story of one part of the objective (a verb phrase).
func core(persona, goal string, f *Form, findings research.Findings) Content {
	c := base(f, findings)
	c.Title = truncate(upperFirst(shortTitle(goal, 10)), maxTitle)
	c.UserStory = fmt.Sprintf("As %s %s, I want to %s, so that I reach my goal in fewer steps than today.", article(persona), persona, goal)
	c.AcceptanceCriteria = []string{
		fmt.Sprintf("Given I am a %s, when I %s, then I see the result confirmed within 2 seconds", persona, goal),
		fmt.Sprintf("Given the flow today, when I %s with this change, then it takes at least 1 step fewer", goal),
	}
	if m := firstMetric(f); m != "the success metric" {
		c.AcceptanceCriteria = append(c.AcceptanceCriteria,
			fmt.Sprintf("Given the change is released, when 2 weeks have passed, then %s is reported against its baseline", m))
	}
	c.normalize()
	return c
}

// base holds what every deterministic story shares: NFRs from the
// constraints, metrics, rollout, risks, why-sentences and sources.
func base(f *Form, findings research.Findings) Content {
	c := Content{ParentEpic: f.ParentEpic}
	for _, line := range splitLines(f.Constraints) {
		c.NFRs = append(c.NFRs, upperFirst(line))
	}
	c.Metrics = parseMetrics(f.Metrics)
	audience := "users"
	if f.Segment != "" {
		audience = f.Segment
	}
	c.Rollout = fmt.Sprintf("Release behind a feature flag to 10%% of %s for 2 weeks, compare the success metrics with the rest, then release to everyone.", audience)
	c.Risks = []string{"The story may grow beyond one sprint: hold it to its acceptance criteria and move extras to new stories."}
	c.WhyThis = "It serves the objective: " + strings.TrimRight(oneLine(f.Objective), ".") + "."
	if len(findings.Similar) > 0 {
		s := findings.Similar[0]
		c.WhyThis += fmt.Sprintf(" Related to %s (%d votes); check it before planning.", s.Key, s.Votes)
	}
	if len(findings.Trends) > 0 {
		c.WhyNow = findings.Trends[0].Text
	}
	if len(findings.Differentiators) > 0 {
		c.WhyUs = findings.Differentiators[0].Text
	}
	for i, s := range findings.Sources {
		if i == 3 {
			break
		}
		c.Sources = append(c.Sources, s)
	}
	return c
}

func splitLines(s string) []string {
	var out []string
	for _, l := range regexp.MustCompile(`[\n;]+`).Split(s, -1) {
		if l = strings.Trim(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "-*•")), "."); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var metricFromTo = regexp.MustCompile(`(?i)^(.+?)\s+from\s+(.+?)\s+to\s+(.+)$`)
var metricArrow = regexp.MustCompile(`^(.+?)[:=]\s*(.+?)\s*(?:->|→|=>)\s*(.+)$`)

// parseMetrics reads "checkout completion from 61% to 70%" or
// "checkout completion: 61% -> 70%" lines; others keep their name only.
func parseMetrics(s string) []Metric {
	var out []Metric
	for _, l := range splitLines(s) {
		if m := metricFromTo.FindStringSubmatch(l); m != nil {
			out = append(out, Metric{Name: upperFirst(m[1]), Baseline: m[2], Target: m[3]})
		} else if m := metricArrow.FindStringSubmatch(l); m != nil {
			out = append(out, Metric{Name: upperFirst(m[1]), Baseline: m[2], Target: m[3]})
		} else {
			out = append(out, Metric{Name: upperFirst(l), Baseline: "to be measured before release"})
		}
	}
	return out
}

func firstMetric(f *Form) string {
	ms := parseMetrics(f.Metrics)
	if len(ms) == 0 {
		return "the success metric"
	}
	return lowerFirst(ms[0].Name)
}

// role is the persona as a story role ("mobile shopper"); the segment's
// customers without one; "customer" as a last resort.
func role(persona, segment string) string {
	p := strings.TrimSpace(strings.Trim(oneLine(persona), "."))
	for _, a := range []string{"a ", "an ", "the ", "A ", "An ", "The "} {
		p = strings.TrimPrefix(p, a)
	}
	if p == "" {
		if segment != "" && len(strings.Fields(segment)) <= 3 {
			return "customer in " + strings.TrimSpace(segment)
		}
		return "customer"
	}
	if i := strings.IndexAny(p, ",("); i > 0 {
		p = strings.TrimSpace(p[:i])
	}
	return lowerFirst(p)
}

// article is "a" or "an" for word, by its first sound: "an hour", "a
// user", "an SMS", "a UX designer".
func article(word string) string {
	w := strings.Fields(word)
	if len(w) == 0 {
		return "a"
	}
	first := strings.Trim(w[0], "\"'(")
	if first == "" {
		return "a"
	}
	if len(first) > 1 && strings.ToUpper(first) == first && first[0] >= 'A' && first[0] <= 'Z' {
		// An acronym read letter by letter.
		if strings.ContainsRune("AEFHILMNORSX", rune(first[0])) {
			return "an"
		}
		return "a"
	}
	l := strings.ToLower(first)
	for _, p := range []string{"uni", "use", "usu", "uti", "ure", "eu", "one", "once"} {
		if strings.HasPrefix(l, p) {
			return "a"
		}
	}
	for _, p := range []string{"hour", "honest", "honou", "heir"} {
		if strings.HasPrefix(l, p) {
			return "an"
		}
	}
	if strings.ContainsRune("aeiou", rune(l[0])) || l[0] == '8' {
		return "an"
	}
	return "a"
}

var actorGoal = regexp.MustCompile(`(?i)^(?:let|allow|enable|help)\s+(?:the\s+|our\s+)?([a-z][a-z-]*)\s+(?:to\s+)?(.+)$`)

// goalOf reads the objective as an actor and a goal: "Let merchants
// export orders" → ("merchant", "export orders"); otherwise no actor and
// the objective as a lowercase verb phrase without "to".
func goalOf(objective string) (string, string) {
	obj := strings.Trim(oneLine(objective), ".! ")
	if m := actorGoal.FindStringSubmatch(obj); m != nil && len(strings.Fields(m[2])) >= 1 {
		return singular(strings.ToLower(m[1])), strings.TrimPrefix(lowerFirst(m[2]), "to ")
	}
	return "", strings.TrimPrefix(lowerFirst(obj), "to ")
}

func singular(w string) string {
	switch {
	case strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ss"):
		return w
	case strings.HasSuffix(w, "s"):
		return w[:len(w)-1]
	}
	return w
}

// gerund turns a verb phrase's first word into its -ing form ("export
// orders" → "exporting orders") for use as a noun.
func gerund(goal string) string {
	w := strings.Fields(goal)
	if len(w) == 0 {
		return goal
	}
	v := w[0]
	switch {
	case strings.HasSuffix(v, "ing"):
	case strings.HasSuffix(v, "ie"):
		v = v[:len(v)-2] + "ying"
	case strings.HasSuffix(v, "e") && !strings.HasSuffix(v, "ee") && len(v) > 2:
		v = v[:len(v)-1] + "ing"
	case len(v) == 3 && strings.ContainsRune("aeiou", rune(v[1])) && !strings.ContainsRune("aeiouwxy", rune(v[2])) && !strings.ContainsRune("aeiou", rune(v[0])):
		v = v + v[2:] + "ing" // cut → cutting
	default:
		v += "ing"
	}
	w[0] = v
	return strings.Join(w, " ")
}

// shortTitle keeps the first n words of s.
func shortTitle(s string, n int) string {
	w := strings.Fields(strings.Trim(s, ".!"))
	if len(w) > n {
		w = w[:n]
	}
	return strings.Join(w, " ")
}
