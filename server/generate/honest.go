package generate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/domain"
)

const (
	noticeImproveNoLLM   = "No LLM configured: BacklogAI made only the edits its rules can make correctly, without inventing content. Answer the questions for the rest, or ask an admin to set up an LLM in Settings."
	noticeImproveNothing = "No LLM configured, and none of the findings can be fixed correctly by rules alone: answer the questions below, or ask an admin to set up an LLM in Settings."
)

// improveProposal is the improvement without an LLM. It makes only edits
// that are correct by construction (the story sentence's own parts
// rearranged, a criterion built from its own means and benefit) and keeps
// each only when the quality does not drop; everything else becomes a
// question. Offered is false when no edit was kept.
func improveProposal(is domain.Issue, analyse Analyser, before domain.CheckResult) *Improvement {
	out := &Improvement{Mode: ModeDeterministic, Before: qualityOf(before), Changes: []string{}, Questions: Questions(before, is.Summary, is.Description)}
	summary, desc := is.Summary, is.Description
	cur := before.Quality
	quality := func(s, d string) int {
		after := is
		after.Summary, after.Description = s, TextDoc(d).PlainText()
		return analyse(after, analysis.ExtraInput{}).Check.Quality
	}
	// keep takes an edit that does not lower the quality; edits that only
	// add text must also raise it.
	keep := func(s, d, change string, mustRaise bool) {
		q := quality(s, d)
		if q < cur || mustRaise && q == cur {
			return
		}
		summary, desc, cur = s, d, q
		out.Changes = append(out.Changes, change)
	}
	st := before.Story
	if before.JudgedAsStory && st != nil {
		if s, d, ok := restructureWant(summary, desc, st); ok {
			keep(s, d, "Rewrote the wish as 'I want … to …' so that it reads as one sentence.", false)
		}
		// A benefit that restates the means or says nothing specific is
		// no observable result.
		if hasCode(before.Findings, checks.CodeMissingCriteria) && !hasCode(before.Findings, checks.CodeBenefitRestates) &&
			!hasCode(before.Findings, checks.CodeGenericBenefit) && cleanStory(before) {
			if c, ok := criterionFromStory(st.Role, st.Means, st.Benefit); ok {
				d := strings.TrimSpace(strings.TrimSpace(desc) + "\n\nAcceptance criteria\n\n- " + c)
				keep(summary, d, "Added an acceptance criterion built from the story's own goal and benefit; add the checks only you know.", true)
			}
		}
	}
	// "!!!" in the story sentence: the rules' own fix is to remove it.
	// Spans point into the original text, so only a field no edit above
	// changed is touched.
	if s, d, marks := dropExclamations(is, summary, desc, before.Findings); len(marks) > 0 {
		keep(s, d, "Removed "+joinAnd(marks)+" from the story sentence: a story is one plain sentence.", false)
	}
	if summary == is.Summary && desc == is.Description {
		out.Notice = noticeImproveNothing
		out.Summary, out.Description, out.After = is.Summary, is.Description, out.Before
		return out
	}
	out.Offered = true
	out.Notice = noticeImproveNoLLM
	out.Summary, out.Description = summary, desc
	return out
}

// dropExclamations removes the runs of exclamation marks the checks
// flagged as extra punctuation ("faster!!! so that" becomes "faster so
// that"); other marks (";", "...") may separate two ideas and are left to
// a person. It returns the edited texts and the quoted marks removed.
func dropExclamations(is domain.Issue, summary, desc string, fs []domain.Finding) (string, string, []string) {
	type cut struct{ start, end int }
	cuts := map[domain.Field][]cut{}
	var marks []string
	for _, f := range fs {
		sp := f.Span
		if f.Code != checks.CodeExtraPunctuation || sp == nil {
			continue
		}
		text := map[domain.Field]string{domain.FieldSummary: is.Summary, domain.FieldDescription: is.Description}[sp.Field]
		cur := map[domain.Field]string{domain.FieldSummary: summary, domain.FieldDescription: desc}[sp.Field]
		if text != cur || sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End || strings.Trim(text[sp.Start:sp.End], "!") != "" {
			continue
		}
		cuts[sp.Field] = append(cuts[sp.Field], cut{sp.Start, sp.End})
		marks = append(marks, "'"+text[sp.Start:sp.End]+"'")
	}
	apply := func(text string, cs []cut) string {
		// from the end, so that earlier offsets stay valid
		slices.SortFunc(cs, func(a, b cut) int { return b.start - a.start })
		for _, c := range cs {
			text = text[:c.start] + text[c.end:]
		}
		return text
	}
	if cs := cuts[domain.FieldSummary]; len(cs) > 0 {
		summary = apply(summary, cs)
	}
	if cs := cuts[domain.FieldDescription]; len(cs) > 0 {
		desc = apply(desc, cs)
	}
	return summary, desc, slices.Compact(marks)
}

func hasCode(fs []domain.Finding, code string) bool {
	return slices.ContainsFunc(fs, func(f domain.Finding) bool { return f.Code == code })
}

var modalAfterSubject = regexp.MustCompile(`^(\S+(?:\s+\S+){0,4}?)\s+(?:should|must|shall|will|would|can|could)\s+(\S.*)$`)

// restructureWant rewrites "I want the checkout should be fast" as "I
// want the checkout to be fast": a wish whose means is a noun phrase
// followed by a modal. Nothing else changes.
func restructureWant(summary, desc string, st *domain.Story) (string, string, bool) {
	sp := st.MeansSpan
	if sp == nil || verbLed(st.Means) || !determiners[firstWord(st.Means)] {
		return "", "", false
	}
	text := summary
	if sp.Field == domain.FieldDescription {
		text = desc
	}
	if sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End {
		return "", "", false
	}
	m := modalAfterSubject.FindStringSubmatch(text[sp.Start:sp.End])
	if m == nil || strings.ContainsAny(m[1], ",;") {
		return "", "", false
	}
	text = text[:sp.Start] + m[1] + " to " + m[2] + text[sp.End:]
	if sp.Field == domain.FieldDescription {
		return summary, text, true
	}
	return text, desc, true
}

// cleanStory reports a story sentence whose role, means and benefit no
// finding points into (vague words, examples, brackets, solution terms,
// several personas): only such parts can be reused as a criterion.
func cleanStory(c domain.CheckResult) bool {
	return cleanSpans(c, c.Story.RoleSpan, c.Story.MeansSpan, c.Story.BenefitSpan)
}

// cleanSpans reports that no finding (other than a keep-as-is hint)
// points into any of spans.
func cleanSpans(c domain.CheckResult, spans ...*domain.Span) bool {
	for _, f := range c.Findings {
		if f.Span == nil || f.Code == checks.CodeConjunction && f.Hint {
			continue
		}
		for _, sp := range spans {
			if sp != nil && sp.Field == f.Span.Field && f.Span.Start < sp.End && f.Span.End > sp.Start {
				return false
			}
		}
	}
	return true
}

// criterionFromStory is "Given I am a <role>, when I <means>, then
// <benefit>": only the story's own words, and only when the means is a
// verb phrase and the benefit says what happens.
func criterionFromStory(role, means, benefit string) (string, bool) {
	role, means, benefit = clause(role), clause(means), clause(benefit)
	if role == "" || !verbLed(means) || !finiteClause(benefit) {
		return "", false
	}
	return fmt.Sprintf("Given I am %s %s, when I %s, then %s", article(role), role, means, benefit), true
}

// finiteClause reports a benefit that reads as a clause with a verb
// ("I save time", "conversion improves", "the books are right"), not a
// bare noun phrase ("cash flow"): it starts with a subject pronoun, or has
// an auxiliary, or a third-person verb form after its first word, or is
// a plural subject with a verb.
func finiteClause(s string) bool {
	f := strings.Fields(strings.ToLower(s))
	if len(f) < 2 {
		return false
	}
	// A subject pronoun, or a plural subject before a plain verb
	// ("friends know what to buy me").
	if pronouns[f[0]] || strings.HasSuffix(f[0], "s") && !strings.HasSuffix(f[0], "ss") && verbLed(f[1]) {
		return true
	}
	for _, w := range f[1:] {
		if auxiliaries[w] || strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "'s") {
			return true
		}
	}
	return false
}

// clause trims a story part to a clause: one line, no end punctuation.
func clause(s string) string { return strings.TrimRight(oneLine(s), " .!,;:") }

// Closed word classes: a verb phrase does not start with one, and a
// clean phrase does not end with one.
var (
	determiners = setOf("a", "an", "the", "my", "our", "your", "their", "his", "her", "its", "this", "that", "these", "those",
		"all", "every", "each", "some", "any", "no", "more", "less", "most")
	prepositions = setOf("to", "of", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "about", "over", "under",
		"across", "through", "during", "without", "within", "between", "after", "before", "via", "per", "as", "than")
	conjunctions = setOf("and", "or", "but", "nor", "so", "because", "if", "when", "while")
	auxiliaries  = setOf("should", "must", "shall", "will", "would", "can", "could", "may", "might", "is", "are", "was", "were",
		"be", "been", "being", "am", "do", "does", "did", "has", "have", "had", "not")
	pronouns = setOf("i", "we", "you", "he", "she", "it", "they", "me", "us", "them", "it's", "there", "what", "which", "who")
)

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(strings.Trim(f[0], ".,;:!?"))
}

// verbLed reports whether a phrase can follow "I want to": its first
// word is a lowercase word of no closed class and no noun, adjective or
// adverb ending. "have" (a full verb there) is allowed.
func verbLed(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 {
		return false
	}
	w := f[0]
	if w != strings.ToLower(w) || strings.ContainsAny(w, "0123456789'’-/") {
		return false
	}
	if w == "have" || w == "be" || w == "do" {
		return len(f) > 1
	}
	if determiners[w] || prepositions[w] || conjunctions[w] || auxiliaries[w] || pronouns[w] {
		return false
	}
	for _, suf := range []string{"ly", "tion", "sion", "ness", "ity", "ous", "ful", "less", "ing", "ed"} {
		if strings.HasSuffix(w, suf) && len(w) > len(suf)+2 {
			return false
		}
	}
	return true
}

var quoted = regexp.MustCompile(`'([^']+)'`)

// splitParts finds the parts of a story whose means joins separate
// actions ("export orders and import products", "approve or reject
// return requests") or the objects of one verb ("erase my account and my
// personal data") with a conjunction the checks flagged (not a hint), and
// returns the means of each part; nil when the parts do not separate
// cleanly into verb phrases.
func splitParts(check domain.CheckResult) []string {
	st := check.Story
	if !check.JudgedAsStory || st == nil || clause(st.Role) == "" || !verbLed(st.Means) {
		return nil
	}
	var conj *domain.Finding
	for i, f := range check.Findings {
		if f.Code == checks.CodeConjunction && !f.Hint && f.Span != nil && st.MeansSpan != nil &&
			f.Span.Field == st.MeansSpan.Field && f.Span.Start >= st.MeansSpan.Start && f.Span.End <= st.MeansSpan.End {
			conj = &check.Findings[i]
			break
		}
	}
	if conj == nil {
		return nil
	}
	word := ""
	if m := quoted.FindStringSubmatch(conj.Message); m != nil {
		word = strings.ToLower(m[1])
	}
	if word != "and" && word != "or" {
		return nil
	}
	means := clause(st.Means)
	other := map[string]string{"and": "or", "or": "and"}[word]
	if wordIndex(strings.ToLower(means), other) >= 0 {
		return nil // "A and B or C" has no one clean reading
	}
	conjuncts := regexp.MustCompile(`(?:\s*,\s*`+word+`\s+|\s+`+word+`\s+)`).Split(means, -1)
	if len(conjuncts) < 2 || len(conjuncts) > 5 {
		return nil
	}
	// A serial list "A, B and C": the commas before the last join split too.
	head := strings.Split(conjuncts[0], ",")
	if len(head) > 1 {
		conjuncts = append(head, conjuncts[1:]...)
	}
	for i := range conjuncts {
		conjuncts[i] = strings.TrimSpace(conjuncts[i])
	}
	var parts []string
	if strings.Contains(conj.Message, "two actions") {
		// Bare verbs share the object of the last one ("approve or
		// reject return requests"), but only when all of them are bare:
		// in "see shipping, payment and order review" the bare word is
		// an object, not a verb.
		last := strings.Fields(conjuncts[len(conjuncts)-1])
		tail := strings.Join(last[1:], " ")
		bare := 0
		for _, c := range conjuncts[:len(conjuncts)-1] {
			if len(strings.Fields(c)) == 1 {
				bare++
			}
		}
		if bare != 0 && (bare != len(conjuncts)-1 || tail == "") {
			return nil
		}
		for _, c := range conjuncts {
			if !verbLed(c) {
				return nil
			}
			if len(strings.Fields(c)) == 1 {
				c += " " + tail
			}
			parts = append(parts, c)
		}
	} else {
		// Objects of the first verb: the first conjunct must be the verb
		// and its object alone, so that the others surely attach to the
		// verb and not to a preposition inside it.
		first := strings.Fields(conjuncts[0])
		if len(first) < 2 {
			return nil
		}
		for _, w := range first[1:] {
			if prepositions[strings.ToLower(w)] || conjunctions[strings.ToLower(w)] {
				return nil
			}
		}
		// A phrase after the last object may belong to every object
		// ("the name, price and stock status on product pages").
		for _, w := range strings.Fields(conjuncts[len(conjuncts)-1]) {
			if prepositions[strings.ToLower(w)] {
				return nil
			}
		}
		verb := first[0]
		parts = append(parts, conjuncts[0])
		for _, c := range conjuncts[1:] {
			if strings.EqualFold(firstWord(c), verb) {
				return nil
			}
			parts = append(parts, verb+" "+c)
		}
	}
	for i, p := range parts {
		if !cleanPhrase(p) || slices.Contains(parts[:i], p) {
			return nil
		}
	}
	return parts
}

// objectList is a serial list of 3 or more one-word objects after "of" or
// "for": "a report of sales, refunds, taxes and fees".
var objectList = regexp.MustCompile(`\b(of|for) ((?:[a-z][a-z-]*, )+[a-z][a-z-]*),? (and|or) ([a-z][a-z-]*)\b`)

// listParts splits a story whose means names one thing made of a list of
// objects ("get a report of sales, refunds, taxes, payouts, fees and
// inventory every day") into parts over the objects: one each for up to
// 4, else in pairs (at most 5 parts); what follows the list (a trailer
// such as "every day, week and month") goes to every part. Nil when the
// list is not clearly the objects (the word after it continues a noun,
// as in "shipping, payment and order review").
func listParts(check domain.CheckResult) []string {
	st := check.Story
	if !check.JudgedAsStory || st == nil || clause(st.Role) == "" || !verbLed(st.Means) {
		return nil
	}
	means := clause(st.Means)
	locs := objectList.FindAllStringSubmatchIndex(means, -1)
	if len(locs) != 1 {
		return nil // none, or two lists of objects: no one clean reading
	}
	m := locs[0]
	head := means[:m[3]] // up to and including "of"
	trailer := strings.TrimSpace(means[m[1]:])
	if tw := strings.ToLower(firstWord(trailer)); trailer != "" && !prepositions[tw] && !determiners[tw] {
		return nil
	}
	items := append(strings.Split(means[m[4]:m[5]], ", "), means[m[8]:m[9]])
	for i, it := range items {
		items[i] = strings.TrimSpace(it)
		w := strings.ToLower(items[i])
		if determiners[w] || prepositions[w] || conjunctions[w] || pronouns[w] || slices.Contains(items[:i], items[i]) {
			return nil
		}
	}
	if len(items) > 10 {
		return nil
	}
	word := means[m[6]:m[7]]
	var groups [][]string
	size := 1
	if len(items) > 4 {
		size = 2
	}
	for i := 0; i < len(items); i += size {
		groups = append(groups, items[i:min(i+size, len(items))])
	}
	var parts []string
	for _, g := range groups {
		p := head + " " + strings.Join(g, " "+word+" ")
		if trailer != "" {
			p += " " + trailer
		}
		if !cleanPhrase(p) {
			return nil
		}
		parts = append(parts, p)
	}
	return parts
}

// cleanPhrase reports a verb phrase of at least two words with no word
// doubled and no dangling function word or article at its end.
func cleanPhrase(p string) bool {
	f := strings.Fields(strings.ToLower(p))
	if len(f) < 2 || !verbLed(p) {
		return false
	}
	for i := 1; i < len(f); i++ {
		if f[i] == f[i-1] {
			return false
		}
	}
	last := strings.Trim(f[len(f)-1], ",.;:")
	if determiners[last] || prepositions[last] || conjunctions[last] || auxiliaries[last] {
		return false
	}
	// "have an intuitive": an article with only one word before the end
	// names no thing when that word is an adjective form.
	if len(f) >= 2 && (f[len(f)-2] == "a" || f[len(f)-2] == "an" || f[len(f)-2] == "the") {
		for _, suf := range []string{"ive", "ous", "ful", "less", "able", "ible", "al", "ic"} {
			if strings.HasSuffix(last, suf) {
				return false
			}
		}
	}
	return true
}

// splitDeterministic writes the stories of a clean split: the story
// sentence once per part, and every acceptance criterion either with the
// one part it names or with every part (shared), none dropped.
func splitDeterministic(key string, check domain.CheckResult) [][2]string {
	parts := splitParts(check)
	if parts == nil {
		parts = listParts(check)
	}
	if parts == nil {
		return nil
	}
	st := check.Story
	role, benefit := clause(st.Role), clause(st.Benefit)
	own := make([][]string, len(parts))
	var shared []string
	for _, c := range check.AcceptanceCriteria {
		c = oneLine(c)
		match := -1
		for i := range parts {
			if mentions(c, distinctive(parts, i)) {
				if match >= 0 {
					match = -2
					break
				}
				match = i
			}
		}
		if match >= 0 {
			own[match] = append(own[match], c)
		} else {
			shared = append(shared, c)
		}
	}
	var out [][2]string
	for i, p := range parts {
		summary := fmt.Sprintf("As %s %s, I want to %s", article(role), role, p)
		if benefit != "" {
			summary += ", so that " + benefit
		}
		crit := append(append([]string(nil), own[i]...), shared...)
		// A part no criterion names gets one built from its own words.
		if len(crit) == 0 && cleanSpans(check, st.RoleSpan, st.BenefitSpan) {
			if c, ok := criterionFromStory(role, p, benefit); ok {
				crit = append(crit, c)
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Split from %s.", key)
		if len(shared) == 1 {
			b.WriteString(" The last acceptance criterion applies to every part of the split.")
		} else if len(shared) > 1 {
			fmt.Fprintf(&b, " The last %d acceptance criteria apply to every part of the split.", len(shared))
		}
		if len(crit) > 0 {
			b.WriteString("\n\nAcceptance criteria\n\n")
			for _, c := range crit {
				b.WriteString("- " + c + "\n")
			}
		}
		out = append(out, [2]string{summary, b.String()})
	}
	return out
}

// distinctive are the content words of part i that no other part has.
func distinctive(parts []string, i int) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(parts[i])) {
		w = strings.Trim(w, ",.;:")
		if len(w) < 3 || determiners[w] || prepositions[w] || conjunctions[w] {
			continue
		}
		shared := false
		for j, p := range parts {
			if j != i && slices.Contains(strings.Fields(strings.ToLower(p)), w) {
				shared = true
			}
		}
		if !shared {
			out = append(out, w)
		}
	}
	return out
}

// mentions reports whether text has a word sharing a stem (the first
// five letters, or the whole of a shorter word) with one of words:
// "reject" names "Rejections".
func mentions(text string, words []string) bool {
	for _, t := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		for _, w := range words {
			stem := w[:min(len(w), 5)]
			if len(w) < 5 && t == w || len(w) >= 5 && strings.HasPrefix(t, stem) {
				return true
			}
		}
	}
	return false
}
