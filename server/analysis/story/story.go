// Package story finds user story sentences in issue text and breaks them into
// role, means and benefit, and extracts acceptance criteria from a
// description. It is pure and allocation-light: offsets are byte offsets into
// the text given, so that checks can point at the exact words.
package story

import (
	"strings"

	"github.com/backlogai/backlogai/server/domain"
)

// Template names recorded in domain.Story.Template.
const (
	// TemplateAsIWant is "As a <role>, I want <means>[, so that <benefit>]".
	TemplateAsIWant = "as-i-want-so-that"
	// TemplateInOrderTo is "In order to <benefit>, as a <role>, I want <means>"
	// (also with a leading "So that").
	TemplateInOrderTo = "in-order-to"
	// TemplateIWant is "I want <means>[, so that <benefit>]": no role.
	TemplateIWant = "i-want"
	// TemplateAsRole is "As a <role>, <means>": a role but no "I want".
	TemplateAsRole = "as-role"
)

// maxRole bounds how far after "As a" the means indicator may be, so that an
// "as" in ordinary prose is not taken for a role.
const maxRole = 200

// Parsed is a story sentence found in a text.
type Parsed struct {
	domain.Story
	// Start and End bound the whole story sentence in the text, including
	// its closing punctuation.
	Start, End int
	// Lead is the text from the start of the sentence up to the means
	// ("As a user, I want to "), reused when a fix rewrites the means.
	Lead string
	// Extra points at text inside the sentence that belongs to no part, such
	// as a second sentence between the role and "I want"; nil when none.
	Extra *domain.Span
	// Field is where the sentence was found (Start and End are offsets in
	// that field's text), also when no part could be extracted.
	Field domain.Field
}

// Means indicators, longest first where one is a prefix of another.
var meansIndicators = []string{
	"i would like", "i'd like", "i would love", "i'd love", "i would want", "i'd want",
	"i want", "i wanna", "i need", "i wish", "i can", "i could", "i should", "i must",
	"i am able", "i'm able", "i will be able", "i expect", "i require", "i prefer",
	"i do not want", "i don't want", "i would",
	"i only want", "i also want", "i just want", "i really want", "i also need", "i only need",
	"we would like", "we'd like", "we want", "we need", "we can", "we should", "we must",
	"would like",
	// Goals and assignments state the means too ("I aim to build …", "I am
	// tasked with designing …"), so the means checks run on them.
	"i aim", "i am aiming", "i'm aiming", "i am interested in", "i'm interested in",
	"i am tasked with", "i'm tasked with", "i seek", "i intend", "i strive",
	"we aim", "we are interested in", "we are tasked with",
}

// Benefit indicators; a bare "so" is accepted only where soAllowed says.
var benefitIndicators = []string{"so that", "so as to", "in order to", "in order that", "such that", "so"}

// Leading benefit of the in-order-to template.
var leadingBenefit = []string{"in order to", "so that"}

// Words that may follow a bare "so" introducing a benefit ("so I can").
var soFollowers = map[string]bool{
	"i": true, "we": true, "you": true, "they": true, "he": true, "she": true, "it": true,
	"my": true, "our": true, "the": true, "their": true, "his": true, "her": true, "its": true,
	"users": true, "user": true, "customers": true, "people": true, "others": true,
	"there": true, "this": true, "these": true, "that": true, "a": true, "an": true, "i'm": true,
}

// Articles skipped before a role ("As a user" → "user").
var articles = []string{"an", "a", "the", "one", "some"}

// Parse finds the first story sentence in text. Spans in the result point
// into text and carry field. ok is false when text holds no template.
func Parse(text string, field domain.Field) (Parsed, bool) {
	return parse(text, Lower(text), field, 0, false)
}

// storyParagraphs bounds how many description paragraphs Locate reads.
const storyParagraphs = 3

// Locate finds the story sentence of an issue: the summary when it is
// written as a story with a role, else the first paragraph of the
// description (among its first few, before any acceptance criteria heading)
// that starts with a story template, else a role-less "I want …" summary.
func Locate(summary, description string) (Parsed, bool) {
	ps, okS := Parse(summary, domain.FieldSummary)
	if okS && ps.Template != TemplateIWant {
		return ps, true
	}
	lower := Lower(description)
	var roleless Parsed
	var okRoleless bool
	for n, at := 0, 0; n < storyParagraphs && at < len(lower); n++ {
		at = skipSpace(lower, at)
		if at >= len(lower) {
			break
		}
		le := strings.IndexByte(lower[at:], '\n')
		if le < 0 {
			le = len(lower) - at
		}
		if k, _ := headingAt(lower, at, at+le, criteriaHeadings); k >= 0 {
			break
		}
		if p, ok := parse(description, lower, domain.FieldDescription, at, true); ok {
			if p.Template != TemplateIWant {
				return p, true
			}
			// Without a role, only a wish or goal reads as a story: "We
			// should look into this." is prose about the work.
			if !okRoleless && wishLead(Lower(p.Lead)) {
				roleless, okRoleless = p, true
			}
		}
		at = nextParagraph(lower, at)
	}
	if okS {
		return ps, true
	}
	return roleless, okRoleless
}

// wishLead reports whether a role-less lead ("I want to ", "We should ")
// states a wish or goal rather than a modal remark.
func wishLead(lead string) bool {
	for _, w := range []string{"want", "need", "like", "love", "wish", "wanna", "require", "prefer", "expect", "aim", "interested", "tasked", "seek", "intend", "strive"} {
		if i := strings.Index(lead, w); i >= 0 && (i == 0 || !isWordByte(lead[i-1])) {
			return true
		}
	}
	return false
}

// nextParagraph returns the start of the paragraph after the one at i.
func nextParagraph(lower string, i int) int {
	for {
		nl := strings.IndexByte(lower[i:], '\n')
		if nl < 0 {
			return len(lower)
		}
		i += nl + 1
		if j := skipLineSpace(lower, i); j >= len(lower) || lower[j] == '\n' {
			return j
		}
	}
}

func skipLineSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	return i
}

// parse does the work from byte from; anchored requires the template to
// start there (after a bullet or "Story:" prefix).
func parse(text, lower string, field domain.Field, from int, anchored bool) (Parsed, bool) {
	p, ok := parseAt(text, lower, field, from, anchored)
	if ok {
		p.Field = field
	}
	return p, ok
}

func parseAt(text, lower string, field domain.Field, from int, anchored bool) (Parsed, bool) {
	begin := skipPrefix(lower, from)
	if begin >= len(lower) {
		return Parsed{}, false
	}
	// "In order to <benefit>, as a <role>, I want <means>".
	if k, e := matchAny(lower, begin, leadingBenefit); k >= 0 {
		if p, ok := parseInOrderTo(text, lower, field, begin, e); ok {
			return p, true
		}
	}
	// "I want <means>" with no role.
	if k, e := matchAny(lower, begin, meansIndicators); k >= 0 {
		p := Parsed{Start: begin}
		p.Template = TemplateIWant
		fillMeansAndBenefit(&p, text, lower, field, e, begin)
		return p, true
	}
	// "As a <role>, I want <means>": the role marker may follow a short
	// prefix ("Export: As a user, …") unless anchored.
	limit := len(lower)
	if anchored {
		limit = begin + 1
	} else if nl := strings.IndexByte(lower[begin:], '\n'); nl >= 0 {
		limit = begin + nl
	}
	for i := begin; i < limit; i++ {
		if lower[i] != 'a' || (i > 0 && wordBefore(lower, i)) {
			continue
		}
		if p, ok := parseAsRole(text, lower, field, i); ok {
			return p, true
		}
	}
	return Parsed{}, false
}

// parseAsRole parses "As a <role>, I want <means>[, so that <benefit>]"
// with "as" at i.
func parseAsRole(text, lower string, field domain.Field, i int) (Parsed, bool) {
	roleStart, ok := afterAs(lower, i)
	if !ok {
		return Parsed{}, false
	}
	end := paragraphEnd(lower, roleStart)
	limit := min(end, roleStart+maxRole)
	// "I can" after "so that" belongs to the benefit, not the means.
	if b, _, _ := findBenefit(lower, roleStart, limit); b >= 0 {
		limit = b
	}
	ind, _, indEnd := findAny(lower, roleStart, limit, meansIndicators)
	p := Parsed{Start: i}
	p.Template = TemplateAsIWant
	if ind < 0 {
		// "As a user, export reports": a role and a comma, no indicator.
		comma := strings.IndexByte(lower[roleStart:limit], ',')
		if comma < 0 || comma > sentenceEnd(text, lower, roleStart)-roleStart || !startsText(lower, i) {
			return Parsed{}, false
		}
		p.Template = TemplateAsRole
		setRole(&p, text, field, roleStart, roleStart+comma)
		fillMeansAndBenefit(&p, text, lower, field, roleStart+comma+1, i)
		return p, true
	}
	// The role ends at the first comma or line break before the indicator;
	// anything else before the indicator is extra text.
	roleEnd := ind
	if c := strings.IndexAny(lower[roleStart:ind], ",\n"); c >= 0 {
		roleEnd = roleStart + c
	}
	setRole(&p, text, field, roleStart, roleEnd)
	if s, e := trim(text, roleEnd, ind); e > s {
		p.Extra = &domain.Span{Field: field, Start: s, End: e}
	}
	fillMeansAndBenefit(&p, text, lower, field, indEnd, i)
	return p, true
}

// parseInOrderTo parses "In order to <benefit>, as a <role>, I want
// <means>"; benefitStart is just after "in order to".
func parseInOrderTo(text, lower string, field domain.Field, start, benefitStart int) (Parsed, bool) {
	end := paragraphEnd(lower, benefitStart)
	p := Parsed{Start: start}
	p.Template = TemplateInOrderTo
	benefitEnd, ind, indEnd := -1, -1, -1
	for i := benefitStart; i < end && ind < 0; i++ {
		if lower[i] != 'a' || wordBefore(lower, i) {
			continue
		}
		roleStart, ok := afterAs(lower, i)
		if !ok {
			continue
		}
		if ind, _, indEnd = findAny(lower, roleStart, min(end, roleStart+maxRole), meansIndicators); ind < 0 {
			continue
		}
		benefitEnd = i
		roleEnd := ind
		if c := strings.IndexAny(lower[roleStart:ind], ",\n"); c >= 0 {
			roleEnd = roleStart + c
		}
		setRole(&p, text, field, roleStart, roleEnd)
		if s, e := trim(text, roleEnd, ind); e > s {
			p.Extra = &domain.Span{Field: field, Start: s, End: e}
		}
	}
	if ind < 0 {
		// "In order to <benefit>, I want <means>": no role.
		if ind, _, indEnd = findAny(lower, benefitStart, end, meansIndicators); ind < 0 {
			return Parsed{}, false
		}
		benefitEnd = ind
	}
	if s, e := trim(text, benefitStart, benefitEnd); e > s {
		p.Benefit = text[s:e]
		p.BenefitSpan = &domain.Span{Field: field, Start: s, End: e}
	}
	ms := meansStart(lower, indEnd)
	p.Lead = text[start:ms]
	cEnd, sEnd := sentenceBounds(text, lower, ms)
	if s, e := trim(text, ms, cEnd); e > s {
		p.Means = text[s:e]
		p.MeansSpan = &domain.Span{Field: field, Start: s, End: e}
	}
	p.End = sEnd
	return p, true
}

// afterAs returns where the role starts if "as" + optional article is at i.
func afterAs(lower string, i int) (int, bool) {
	e := MatchPhrase(lower, i, "as")
	if e < 0 || e >= len(lower) || !isSpace(lower[e]) {
		return 0, false
	}
	j := skipSpace(lower, e)
	if k, ae := matchAny(lower, j, articles); k >= 0 && ae < len(lower) && isSpace(lower[ae]) {
		j = skipSpace(lower, ae)
	}
	if !IsWordAt(lower, j) {
		return 0, false
	}
	return j, true
}

func setRole(p *Parsed, text string, field domain.Field, from, to int) {
	if s, e := trim(text, from, to); e > s {
		p.Role = text[s:e]
		p.RoleSpan = &domain.Span{Field: field, Start: s, End: e}
	}
}

// fillMeansAndBenefit reads the means from from (just after the
// indicator) up to the benefit indicator or the end of the sentence, then
// the benefit.
func fillMeansAndBenefit(p *Parsed, text, lower string, field domain.Field, from, start int) {
	ms := meansStart(lower, from)
	p.Lead = text[start:ms]
	cEnd, sEnd := sentenceBounds(text, lower, ms)
	p.End = sEnd
	meansEnd := cEnd
	if b, _, be := findBenefit(lower, ms, cEnd); b >= 0 {
		meansEnd = b
		if s, e := trim(text, be, cEnd); e > s {
			p.Benefit = text[s:e]
			p.BenefitSpan = &domain.Span{Field: field, Start: s, End: e}
		}
	} else if n := skipSpace(lower, sEnd); n < len(lower) && n > cEnd {
		// "… a status. So that I can finish it.": the benefit as a sentence
		// of its own.
		if k, be := matchAny(lower, n, benefitIndicators[:len(benefitIndicators)-1]); k >= 0 {
			bEnd, bsEnd := sentenceBounds(text, lower, be)
			if s, e := trim(text, be, bEnd); e > s {
				p.Benefit = text[s:e]
				p.BenefitSpan = &domain.Span{Field: field, Start: s, End: e}
				p.End = bsEnd
			}
		}
	}
	if s, e := trim(text, ms, meansEnd); e > s {
		p.Means = text[s:e]
		p.MeansSpan = &domain.Span{Field: field, Start: s, End: e}
	}
}

// meansStart skips the glue after a means indicator: "to", "be able to".
func meansStart(lower string, i int) int {
	i = skipSpace(lower, i)
	for _, glue := range []string{"to be able to", "be able to", "to"} {
		if e := MatchPhrase(lower, i, glue); e >= 0 && e < len(lower) && isSpace(lower[e]) {
			return skipSpace(lower, e)
		}
	}
	return i
}

// findBenefit finds the first benefit indicator in lower[from:to].
func findBenefit(lower string, from, to int) (pos, idx, end int) {
	for i := from; i < to; i++ {
		if !isWordByte(lower[i]) {
			continue
		}
		k, e := matchAny(lower, i, benefitIndicators)
		if k < 0 || e > to {
			continue
		}
		if benefitIndicators[k] == "so" && !soAllowed(lower, i, e) {
			continue
		}
		return i, k, e
	}
	return -1, -1, -1
}

// soAllowed accepts a bare "so" as a benefit indicator after a comma or
// before a subject ("so I can", "so the team"), not in "so much".
func soAllowed(lower string, i, e int) bool {
	j := i - 1
	for j >= 0 && isSpace(lower[j]) {
		j--
	}
	if j >= 0 && lower[j] == ',' {
		return true
	}
	w := skipSpace(lower, e)
	we := w
	for we < len(lower) && (isWordByte(lower[we]) || lower[we] == '\'') {
		we++
	}
	return soFollowers[lower[w:we]]
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// trim narrows [from, to) of text past spaces and separating punctuation.
func trim(text string, from, to int) (int, int) {
	for from < to && strings.IndexByte(" \t\r\n,:;-–", text[from]) >= 0 {
		from++
	}
	for to > from && strings.IndexByte(" \t\r\n,:;-", text[to-1]) >= 0 {
		to--
	}
	return from, to
}

// skipPrefix skips leading space, bullets, markup and a "Story:" label.
func skipPrefix(lower string, i int) int {
	for {
		j := i
		for j < len(lower) && (isSpace(lower[j]) || strings.IndexByte("-*+>#_", lower[j]) >= 0) {
			j++
		}
		if hasAt(lower, j, "•") {
			j += len("•")
		}
		if len(lower)-j > 3 && lower[j] == 'h' && '1' <= lower[j+1] && lower[j+1] <= '6' && lower[j+2] == '.' && isSpace(lower[j+3]) {
			j += 3
		}
		for _, label := range []string{"user story", "story", "us"} {
			if e := MatchPhrase(lower, j, label); e >= 0 {
				k := skipSpace(lower, e)
				for k < len(lower) && (lower[k] == '*' || lower[k] == '_') {
					k++
				}
				if k < len(lower) && lower[k] == ':' {
					j = k + 1
				} else if k = skipSpace(lower, k); strings.IndexByte(lower[e:k], '\n') >= 0 {
					j = k // a label on its own line
				}
				break
			}
		}
		if j == i {
			return i
		}
		i = j
	}
}

// startsText reports whether i is the first word of its paragraph, after
// any prefix.
func startsText(lower string, i int) bool {
	j := i
	for j > 0 && lower[j-1] != '\n' {
		j--
	}
	return skipPrefix(lower, j) == i
}

// sentenceEnd is where the sentence that contains from ends, closing
// punctuation included.
func sentenceEnd(text, lower string, from int) int {
	_, e := sentenceBounds(text, lower, from)
	return e
}

// paragraphEnd is where the paragraph that contains from ends: at a blank
// line or a line break before a list item or heading.
func paragraphEnd(lower string, from int) int {
	for i := from; i < len(lower); i++ {
		if lower[i] == '\n' && lineStartsBlock(lower, i+1) {
			return i
		}
	}
	return len(lower)
}

// sentenceBounds returns where the content of the sentence from from ends
// (before closing punctuation) and where the sentence ends (after it). A
// sentence ends at ". " before a capital, at "!" or "?" before a capital, at
// a blank line, or at a line break before a list item or heading.
func sentenceBounds(text, lower string, from int) (contentEnd, end int) {
	for i := from; i < len(lower); i++ {
		switch c := lower[i]; {
		case c == '\n':
			if lineStartsBlock(lower, i+1) {
				return i, i
			}
		case c == '.' || c == '!' || c == '?' || hasAt(lower, i, "…"):
			r := i
			for r < len(lower) && (strings.IndexByte(".!?", lower[r]) >= 0 || hasAt(lower, r, "…")) {
				if lower[r] < 0x80 {
					r++
				} else {
					r += len("…")
				}
			}
			if c == '.' && r == i+1 && abbreviation(lower, i) {
				continue
			}
			if r == len(lower) {
				return i, r
			}
			if isSpace(lower[r]) {
				n := skipSpace(lower, r)
				if n == len(lower) || !isLowerStart(text, n) {
					return i, r
				}
			}
			i = r - 1
		}
	}
	return len(lower), len(lower)
}

// isLowerStart reports whether text has a lowercase ASCII letter at i: a
// sentence does not end at a period followed by one ("e.g. a PDF").
func isLowerStart(text string, i int) bool {
	return 'a' <= text[i] && text[i] <= 'z'
}

var abbreviations = []string{"e.g", "i.e", "etc", "vs", "approx", "incl", "esp", "cf", "ca", "no"}

func abbreviation(lower string, dot int) bool {
	for _, a := range abbreviations {
		if dot >= len(a) && lower[dot-len(a):dot] == a && !wordBefore(lower, dot-len(a)) {
			return true
		}
	}
	return false
}

// lineStartsBlock reports whether the line at i is blank or starts a list
// item, a heading or an acceptance-criteria block.
func lineStartsBlock(lower string, i int) bool {
	for i < len(lower) && (lower[i] == ' ' || lower[i] == '\t' || lower[i] == '\r') {
		i++
	}
	if i >= len(lower) || lower[i] == '\n' {
		return true
	}
	if listMarkerLen(lower, i) > 0 || lower[i] == '#' {
		return true
	}
	for _, kw := range blockWords {
		if MatchPhrase(lower, i, kw) >= 0 {
			return true
		}
	}
	return false
}

var blockWords = []string{
	"acceptance criteria", "acceptance criterion", "acceptance tests", "ac", "a/c",
	"definition of done", "given", "scenario", "notes", "note", "h1.", "h2.", "h3.", "h4.",
}
