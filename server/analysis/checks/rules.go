package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/backlogai/backlogai/server/analysis/story"
	"github.com/backlogai/backlogai/server/domain"
)

// checkLinks: an open issue this one is blocked by (independent).
func (c *checker) checkLinks() {
	for _, l := range c.issue.Links {
		if l.Kind != domain.LinkBlockedBy || l.OtherDone {
			continue
		}
		msg := fmt.Sprintf("Blocked by %s, which is not done yet.", l.OtherKey)
		if l.OtherTitle != "" {
			msg = fmt.Sprintf("Blocked by %s (%s), which is not done yet.", l.OtherKey, l.OtherTitle)
		}
		c.add(CodeBlocked, domain.SeverityWarning, nil, msg,
			fmt.Sprintf("Finish %s first, or split out the part that doesn't need it so this can ship on its own.", l.OtherKey))
	}
}

// checkDependencyText: "depends on", "requires … first", "after … is done"
// in the summary or description (independent). One finding per sentence.
func (c *checker) checkDependencyText() {
	for _, d := range []*doc{&c.sum, &c.desc} {
		lastEnd := -1
		for i := range d.words {
			w := d.words[i]
			if w.Start < lastEnd {
				continue
			}
			end := -1
			for _, p := range dependencyPhrases {
				if e := story.MatchPhrase(d.lower, w.Start, p.text); e >= 0 {
					end = extendWords(d, i, e, 4)
					break
				}
			}
			// "needs my attention first", "once I am done": the user's own
			// flow or priorities, not other work.
			if closers, ok := dependencyOpeners[d.word(i)]; ok && end < 0 && !(i+1 < len(d.words) && personWords[d.word(i+1)]) {
				end = closerWithin(d, i, 12, closers)
			}
			if end < 0 {
				continue
			}
			lastEnd = sentenceStop(d, w.Start)
			c.add(CodeDependencyText, domain.SeverityWarning, d.span(w.Start, end),
				fmt.Sprintf("'%s' says this waits on other work, so it can't be planned on its own.", d.text[w.Start:end]),
				"Link the other issue as 'is blocked by' so the order is visible, or split out the part that can ship first.")
		}
	}
}

// extendWords returns the end of up to n more words after byte e in the
// same sentence, so a span shows what is depended on.
func extendWords(d *doc, i, e, n int) int {
	stop := sentenceStop(d, d.words[i].Start)
	for j := i + 1; j < len(d.words) && n > 0; j++ {
		if d.words[j].Start < e {
			continue
		}
		if d.words[j].Start >= stop {
			break
		}
		e = d.words[j].End
		n--
	}
	return e
}

// closerWithin finds a closing word ("first", "merged") within n words
// after word i in the same sentence, or an issue key right after it ("after
// PROJ-12"), and returns where it ends, or -1.
func closerWithin(d *doc, i, n int, closers map[string]bool) int {
	stop := sentenceStop(d, d.words[i].Start)
	for j := i + 1; j < len(d.words) && j <= i+n && d.words[j].Start < stop; j++ {
		if j <= i+2 && isIssueKey(d.text[d.words[j].Start:d.words[j].End]) {
			return d.words[j].End
		}
		if closers[d.word(j)] {
			return d.words[j].End
		}
	}
	return -1
}

// isIssueKey reports whether w looks like a Jira key: "PROJ-12".
func isIssueKey(w string) bool {
	dash := strings.IndexByte(w, '-')
	if dash < 1 || dash == len(w)-1 || !('A' <= w[0] && w[0] <= 'Z') {
		return false
	}
	for i := 1; i < dash; i++ {
		if !('A' <= w[i] && w[i] <= 'Z' || '0' <= w[i] && w[i] <= '9') {
			return false
		}
	}
	for i := dash + 1; i < len(w); i++ {
		if !('0' <= w[i] && w[i] <= '9') {
			return false
		}
	}
	return true
}

// sentenceStop is the byte index of the end of the sentence holding i.
func sentenceStop(d *doc, i int) int {
	for j := i; j < len(d.lower); j++ {
		switch d.lower[j] {
		case '\n', '!', '?', ';':
			return j
		case '.':
			if j+1 == len(d.lower) || d.lower[j+1] == ' ' || d.lower[j+1] == '\n' {
				return j
			}
		}
	}
	return len(d.lower)
}

// checkPlaceholders: TBD, TODO, "to be defined", "???", "<role>" (estimatable).
func (c *checker) checkPlaceholders() {
	for _, d := range []*doc{&c.sum, &c.desc} {
		for i := range d.words {
			w := d.words[i]
			end := -1
			if placeholders[d.word(i)] {
				end = w.End
			} else {
				for _, p := range placeholderPhrases {
					if e := story.MatchPhrase(d.lower, w.Start, p.text); e >= 0 {
						end = e
						break
					}
				}
			}
			if end >= 0 {
				c.placeholder(d, w.Start, end)
			}
		}
		for i := 0; i < len(d.text); i++ {
			switch {
			case strings.HasPrefix(d.text[i:], "???"):
				j := i
				for j < len(d.text) && d.text[j] == '?' {
					j++
				}
				c.placeholder(d, i, j)
				i = j
			case d.text[i] == '<':
				if j := templateSlot(d.text, i); j > 0 {
					c.placeholder(d, i, j)
					i = j
				}
			}
		}
	}
}

func (c *checker) placeholder(d *doc, start, end int) {
	c.add(CodePlaceholder, domain.SeverityError, d.span(start, end),
		fmt.Sprintf("'%s' is a placeholder: the issue isn't finished, so it can't be estimated.", d.text[start:end]),
		fmt.Sprintf("Replace '%s' with the actual decision, or move the issue back to refinement until it is made.", d.text[start:end]))
}

// templateSlot returns the end of a "<role>"-style slot at i (one to three
// lowercase words, three letters or more, in angle brackets), or 0.
func templateSlot(s string, i int) int {
	j := i + 1
	words := 0
	if end := strings.IndexByte(s[i:], '>'); end < 4 {
		return 0
	}
	for j < len(s) && j-i < 40 {
		switch c := s[j]; {
		case c == '>':
			if words > 0 && words <= 3 && s[j-1] != ' ' {
				return j + 1
			}
			return 0
		case c == ' ':
			if s[j-1] == ' ' || s[j-1] == '<' {
				return 0
			}
		case 'a' <= c && c <= 'z' || c == '-' || c == '_':
			if s[j-1] == ' ' || s[j-1] == '<' {
				words++
			}
		default:
			return 0
		}
		j++
	}
	return 0
}

// checkSize: an estimate above the split threshold (small). Epics are
// big by design.
func (c *checker) checkSize() {
	sp := c.issue.StoryPoints
	if sp == nil || c.issue.Type == domain.TypeEpic || c.opts.SplitThreshold <= 0 || *sp <= c.opts.SplitThreshold {
		return
	}
	c.add(CodeTooBig, domain.SeverityWarning, nil,
		fmt.Sprintf("Estimated at %g points, above the split threshold of %g: big items hide risk and finish late.", *sp, c.opts.SplitThreshold),
		fmt.Sprintf("Split it into stories of at most %g points, e.g. by workflow step, by data variation or by acceptance criterion.", c.opts.SplitThreshold))
}

// checkSolution: solution terms in the means, and builder roles describing
// implementation (negotiable / problem-oriented).
func (c *checker) checkSolution() {
	r, ok := c.meansRegion()
	if !ok {
		return
	}
	d := r.d
	lo, hi := d.wordRange(r.start, r.end)
	var seen [8]string
	reported := seen[:0]
	report := func(start, end int, kind string) {
		term := d.lower[start:end]
		if contains(reported, term) || len(reported) == cap(seen) {
			return
		}
		reported = append(reported, term)
		c.add(CodeSolutionTerm, domain.SeverityWarning, d.span(start, end),
			fmt.Sprintf("'%s' is %s: it says how to build it, not what the user needs.", d.text[start:end], kind),
			fmt.Sprintf("Describe the need and leave '%s' to the team: say what the user must be able to do or see, "+
				"and keep technical notes in the description.", d.text[start:end]))
	}
	technical := false
	phraseEnd := -1
	for i := lo; i < hi; i++ {
		w := d.words[i]
		word := d.word(i)
		if w.Start < phraseEnd {
			continue // "API" inside "REST API", already reported
		}
		if p, e := matchPhrases(d.lower, w.Start, solutionPhrases); e >= 0 {
			report(w.Start, e, p.hint)
			technical = true
			phraseEnd = e
			continue
		}
		if kind, ok := lemmaLookup(solutionTerms, word); ok {
			report(w.Start, w.End, kind)
		} else if kind, ok := caseSensitive[d.text[w.Start:w.End]]; ok && (c.found || w.Start > r.start) {
			// A summary's first word is capitalised anyway.
			report(w.Start, w.End, kind)
		}
		if !technical {
			_, verb := lemmaLookup(implementationVerbs, word)
			_, noun := lemmaLookup(technicalNouns, word)
			technical = verb || noun
		}
	}
	if !technical || !c.found || c.parsed.RoleSpan == nil {
		return
	}
	rs := c.parsed.RoleSpan
	if !builderRole(c.docFor(rs.Field), rs.Start, rs.End) {
		return
	}
	c.add(CodeImplementation, domain.SeverityWarning, d.span(r.start, r.end),
		fmt.Sprintf("Written from the builder's side: '%s' describes how to build something rather than a user's problem.", d.text[r.start:r.end]),
		"Rewrite from the user's side: 'As a <user>, I want <outcome>, so that <benefit>'; keep the technical approach in the description or a Task.")
}

func matchPhrases(lower string, i int, ps []phrase) (phrase, int) {
	for _, p := range ps {
		if i < len(lower) && lower[i] != p.text[0] {
			continue
		}
		if e := story.MatchPhrase(lower, i, p.text); e >= 0 {
			return p, e
		}
	}
	return phrase{}, -1
}

// checkVague: vague terms in the means and benefit (estimable /
// unambiguous).
//
// A vague term is a hint, not a defect: on UStAI a word list predicts the
// annotators' Unambiguous and Estimatable labels no better than flagging
// every story (docs/evaluation.md), so the check points at words worth a
// second look without lowering quality or the E letter. Vague words in an
// acceptance criterion stay a Testable warning (checkCriteria).
func (c *checker) checkVague() {
	report := func(d *doc, start, end int, hint string) {
		c.hint(CodeVagueTerm, d.span(start, end),
			fmt.Sprintf("'%s' may be vague: if people could disagree on when it's done, it can't be estimated or tested.", d.text[start:end]),
			fmt.Sprintf("Replace '%s' with %s.", d.text[start:end], hint))
	}
	r := c.storyRegion()
	p := &c.parsed
	// When the story sentence lives in the description, the summary is
	// still what people read on boards and in lists: judge it too.
	if r.d != &c.sum {
		c.vagueIn(region{&c.sum, 0, len(c.sum.text)}, report, 5)
	}
	if !c.found || p.MeansSpan == nil {
		c.vagueIn(r, report, 5)
		return
	}
	// The role is not judged ("As a busy nurse"): means and benefit are.
	if p.Template == story.TemplateInOrderTo && p.BenefitSpan != nil {
		c.vagueIn(region{r.d, p.BenefitSpan.Start, p.BenefitSpan.End}, report, 5)
		r.end = p.MeansSpan.End
	}
	r.start = p.MeansSpan.Start
	c.vagueIn(r, report, 5)
}

// vagueIn calls fn for each distinct vague term in r, at most limit times.
func (c *checker) vagueIn(r region, fn func(d *doc, start, end int, hint string), limit int) int {
	d := r.d
	lo, hi := d.wordRange(r.start, r.end)
	var seen [8]string
	found := seen[:0]
	for i := lo; i < hi && len(found) < limit; i++ {
		w := d.words[i]
		start, end, hint := w.Start, -1, ""
		if p, e := matchPhrases(d.lower, w.Start, vaguePhrases); e >= 0 && !(strings.HasPrefix(p.text, "and ") && continuesPhrase(d, e)) {
			end, hint = e, p.hint
		} else if h, ok := vagueTerms[d.word(i)]; ok && !(i > 0 && d.word(i-1) == "how" && quantityWords[d.word(i)]) && !describesActor(d, i, lo) {
			// "how many come back" asks for a count; it is not vague.
			end, hint = w.End, speedHint(d, i, lo, h)
		} else if s, e, ok := friendlyCompound(d, i, lo); ok {
			// "mobile friendly", "printer-friendly": friendly to what
			// extent is undefined.
			start, end, hint = s, e, "the devices, screen sizes or steps it must support"
		}
		if end < 0 || end > r.end || contains(found, d.lower[start:end]) {
			continue
		}
		found = append(found, d.lower[start:end])
		fn(d, start, end, hint)
	}
	return len(found)
}

// speedHint fits a speed word's example to what is sped up: "paid
// faster" is a matter of days, not of "within 2 seconds".
func speedHint(d *doc, i, lo int, hint string) string {
	if !strings.Contains(hint, "'within 2 seconds'") {
		return hint
	}
	for j := i - 1; j >= lo && j >= i-3; j-- {
		if slowProcessWords[d.word(j)] {
			return "a time limit (e.g. 'within 2 business days')"
		}
	}
	return hint
}

// describesActor reports whether the adverb at word i qualifies what a
// person does ("when I type quickly", "users scroll fast"): it describes
// the user, not a requirement of the product.
func describesActor(d *doc, i, lo int) bool {
	w := d.word(i)
	if !strings.HasSuffix(w, "ly") && w != "fast" {
		return false
	}
	return i-2 >= lo && actorWords[d.word(i-2)]
}

// actorWords are subjects of a person's action.
var actorWords = map[string]bool{
	"i": true, "we": true, "they": true, "you": true, "he": true, "she": true,
	"user": true, "users": true, "people": true, "customers": true, "shoppers": true,
}

// friendlyCompound finds "<noun> friendly" or "<noun>-friendly" at word i
// (not before lo) and returns its span.
func friendlyCompound(d *doc, i, lo int) (int, int, bool) {
	w := d.word(i)
	switch {
	case strings.HasSuffix(w, "-friendly") && len(w) > len("-friendly"):
		return d.words[i].Start, d.words[i].End, true
	case w == "friendly" && i > lo && !determiners[d.word(i-1)] && !modals[d.word(i-1)] && !copulas[d.word(i-1)] &&
		!gapBreaks(d, i-1, i) && d.word(i-1) != "it" && d.word(i-1) != "more" && d.word(i-1) != "very":
		return d.words[i-1].Start, d.words[i].End, true
	case w == "friendly":
		return d.words[i].Start, d.words[i].End, true
	}
	return 0, 0, false
}

// checkQuestions: unanswered questions in the summary or description
// (estimable / unambiguous).
func (c *checker) checkQuestions() {
	for _, d := range []*doc{&c.sum, &c.desc} {
		n := 0
		for i := 0; i < len(d.text) && n < 3; i++ {
			if d.text[i] != '?' || (i+1 < len(d.text) && !isBoundary(d.text[i+1])) || i == 0 || d.text[i-1] == '?' {
				continue
			}
			if answered(d.lower, i+1) {
				continue
			}
			start := questionStart(d.text, i)
			n++
			c.add(CodeOpenQuestion, domain.SeverityWarning, d.span(start, i+1),
				"An open question: until it is answered the work can't be estimated reliably.",
				fmt.Sprintf("Answer '%s' in the description (or turn it into an acceptance criterion) before estimating.", d.text[start:i+1]))
		}
	}
}

// continuesPhrase reports whether a noun phrase goes on after byte e ("and
// more tags"), which makes "and more" a quantity, not an open list.
func continuesPhrase(d *doc, e int) bool {
	j := skipBlank(d.lower, e)
	if !story.IsWordAt(d.lower, j) {
		return false
	}
	k := j
	for k < len(d.lower) && story.IsWordAt(d.lower, k) {
		k++
	}
	return !listEnders[d.lower[j:k]]
}

// listEnders may follow an open list ("tags and more so that …").
var listEnders = map[string]bool{
	"so": true, "to": true, "for": true, "in": true, "on": true, "with": true, "that": true,
	"because": true, "when": true, "if": true, "as": true, "and": true, "or": true,
}

func skipBlank(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

func isBoundary(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ')' || c == '"' || c == '\''
}

// answered reports whether the line after a question starts with an
// answer ("A:", "Answer:").
func answered(lower string, i int) bool {
	nl := strings.IndexByte(lower[i:], '\n')
	if nl < 0 {
		return false
	}
	rest := strings.TrimLeft(lower[i+nl+1:], " \t-*")
	return strings.HasPrefix(rest, "a:") || strings.HasPrefix(rest, "answer")
}

// questionStart finds the start of the sentence that ends at q.
func questionStart(s string, q int) int {
	i := q
	for i > 0 {
		c := s[i-1]
		if c == '\n' || c == '?' || c == '!' || (c == '.' && i < len(s) && s[i] == ' ') {
			break
		}
		i--
	}
	for i < q && (s[i] == ' ' || s[i] == '-' || s[i] == '*' || s[i] == '\t') {
		i++
	}
	return i
}

// Verbs commonly found in means; a conjunction before one joins two
// actions.
var commonVerbs = map[string]bool{
	"access": true, "add": true, "adjust": true, "allow": true, "analyze": true, "analyse": true,
	"approve": true, "assign": true, "attach": true, "book": true, "calculate": true, "cancel": true,
	"change": true, "check": true, "choose": true, "close": true, "collect": true, "compare": true,
	"configure": true, "confirm": true, "connect": true, "copy": true, "create": true, "delete": true,
	"detect": true, "disable": true, "display": true, "download": true, "edit": true, "email": true,
	"enable": true, "ensure": true, "enter": true, "export": true, "filter": true, "find": true,
	"generate": true, "get": true, "hide": true, "identify": true, "import": true, "invite": true,
	"keep": true, "list": true, "manage": true, "mark": true, "merge": true, "modify": true,
	"monitor": true, "move": true, "notify": true, "open": true, "order": true, "pay": true,
	"predict": true, "prevent": true, "print": true, "publish": true, "rate": true, "receive": true,
	"record": true, "reduce": true, "register": true, "reject": true, "remove": true, "rename": true,
	"reply": true, "report": true, "request": true, "reset": true, "respond": true, "restore": true,
	"review": true, "save": true, "schedule": true, "search": true, "see": true, "select": true,
	"send": true, "share": true, "show": true, "sort": true, "store": true, "submit": true,
	"subscribe": true, "track": true, "transfer": true, "update": true, "upload": true, "use": true,
	"validate": true, "verify": true, "view": true, "visualize": true, "provide": true, "improve": true,
	"protect": true, "support": true, "help": true, "reuse": true, "sign": true, "log": true,
	"drag": true, "click": true, "tap": true, "browse": true, "buy": true, "sell": true,
	"comment": true, "pick": true, "set": true, "write": true, "read": true, "watch": true,
	"follow": true, "link": true, "tag": true, "plan": true, "estimate": true, "prioritize": true,
	"prioritise": true, "archive": true, "duplicate": true, "split": true, "undo": true,
	"inform":   true,
	"allocate": true, "target": true, "forecast": true, "dispatch": true, "assess": true, "maximize": true,
	"maximise": true, "minimize": true, "minimise": true, "understand": true, "make": true, "gain": true,
	"stay": true, "expand": true, "extend": true, "handle": true, "distinguish": true, "perform": true,
	"transform": true, "assist": true, "communicate": true, "operate": true, "navigate": true,
	"deliver": true, "process": true, "anticipate": true, "recognize": true, "recognise": true,
	"enhance": true, "strengthen": true, "offer": true, "take": true, "adapt": true, "input": true,
	"demonstrate": true, "evolve": true, "learn": true, "refine": true, "correct": true,
	"interpret": true, "explain": true, "classify": true, "discover": true, "promote": true,
	"facilitate": true, "encourage": true, "reach": true, "meet": true, "achieve": true,
	"address": true, "mitigate": true, "avoid": true, "combine": true, "balance": true,
	"contribute": true, "determine": true, "measure": true, "quantify": true, "simulate": true,
	"translate": true, "establish": true, "give": true, "alert": true, "build": true, "know": true,
	"feel": true, "become": true, "run": true, "start": true, "stop": true, "decide": true,
	"explore": true, "investigate": true,
}

// checkConjunctions: "and", "or", "&", "as well as" joining two features in
// the means (small / atomic). QUS judges atomicity on the means, so only
// its core counts: a purpose or result clause inside it ("… to identify
// threats and prevent intrusions", ", enabling detection and prevention")
// states the ends, like "so that" does, and is skipped. Named items joined
// inside a prepositional phrase ("ridership of taxi and Uber") scope one
// feature and are reported as info; any other join is a warning. One
// finding per story: the first warning, else the first info.
func (c *checker) checkConjunctions() {
	r, ok := c.meansRegion()
	if !ok {
		return
	}
	d := r.d
	lo, hi := d.wordRange(r.start, r.end)
	core := coreEnd(d, lo, hi)
	if core < hi {
		r.end = d.words[core].Start
	}
	depth, examples := 0, false
	prevEnd := r.start
	weak := -1
	var weakStart, weakEnd int
	var weakNamed bool
	for i := lo; i < core; i++ {
		w := d.words[i]
		gap := d.text[prevEnd:w.Start]
		prevEnd = w.End
		depth += strings.Count(gap, "(") + strings.Count(gap, "[") - strings.Count(gap, ")") - strings.Count(gap, "]")
		if strings.IndexByte(gap, ',') >= 0 || strings.IndexByte(gap, ';') >= 0 {
			examples = false
		}
		if matchExampleMarker(d, i) {
			examples = true
		}
		if depth > 0 || examples {
			continue
		}
		start, end := -1, -1
		// "&" between words: "reports & dashboards", not "R&D", and not
		// a stray "&" before the first word (there is nothing to join).
		if g := strings.TrimSpace(gap); g == "&" && len(gap) > 1 && i > lo {
			start = prevEndBefore(d, i) + strings.IndexByte(gap, '&')
			end = start + 1
		}
		if start < 0 {
			for _, p := range conjunctionPhrases {
				if e := story.MatchPhrase(d.lower, w.Start, p); e >= 0 && e <= r.end {
					start, end = w.Start, e
					break
				}
			}
		}
		if start < 0 || i == lo {
			continue
		}
		next := nextWordAfter(d, i, end, core)
		if next < 0 || binomials[[2]string{d.word(i - 1), d.word(next)}] || between(d, lo, i) {
			continue
		}
		if named := scopeJoin(d, lo, i, next); named || (d.word(i) == "and" || d.word(i) == "or") && nounPhraseJoin(d, lo, i, next, core) {
			if weak < 0 {
				weak, weakStart, weakEnd, weakNamed = next, start, end, named
			}
			continue
		}
		c.conjunctionFinding(d, r, start, end, next, domain.SeverityWarning, false)
		return
	}
	if weak >= 0 {
		c.conjunctionFinding(d, r, weakStart, weakEnd, weak, domain.SeverityInfo, weakNamed)
	}
}

// coreEnd is the index of the first word of the means' ends part: a
// result clause (", enabling …") or a purpose clause ("to <verb>") that
// follows a complete action. The first "to <verb>" after a noun phrase ("the
// system to detect …") or after an instrument ("use X to detect …") is the
// action itself, not its purpose. hi when the means has no ends part.
func coreEnd(d *doc, lo, hi int) int {
	first := lo
	for first < hi && adverb(d.word(first)) {
		first++
	}
	if first >= hi {
		return hi
	}
	_, verbFirst := verbLemma(d.word(first))
	instrument := instrumentVerbs[d.word(first)]
	seenTo := false
	for i := first + 1; i < hi; i++ {
		w := d.word(i)
		if strings.HasSuffix(w, "ing") && !notResultParticiple[w] && strings.TrimSpace(d.text[d.words[i-1].End:d.words[i].Start]) == "," {
			if _, ok := verbLemma(w); ok {
				return i
			}
		}
		if w != "to" || i+1 >= hi || infinitiveGlue[d.word(i-1)] {
			continue
		}
		j := i + 1
		for j < hi && adverb(d.word(j)) {
			j++
		}
		if j >= hi || !commonVerbs[d.word(j)] && !implementationVerbs[d.word(j)] && !auxiliaries[d.word(j)] {
			continue // "to the lab": a preposition
		}
		if !seenTo && (!verbFirst || instrument || i == first+1) {
			seenTo = true
			continue
		}
		return i
	}
	return hi
}

// verbLemma looks a word up in the verb tables, with light lemmatisation.
func verbLemma(w string) (string, bool) {
	if _, ok := lemmaLookup(commonVerbs, w); ok {
		return w, true
	}
	_, ok := lemmaLookup(implementationVerbs, w)
	return w, ok
}

// adverb reports a manner adverb ("easily", "continuously"), which may sit
// between "to" and its verb.
func adverb(w string) bool {
	return len(w) > 4 && strings.HasSuffix(w, "ly") && !commonVerbs[w] && !notAdverbs[w]
}

// scopeJoin reports a join of named items (a capital or a digit in either
// conjunct: "taxi and Uber", "K-means and K-medoids") inside a
// prepositional phrase: they say which data, places or methods one feature
// covers rather than adding a feature.
func scopeJoin(d *doc, lo, i, next int) bool {
	if !named(d, i-1) && !named(d, next) {
		return false
	}
	for j := i - 1; j >= lo; j-- {
		w := d.word(j)
		if scopePrepositions[w] {
			return true
		}
		if _, ok := verbLemma(w); (ok && j < i-1) || w == "that" || w == "which" || w == "who" {
			return false
		}
		if j > lo && strings.ContainsAny(d.text[d.words[j-1].End:d.words[j].Start], ",;") {
			return false
		}
	}
	return false
}

// nounPhraseJoin reports a join inside one noun phrase: two nouns or
// modifiers under one determiner, preposition or verb ("receive alerts and
// notifications", "an individual or group", "deliver blood and urine
// samples", "timely and accurate diagnosis"). It names one thing (or one
// list of data a feature covers), not two features. Joins of two actions
// ("collect and analyze data"), of two complete noun phrases ("a map and a
// report") and of predicates ("to be secure and compliant") are not.
func nounPhraseJoin(d *doc, lo, i, next, core int) bool {
	// Left conjunct: the words back to the word that governs the phrase.
	j := i - 1
	for j > lo && !phraseBoundary(d, j-1) && !gapBreaks(d, j-1, j) {
		j--
	}
	switch {
	case adverb(d.word(i - 1)):
		return false // "operates safely and securely"
	case j <= lo:
		// The join opens the means ("collect and analyze"); a means
		// without a verb ("I want X and Y") is left to the plain rule.
		return false
	case j > lo && (gapBreaks(d, j-1, j) || !nominalGovernor(d.word(j-1))):
		return false // a list after a comma, "feel safe and …"
	}
	left := i - j
	// Right conjunct: up to the next boundary. One that opens with a
	// function word, an auxiliary or an adverb starts a clause or a second
	// phrase of its own.
	first := d.word(next)
	if determiners[first] || possessives[first] || modals[first] || auxiliaries[first] || clauseWords[first] || adverb(first) || first == "to" {
		return false
	}
	k := next
	for k+1 < core && !phraseBoundary(d, k+1) && !gapBreaks(d, k, k+1) {
		k++
	}
	right := k - next + 1
	// A verb with an object or complement after it is an action: "… and
	// identify the nodes", "… and complies with the rules".
	if _, verb := verbLemma(first); verb && (right > 1 || next+1 < core && !gapBreaks(d, next, next+1)) {
		return false
	}
	// "… and transmit it": a pronoun object makes the word before it a verb.
	if next+1 < core && objectPronouns[d.word(next+1)] {
		return false
	}
	return left > 0 && right > 0
}

// phraseBoundary reports a word that ends a noun phrase when met: a
// function word or a verb.
func phraseBoundary(d *doc, j int) bool {
	w := d.word(j)
	if determiners[w] || possessives[w] || scopePrepositions[w] || clauseWords[w] || w == "to" || w == "and" || w == "or" || auxiliaries[w] || modals[w] {
		return true
	}
	_, verb := verbLemma(w)
	return verb && !strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ed")
}

// gapBreaks reports punctuation between words a and b.
func gapBreaks(d *doc, a, b int) bool {
	return strings.ContainsAny(d.text[d.words[a].End:d.words[b].Start], ",;:()")
}

// nominalGovernor reports a word after which a phrase is a noun phrase:
// a determiner, possessive, preposition or a verb taking an object.
func nominalGovernor(w string) bool {
	if determiners[w] || possessives[w] || scopePrepositions[w] {
		return true
	}
	if w == "to" || auxiliaries[w] || modals[w] || clauseWords[w] || copulas[w] {
		return false
	}
	_, verb := verbLemma(w)
	return verb
}

// named reports a word written with a capital or a digit past the first
// letter of the text (a name, an acronym, a model number).
func named(d *doc, i int) bool {
	w := d.text[d.words[i].Start:d.words[i].End]
	for k := 0; k < len(w); k++ {
		if c := w[k]; 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			return true
		}
	}
	return false
}

// prevEndBefore is the end of the word before word i.
func prevEndBefore(d *doc, i int) int { return d.words[i-1].End }

// nextWordAfter is the index of the first word from i on that starts at or
// after byte e (below hi), or -1.
func nextWordAfter(d *doc, i, e, hi int) int {
	for j := i; j < hi; j++ {
		if d.words[j].Start >= e {
			return j
		}
	}
	return -1
}

// between reports a join that fills the two slots of one comparison
// ("between X and Y", "compare X and Y", "a combination of X and Y"): one
// feature, not two.
func between(d *doc, lo, i int) bool {
	for j := i - 1; j >= lo && j >= i-4; j-- {
		if _, ok := lemmaLookup(symmetricWords, d.word(j)); ok {
			return true
		}
	}
	return false
}

func matchExampleMarker(d *doc, i int) bool {
	w := d.words[i]
	for _, m := range exampleMarkers {
		if story.MatchPhrase(d.lower, w.Start, m) >= 0 {
			return true
		}
	}
	return d.word(i) == "like" && i > 0 && !notLikePreposition[d.word(i-1)]
}

// conjunctionFinding reports the conjunction at [start, end) of the means
// and proposes the two stories it joins.
func (c *checker) conjunctionFinding(d *doc, r region, start, end, next int, sev domain.Severity, named bool) {
	left := strings.TrimSpace(strings.TrimRight(d.text[r.start:start], " ,"))
	right := strings.TrimSpace(d.text[end:r.end])
	if cut := strings.IndexAny(right, ",;"); cut > 0 {
		right = strings.TrimSpace(right[:cut])
	}
	right = strings.TrimRight(right, ".!")
	// A verb joins two actions when it shares the object of the verb
	// before it ("export and email reports") or has words of its own
	// ("upload a file and see a preview"); "intervention and support" at
	// the end joins two nouns.
	_, verb := verbLemma(d.word(next))
	if verb && !strings.ContainsAny(right, " \t\n") {
		_, verb = verbLemma(d.word(prevWord(d, start)))
	}
	first, second := left, right
	what := "two things"
	if verb {
		what = "two actions"
		// "export and email reports", "use X to detect and report
		// anomalies": the object, and what comes before the first verb,
		// are shared.
		if _, shared := verbLemma(d.word(prevWord(d, start))); shared {
			if sp := strings.IndexAny(right, " \t\n"); sp > 0 {
				first = left + right[sp:]
			}
			second = left[:strings.LastIndexAny(left, " \t\n")+1] + right
		}
	} else if sp := strings.LastIndexAny(left, " \t\n"); sp > 0 {
		// "receive alerts and notifications": the head is shared.
		second = left[:sp+1] + right
	}
	lead := ""
	if c.found && c.parsed.Lead != "" {
		lead = oneLine(c.parsed.Lead) + " "
	}
	first, second = oneLine(first), oneLine(second)
	msg := fmt.Sprintf("'%s' joins %s in one story; each may need its own estimate and can ship separately.", d.text[start:end], what)
	fix := fmt.Sprintf("If these are separate features, split into: '%s%s' and '%s%s'.", lead, first, lead, second)
	switch {
	case sev == domain.SeverityInfo && named:
		msg = fmt.Sprintf("'%s' joins named items that likely scope one feature (which data, places or methods it covers).", d.text[start:end])
		fix = fmt.Sprintf("Keep it as one story unless each item needs its own work; then split into: '%s%s' and '%s%s'.", lead, first, lead, second)
	case sev == domain.SeverityInfo:
		msg = fmt.Sprintf("'%s' joins words inside one phrase ('%s'): usually one thing or one list the feature covers, not two features.", d.text[start:end], oneLine(d.text[d.words[prevWord(d, start)].Start:d.words[next].End]))
		fix = fmt.Sprintf("Keep it as one story unless each item needs its own work; then split into: '%s%s' and '%s%s'.", lead, first, lead, second)
	case verb:
		fix = fmt.Sprintf("Split into: '%s%s' and '%s%s'.", lead, first, lead, second)
	}
	if strings.Contains(left, ",") {
		// The conjunction closes a list ("sales, refunds, fees and
		// inventory"): halves at the last "and" would cut the list wrongly.
		fix = "If the listed items are separate features, give each its own story; if they are one report or screen, keep the list in one story."
	}
	if sev == domain.SeverityInfo {
		c.hint(CodeConjunction, d.span(start, end), msg, fix)
		return
	}
	c.add(CodeConjunction, sev, d.span(start, end), msg, fix)
}

// prevWord is the index of the last word that ends at or before byte b.
func prevWord(d *doc, b int) int {
	i := sort.Search(len(d.words), func(i int) bool { return d.words[i].End > b })
	return max(i-1, 0)
}

// checkCriteria: acceptance criteria present (testable), not too many
// (small), measurable (testable).
func (c *checker) checkCriteria() {
	items := c.criteria.Items
	if len(items) == 0 {
		fix := "Add an 'Acceptance criteria' section with 2-5 checks, e.g. 'Given <context>, when <action>, then <observable result>'."
		if p := &c.parsed; c.found && p.Role != "" && p.MeansSpan != nil && startsWithVerb(c.docFor(p.MeansSpan.Field), p.MeansSpan.Start) && !startsWithGerund(p.Means) {
			fix = fmt.Sprintf("Add an 'Acceptance criteria' section with 2-5 checks, e.g. 'Given I am %s %s, when I %s, then <what I see>'.",
				article(p.Role), oneLine(p.Role), lowerFirst(oneLine(strings.TrimRight(p.Means, ".!"))))
		}
		c.add(CodeMissingCriteria, domain.SeverityError, nil,
			"No acceptance criteria: nobody can tell when it is done.", fix)
		return
	}
	if max := c.opts.MaxCriteria; max > 0 && len(items) > max {
		c.add(CodeTooManyCriteria, domain.SeverityWarning, c.desc.span(items[0].Start, items[len(items)-1].End),
			fmt.Sprintf("%d acceptance criteria (more than %d): the story probably holds several stories.", len(items), max),
			fmt.Sprintf("Group the criteria by user goal and split the story so each part has at most %d.", max))
	}
	reported := 0
	for _, it := range items {
		if reported == 5 || strings.ContainsAny(it.Text, "0123456789") {
			continue
		}
		if s, e, ok := genericOutcome(&c.desc, it.Start, it.End); ok {
			c.add(CodeUnmeasurable, domain.SeverityWarning, c.desc.span(s, e),
				fmt.Sprintf("'%s' is boilerplate: it fits any story, so nobody can check it.", oneLine(c.desc.text[s:e])),
				"State what the user sees or can do when it is done, e.g. 'Then the report lists last month's orders'.")
			reported++
			continue
		}
		n := c.vagueIn(region{&c.desc, it.Start, it.End}, func(d *doc, start, end int, hint string) {
			c.add(CodeUnmeasurable, domain.SeverityWarning, d.span(start, end),
				fmt.Sprintf("This criterion can't be checked: '%s' has no measure.", d.text[start:end]),
				fmt.Sprintf("Make it measurable: replace '%s' with %s.", d.text[start:end], hint))
		}, 1)
		reported += n
	}
}

// genericOutcome finds the outcome of a criterion in [start, end) that
// fits any story: a "then …" clause, or the whole criterion when it has
// none, made only of generic words ("then the objective is met", "it works
// as expected").
func genericOutcome(d *doc, start, end int) (int, int, bool) {
	lo, hi := d.wordRange(start, end)
	found := false
	for i := lo; i < hi; i++ {
		if d.word(i) != "then" {
			continue
		}
		found = true
		j := i + 1
		for j < hi && !gwtWords[d.word(j)] {
			j++
		}
		if j > i+1 && genericOnly(d, d.words[i].Start, d.words[j-1].End) {
			return d.words[i].Start, d.words[j-1].End, true
		}
	}
	if !found && genericOnly(d, start, end) {
		return start, end, true
	}
	return 0, 0, false
}

// gwtWords open a clause of a Given/When/Then criterion.
var gwtWords = map[string]bool{"given": true, "when": true, "then": true, "and": true, "but": true}

// startsWithGerund reports a means such as "developing a tool" (after "I
// am interested in"), which does not read after "when I".
func startsWithGerund(means string) bool {
	w, _, _ := strings.Cut(strings.TrimSpace(means), " ")
	return len(w) > 5 && strings.HasSuffix(strings.ToLower(w), "ing")
}

// startsWithVerb reports whether the word at byte i is a known verb.
func startsWithVerb(d *doc, i int) bool {
	lo, hi := d.wordRange(i, len(d.text))
	if lo >= hi {
		return false
	}
	w := d.word(lo)
	_, ok := lemmaLookup(commonVerbs, w)
	if !ok {
		_, ok = lemmaLookup(implementationVerbs, w)
	}
	return ok
}

// checkMinimal: brackets, extra punctuation, examples and extra sentences
// inside the story sentence (minimal).
func (c *checker) checkMinimal() {
	r := c.storyRegion()
	d := r.d
	s := d.text
	for i := r.start; i < r.end; i++ {
		switch ch := s[i]; {
		case ch == '(' || ch == '[' || ch == '{':
			j := closing(s, i, r.end)
			if ch == '(' && acronymOfPreceding(s[r.start:i], s[i+1:max(i+1, j-1)]) {
				// "continuous glucose monitor (CGM)" defines a term once.
				c.hint(CodeBrackets, d.span(i, j),
					fmt.Sprintf("'%s' introduces an abbreviation: fine once, but the story reads better without it.", s[i:j]),
					"Keep it if the abbreviation is used later; otherwise drop it.")
				i = j - 1
				continue
			}
			c.add(CodeBrackets, domain.SeverityInfo, d.span(i, j),
				fmt.Sprintf("'%s' adds detail inside the story sentence.", s[i:j]),
				fmt.Sprintf("Move '%s' out of the story sentence into the description or the acceptance criteria.", s[i:j]))
			i = j - 1
		case ch == '!' || ch == ';' || strings.HasPrefix(s[i:], "...") || strings.HasPrefix(s[i:], "…"):
			j := i + 1
			for j < r.end && (strings.IndexByte("!?.;", s[j]) >= 0 || s[j] >= 0x80 && strings.HasPrefix(s[j:], "…")) {
				if s[j] >= 0x80 {
					j += len("…")
				} else {
					j++
				}
			}
			if strings.HasPrefix(s[i:], "…") && j == i+1 {
				j = i + len("…")
			}
			c.add(CodeExtraPunctuation, domain.SeverityInfo, d.span(i, j),
				fmt.Sprintf("'%s' in the story sentence: a story is one plain sentence.", s[i:j]),
				fmt.Sprintf("Remove '%s'; if it separates two ideas, keep one and move the other to the description.", s[i:j]))
			i = j - 1
		}
	}
	lo, hi := d.wordRange(r.start, r.end)
	for i := lo; i < hi; i++ {
		if !matchExampleMarker(d, i) {
			continue
		}
		start := d.words[i].Start
		end := exampleEnd(s, start, r.end)
		c.add(CodeExampleInStory, domain.SeverityInfo, d.span(start, end),
			fmt.Sprintf("The story sentence gives examples ('%s').", s[start:end]),
			"Move the examples into the acceptance criteria, where they can be checked; keep the story to role, goal and reason.")
		break
	}
	if !c.found {
		return
	}
	if x := c.parsed.Extra; x != nil {
		xd := c.docFor(x.Field)
		c.add(CodeExtraSentence, domain.SeverityInfo, xd.span(x.Start, x.End),
			fmt.Sprintf("'%s' sits between the role and the goal.", xd.text[x.Start:x.End]),
			"Move it into the description; the story sentence holds only role, goal and reason.")
	}
	if d.field == domain.FieldSummary {
		if a, b := trimSpace(s, c.parsed.End, len(s)); b > a {
			c.add(CodeExtraSentence, domain.SeverityInfo, d.span(a, b),
				fmt.Sprintf("The summary goes on after the story: '%s'.", s[a:b]),
				"Keep the summary to the story sentence and move the rest into the description.")
		}
	}
}

// acronymOfPreceding reports whether inner (the text in brackets) is an
// acronym of the words just before it: its capitals match, in order, the
// initials (and inner capitals) of those words, skipping at most two small
// words ("Alzheimer's disease (AD)", "AI-based Drug discovery Network
// (AI-DrugNet)").
func acronymOfPreceding(before, inner string) bool {
	var caps []byte
	for k := 0; k < len(inner); k++ {
		switch ch := inner[k]; {
		case 'A' <= ch && ch <= 'Z':
			caps = append(caps, ch+'a'-'A')
		case 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '&' || ch == '/':
		default:
			return false // more than one word: not an acronym
		}
	}
	if len(caps) < 2 || len(caps) > 10 {
		return false
	}
	words := strings.FieldsFunc(before, func(r rune) bool { return r == ' ' || r == '-' || r == '\n' || r == '\t' || r == '/' })
	skips := 0
	n := len(caps)
	for w := len(words) - 1; w >= 0 && n > 0; w-- {
		word := strings.TrimRight(words[w], ",;:'’s")
		if word == "" {
			continue
		}
		// The word's letters that may stand in an acronym: its initial
		// and any later capital.
		letters := []byte{lowerByte(word[0])}
		for k := 1; k < len(word); k++ {
			if 'A' <= word[k] && word[k] <= 'Z' {
				letters = append(letters, lowerByte(word[k]))
			}
		}
		matched := false
		for k := len(letters) - 1; k >= 0 && n > 0; k-- {
			if letters[k] == caps[n-1] {
				n--
				matched = true
			} else if matched {
				break
			}
		}
		if !matched {
			if skips++; skips > 2 {
				return false
			}
		}
	}
	return n == 0
}

func lowerByte(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// closing finds the end of the bracket group opened at i (or end).
func closing(s string, i, end int) int {
	open, shut := s[i], byte(')')
	switch open {
	case '[':
		shut = ']'
	case '{':
		shut = '}'
	}
	depth := 0
	for j := i; j < end; j++ {
		switch s[j] {
		case open:
			depth++
		case shut:
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return end
}

// exampleEnd is where an example that starts at i ends: a comma, a closing
// bracket, a benefit indicator or the end of the sentence.
func exampleEnd(s string, i, end int) int {
	for j := i + 5; j < end; j++ {
		switch s[j] {
		case ',', ')', ';':
			return j
		case '.':
			if j+1 == end || s[j+1] == ' ' {
				return j
			}
		}
	}
	return end
}

func trimSpace(s string, a, b int) (int, int) {
	for a < b && strings.IndexByte(" \t\r\n.", s[a]) >= 0 {
		a++
	}
	for b > a && strings.IndexByte(" \t\r\n", s[b-1]) >= 0 {
		b--
	}
	return a, b
}
