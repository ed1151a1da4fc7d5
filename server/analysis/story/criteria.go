package story

import "strings"

// Kind is the form acceptance criteria are written in.
type Kind string

const (
	// KindNone: no acceptance criteria found.
	KindNone Kind = ""
	// KindGWT: Given/When/Then scenarios.
	KindGWT Kind = "gwt"
	// KindChecklist: a list of conditions (bullets, numbers, checkboxes).
	KindChecklist Kind = "checklist"
)

// Criterion is one acceptance criterion: a checklist item or a whole
// Given/When/Then scenario, at [Start, End) of the description.
type Criterion struct {
	Text       string
	Start, End int
}

// Criteria is what AcceptanceCriteria found in a description.
type Criteria struct {
	Kind  Kind
	Items []Criterion
	// Start is where the criteria begin in the description (the section
	// heading or the first scenario), or -1 when there are none. Text before
	// it is the story and its context.
	Start int
}

// Headings that open an acceptance criteria section.
var criteriaHeadings = []string{
	"acceptance criteria", "acceptance criterion", "acceptance tests", "acceptance test",
	"definition of done", "done when", "criteria", "ac", "a/c", "acs",
}

// Headings that close it.
var otherHeadings = []string{
	"notes", "note", "out of scope", "design", "technical notes", "tech notes", "dependencies",
	"context", "background", "description", "links", "open questions", "questions", "assumptions",
}

// AcceptanceCriteria extracts acceptance criteria from a description:
// Given/When/Then scenarios anywhere, list items or lines under an
// "Acceptance criteria" heading, and checkbox items ("[ ]", "[x]") anywhere.
func AcceptanceCriteria(description string) Criteria {
	lower := Lower(description)
	res := Criteria{Start: -1}
	var (
		inSection  bool
		afterBlank bool
		scenario   = -1 // index in items of the open scenario
		items      []item
		// headingStart is where the first criteria heading is, -1 if none.
		headingStart = -1
	)
	add := func(s, t int, given, then bool) {
		items = append(items, item{Criterion: Criterion{description[s:t], s, t}, given: given, then: then, section: inSection})
	}
	for ls := 0; ls < len(lower); {
		le := strings.IndexByte(lower[ls:], '\n')
		if le < 0 {
			le = len(lower)
		} else {
			le += ls
		}
		line := ls
		ls = le + 1
		i := skipInline(lower, line, le)
		if i >= le {
			afterBlank = true
			continue
		}
		blank := afterBlank
		afterBlank = false
		// A heading opens (or closes) the section; "AC: text" carries an item.
		if k, e := headingAt(lower, i, le, criteriaHeadings); k >= 0 {
			inSection, scenario = true, -1
			if headingStart < 0 {
				headingStart = line
			}
			if s, t := trim(description, e, le); t > s {
				add(s, t, false, false)
			}
			continue
		}
		if k, _ := headingAt(lower, i, le, otherHeadings); k >= 0 {
			inSection, scenario = false, -1
			continue
		}
		m := listMarkerLen(lower, i)
		checkbox := m > 0 && strings.Contains(lower[i:i+m], "[")
		body := skipSpace(lower, i+m)
		if body >= le {
			continue
		}
		// Given/When/Then, anywhere.
		switch {
		case MatchPhrase(lower, body, "given") >= 0 && scenario >= 0 && items[scenario].title:
			// The "Given" of a "Scenario:" title.
			it := &items[scenario]
			_, t := trim(description, body, le)
			it.End, it.Text, it.title = t, description[it.Start:t], false
			it.then = it.then || inlineThen(lower, body, le)
			continue
		case MatchPhrase(lower, body, "given") >= 0 || MatchPhrase(lower, body, "scenario") >= 0:
			s, t := trim(description, body, le)
			add(s, t, true, inlineThen(lower, body, le))
			scenario = len(items) - 1
			items[scenario].title = MatchPhrase(lower, body, "scenario") >= 0
			continue
		case scenario >= 0 && startsStep(lower, body):
			it := &items[scenario]
			_, t := trim(description, body, le)
			it.End = t
			it.Text = description[it.Start:t]
			if MatchPhrase(lower, body, "then") >= 0 || inlineThen(lower, body, le) {
				it.then = true
			}
			continue
		}
		scenario = -1
		if inSection && blank && m == 0 {
			// Prose after a blank line ends the section.
			inSection = false
		}
		if inSection || checkbox {
			s, t := trim(description, body, le)
			add(s, t, false, false)
		}
	}
	// A "Given" with no "Then" is prose, not a scenario, unless it sits in
	// the section as a plain item.
	for _, it := range items {
		switch {
		case it.given && it.then:
			res.Kind = KindGWT
		case it.given && !it.section:
			continue
		}
		res.Items = append(res.Items, it.Criterion)
	}
	if res.Kind == KindNone && len(res.Items) > 0 {
		res.Kind = KindChecklist
	}
	switch {
	case len(res.Items) == 0:
	case headingStart >= 0 && headingStart < res.Items[0].Start:
		res.Start = headingStart
	default:
		res.Start = res.Items[0].Start
	}
	return res
}

// item is a criterion while it is being collected.
type item struct {
	Criterion
	given, then, section bool
	// title: a "Scenario:" line still waiting for its "Given".
	title bool
}

func startsStep(lower string, i int) bool {
	for _, w := range []string{"when", "then", "and", "but"} {
		if MatchPhrase(lower, i, w) >= 0 {
			return true
		}
	}
	return false
}

// inlineThen reports whether a one-line scenario has a "then" clause.
func inlineThen(lower string, from, to int) bool {
	p, _, _ := findAny(lower, from, to, []string{"then"})
	return p > from
}

// skipInline skips spaces and emphasis markup at the start of a line.
func skipInline(lower string, i, end int) int {
	for i < end && (lower[i] == ' ' || lower[i] == '\t' || lower[i] == '\r' || lower[i] == '*' || lower[i] == '_') {
		i++
	}
	return i
}

// headingAt matches a heading line: optional "#"/"h3." markup, one of
// words, then nothing but ":" and markup, or ": text" (returned as e). It
// returns the index of the word and where the line's content starts after
// the colon, or -1.
func headingAt(lower string, i, end int, words []string) (int, int) {
	for i < end && lower[i] == '#' {
		i++
	}
	if end-i > 3 && lower[i] == 'h' && '1' <= lower[i+1] && lower[i+1] <= '6' && lower[i+2] == '.' {
		i += 3
	}
	i = skipInline(lower, i, end)
	k, e := matchAny(lower, i, words)
	if k < 0 || e > end {
		return -1, 0
	}
	j := e
	for j < end && (lower[j] == ' ' || lower[j] == '*' || lower[j] == '_' || lower[j] == '\r') {
		j++
	}
	if j == end {
		return k, end
	}
	if lower[j] == ':' {
		return k, j + 1
	}
	return -1, 0
}

// listMarkerLen is the length of a list marker at i ("- ", "* ", "• ",
// "1. ", "1) ", "a) ", "[ ] ", "- [x] "), 0 if none.
func listMarkerLen(lower string, i int) int {
	j := i
	switch {
	case j < len(lower) && strings.IndexByte("-*+", lower[j]) >= 0:
		j++
	case hasAt(lower, j, "•"):
		j += len("•")
	case j < len(lower) && '0' <= lower[j] && lower[j] <= '9':
		for j < len(lower) && '0' <= lower[j] && lower[j] <= '9' {
			j++
		}
		if j >= len(lower) || (lower[j] != '.' && lower[j] != ')') {
			return 0
		}
		j++
	case j+1 < len(lower) && 'a' <= lower[j] && lower[j] <= 'z' && lower[j+1] == ')':
		j += 2
	}
	if j > i {
		if j >= len(lower) || !isSpace(lower[j]) {
			return 0
		}
		j = skipSpace(lower, j)
	}
	if hasAt(lower, j, "[ ]") || hasAt(lower, j, "[x]") || hasAt(lower, j, "[]") {
		j += strings.IndexByte(lower[j:], ']') + 1
		if j < len(lower) && !isSpace(lower[j]) {
			return 0
		}
		j = skipSpace(lower, j)
	}
	if j == i {
		return 0
	}
	return j - i
}
