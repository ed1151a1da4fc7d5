package checks

import (
	"fmt"
	"strings"

	"github.com/backlogai/backlogai/server/analysis/story"
	"github.com/backlogai/backlogai/server/domain"
)

// checkForm: role, means and benefit present (well-formed), and a benefit
// that adds something to the means (valuable).
func (c *checker) checkForm() {
	if !c.found {
		var span *domain.Span
		if n := len(c.sum.text); n > 0 {
			span = c.sum.span(0, n)
		}
		want := "I want "                                                                                 // "Saved views" → "I want saved views"
		if startsWithVerb(&c.sum, 0) && len(c.sum.words) > 0 && !strings.HasSuffix(c.sum.word(0), "ed") { // "Saved views" is a noun phrase
			want = "I want to " // "Export reports" → "I want to export reports"
		}
		c.add(CodeNoTemplate, domain.SeverityError, span,
			"This is not written as a user story: it doesn't say who wants it, what they want and why.",
			fmt.Sprintf("Rewrite as: 'As a <role>, %s%s, so that <benefit>'.", want, lowerFirst(strings.TrimRight(oneLine(strings.TrimSpace(c.issue.Summary)), "."))))
		return
	}
	p := &c.parsed
	d := c.docFor(p.Field)
	if p.RoleSpan == nil {
		end := p.Start + len(p.Lead)
		if p.MeansSpan != nil {
			end = p.MeansSpan.Start
		}
		for end > p.Start && isBlank(d.text[end-1]) {
			end--
		}
		c.add(CodeMissingRole, domain.SeverityError, d.span(p.Start, max(end, p.Start+1)),
			"The story doesn't say who it is for.",
			fmt.Sprintf("Start with the user: 'As a <role>, %s'.", lowerFirst(oneLine(strings.TrimSpace(d.text[p.Start:p.End])))))
	}
	if p.Template == story.TemplateAsRole || p.MeansSpan == nil {
		fix := "Say what they want: 'As a <role>, I want to <action>, so that <benefit>'."
		if p.Role != "" && p.Means != "" {
			fix = fmt.Sprintf("Say what they want: 'As %s %s, I want to %s'.", article(p.Role), p.Role, lowerFirst(p.Means))
		}
		c.add(CodeMissingMeans, domain.SeverityError, p.RoleSpan,
			"The story names a role but not what that person wants ('I want …').", fix)
	}
	if p.BenefitSpan == nil && c.opts.RequireBenefit && p.MeansSpan != nil {
		sentence := oneLine(strings.TrimRight(strings.TrimSpace(d.text[p.Start:p.MeansSpan.End]), ".!"))
		c.add(CodeMissingBenefit, domain.SeverityWarning, p.MeansSpan,
			"The story doesn't say why: without a benefit nobody can judge its value or find a cheaper way to get it.",
			fmt.Sprintf("Add the reason: '%s, so that <what the user gains>'.", sentence))
	}
	if p.MeansSpan != nil && bareWish(p.Lead) {
		if lo, hi := d.wordRange(p.MeansSpan.Start, p.MeansSpan.End); lo < hi && taskVerbs[d.word(lo)] {
			w := d.words[lo]
			c.add(CodeTaskTitle, domain.SeverityWarning, d.span(w.Start, w.End),
				fmt.Sprintf("'%s%s …' is a task title pasted into the story template: it says what to build, not what the user wants to do.",
					oneLine(strings.TrimSpace(p.Lead[strings.LastIndexAny(strings.TrimRight(p.Lead, " "), " ,")+1:])), d.text[w.Start:w.End]),
				"Say what the user wants to be able to do or see ('I want to <do what>'); if it is technical work with no user-visible result, make it a Task.")
		}
	}
	if p.BenefitSpan != nil && genericOnly(d, p.BenefitSpan.Start, p.BenefitSpan.End) {
		c.add(CodeGenericBenefit, domain.SeverityWarning, p.BenefitSpan,
			fmt.Sprintf("'%s' is boilerplate: it fits any story, so it says nothing about the value of this one.", oneLine(p.Benefit)),
			"Name the concrete gain: time saved, an error avoided, a decision the user can now make.")
	} else if p.BenefitSpan != nil && p.MeansSpan != nil && restates(d, *p.MeansSpan, *p.BenefitSpan) {
		c.add(CodeBenefitRestates, domain.SeverityWarning, p.BenefitSpan,
			"The benefit repeats the means instead of saying what the user gains.",
			fmt.Sprintf("Replace '%s' with the outcome the user gets from it (time saved, an error avoided, a decision made).", p.Benefit))
	}
}

// bareWish reports a lead that ends in a wish verb with no "to" ("I want
// "), so that a bare verb after it ("I want implement …") is no sentence.
func bareWish(lead string) bool {
	l := strings.TrimSpace(story.Lower(lead))
	for _, w := range []string{" want", " need", " would like", "'d like", " wish"} {
		if strings.HasSuffix(l, w) {
			return true
		}
	}
	return false
}

// genericOnly reports whether the words in [start, end) have content and
// all of it is generic ("achieve the desired outcome", "the objective is
// met"): text that fits any story.
func genericOnly(d *doc, start, end int) bool {
	lo, hi := d.wordRange(start, end)
	content := 0
	for i := lo; i < hi; i++ {
		w := d.word(i)
		if stopWords[w] || fillerWords[w] {
			continue
		}
		if _, ok := lemmaLookup(genericWords, w); !ok {
			return false
		}
		content++
	}
	return content > 0
}

// restates reports whether the benefit's content words add nothing (or
// almost nothing) to the means': "so that I can export reports" after "I
// want to export reports".
func restates(d *doc, means, benefit domain.Span) bool {
	var m [32]string
	ms := m[:0]
	lo, hi := d.wordRange(means.Start, means.End)
	for i := lo; i < hi && len(ms) < len(m); i++ {
		if w := d.word(i); !stopWords[w] {
			ms = append(ms, stem(w))
		}
	}
	overlap, fresh := 0, 0
	lo, hi = d.wordRange(benefit.Start, benefit.End)
	for i := lo; i < hi; i++ {
		w := d.word(i)
		if stopWords[w] {
			continue
		}
		if contains(ms, stem(w)) {
			overlap++
		} else {
			fresh++
		}
	}
	return fresh == 0 || (fresh == 1 && overlap >= 2)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// checkRole: several personas in one role, a builder as the role, a study
// instead of a feature.
func (c *checker) checkRole() {
	if !c.found {
		return
	}
	p := &c.parsed
	if rs := p.RoleSpan; rs != nil {
		d := c.docFor(rs.Field)
		if at, end, ok := personaConjunction(d, rs.Start, rs.End); ok {
			first := strings.TrimSpace(d.text[rs.Start:at])
			second := strings.TrimSpace(d.text[end:rs.End])
			rest := oneLine(strings.TrimLeft(d.text[rs.End:p.End], " ,\t\r\n"))
			c.add(CodeSeveralPersonas, domain.SeverityWarning, d.span(rs.Start, rs.End),
				fmt.Sprintf("The story speaks for several personas (%s): they usually need different things.", p.Role),
				fmt.Sprintf("Write one story per persona: 'As %s %s, %s' and 'As %s %s, %s'.",
					article(first), first, rest, article(second), second, rest))
		}
		if builderRole(d, rs.Start, rs.End) {
			c.add(CodeBuilderRole, domain.SeverityInfo, d.span(rs.Start, rs.End),
				fmt.Sprintf("'%s' builds the product rather than uses it, so the value to a user is not shown.", p.Role),
				"Name the user who benefits (e.g. 'As a clinician, …'), or make this a Task if no user sees the result.")
		}
	}
	if ms := p.MeansSpan; ms != nil {
		d := c.docFor(ms.Field)
		if lo, hi := d.wordRange(ms.Start, ms.End); lo < hi && researchVerbs[d.word(lo)] {
			w := d.words[lo]
			c.add(CodeNotAFeature, domain.SeverityInfo, d.span(w.Start, w.End),
				fmt.Sprintf("'%s …' describes a study, not a feature the product delivers.", d.text[w.Start:w.End]),
				"State the capability the user gets, or make this a time-boxed Spike with the question it must answer.")
		}
	}
}

// personaConjunction finds "and", "or", "/" or "&" joining two personas in
// the role at [start, end).
func personaConjunction(d *doc, start, end int) (int, int, bool) {
	lo, hi := d.wordRange(start, end)
	for i := lo; i < hi; i++ {
		if w := d.word(i); (w == "and" || w == "or") && i > lo && i+1 < hi {
			return d.words[i].Start, d.words[i].End, true
		}
		if i+1 < hi {
			gap := d.text[d.words[i].End:d.words[i+1].Start]
			// "buyer/seller", "buyer & seller", but not "R&D".
			if g := strings.TrimSpace(gap); g == "/" || (g == "&" && len(gap) > 1) {
				k := d.words[i].End + strings.IndexAny(gap, "/&")
				return k, k + 1, true
			}
		}
	}
	return 0, 0, false
}

// builderRole reports whether the role's head noun is someone who builds
// the product ("developer", "data scientist", "system administrator").
func builderRole(d *doc, start, end int) bool {
	lo, hi := d.wordRange(start, end)
	head := lo
	for i := lo; i < hi; i++ {
		if roleCutWords[d.word(i)] && i > lo {
			break
		}
		head = i
	}
	if head >= hi {
		return false
	}
	if _, ok := lemmaLookup(builderNouns, d.word(head)); ok {
		return true
	}
	role := d.lower[d.words[lo].Start:d.words[head].End]
	for _, p := range builderPhrases {
		if strings.Contains(role, p) {
			return true
		}
	}
	return false
}

// article guesses "a" or "an" from the spelling ("an admin", "a user",
// "an uploader").
func article(word string) string {
	w := strings.ToLower(word)
	switch {
	case w == "":
		return "a"
	case strings.IndexByte("aeio", w[0]) >= 0:
		return "an"
	case w[0] == 'u' && len(w) > 2 && strings.IndexByte("nlmp", w[1]) >= 0 && !strings.HasPrefix(w, "uni"):
		return "an"
	}
	return "a"
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// oneLine collapses runs of whitespace, so text quoted in a fix reads as
// one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t  ") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// lowerFirst lowercases a leading capital of an ordinary word, leaving "I"
// and acronyms ("PDF") alone.
func lowerFirst(s string) string {
	if len(s) > 1 && 'A' <= s[0] && s[0] <= 'Z' && 'a' <= s[1] && s[1] <= 'z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
