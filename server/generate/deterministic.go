package generate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/backlogai/backlogai/server/research"
)

// Deterministic writes stories from the form alone, using only what it
// states and nothing a rule would have to invent:
//
//   - one story per user capability the form names: the objective when it
//     reads "Let/Allow/Enable/Help <users> <do something>", and each
//     "<users> cannot <do something>" in the context. The objective is
//     never cut at "and", and a business objective ("Sell more",
//     "Increase conversion from 2.1 % to 2.8 %") is never written as the
//     user's wish;
//   - the objective and the metrics field become the success metrics, and
//     one story to track the first metric against its baseline and target;
//   - constraints become NFRs, competitors and their researched features
//     the competitive note, pain points and trends the why-sentences;
//   - what only a person (or an LLM) can say is listed as open questions.
//
// It may return fewer stories than asked for, even none.
func Deterministic(f Form, findings research.Findings) []Content {
	actor, capability := goalOf(f.Objective)
	persona := f.Persona
	if persona == "" {
		persona = actor
	}
	persona = role(persona, f.Segment)
	metrics := successMetrics(f)
	wants := deterministicWants(capability, f, findings)
	var out []Content
	for i, want := range wants {
		if len(out) == f.Count {
			return out
		}
		if !slices.Contains(wants[:i], want) {
			out = append(out, capabilityStory(persona, want, metrics, &f, findings))
		}
	}
	if m, ok := firstTargeted(metrics); ok && len(out) < f.Count {
		out = append(out, metricStory(m, &f, findings))
	}
	return out
}

// deterministicWants are what follows "I want" in the stories the rules
// can write ("to <verb phrase>" or a noun phrase): the objective's
// capability, then the context's, then the pain points research found.
func deterministicWants(capability string, f Form, findings research.Findings) []string {
	var wants []string
	if capability != "" {
		wants = append(wants, "to "+capability)
	}
	for _, text := range append([]string{f.Context}, signalTexts(findings.PainPoints)...) {
		for _, c := range contextCapabilities(text) {
			wants = append(wants, "to "+c)
		}
		wants = append(wants, contextWants(text)...)
	}
	return wants
}

// shortfallNotice says plainly why the rules wrote fewer stories than
// asked for (written of them), from what this form lacks, and what to add;
// it never names a story that was not written.
func shortfallNotice(f Form, findings research.Findings, written int) string {
	var b strings.Builder
	if written == 0 {
		fmt.Fprintf(&b, "Without AI, no story could be written from this form (%d asked for).", f.Count)
	} else {
		fmt.Fprintf(&b, "Without AI, only %d of the %d stories asked for could be written.", written, f.Count)
	}
	_, capability := goalOf(f.Objective)
	var wants []string
	for _, w := range deterministicWants(capability, f, findings) {
		if !slices.Contains(wants, w) {
			wants = append(wants, w)
		}
	}
	switch {
	case len(wants) == 0:
		b.WriteString(" The objective names no user capability and no context sentence says what users cannot do today:" +
			" add one, such as the objective 'Let shoppers pay with a wallet' or the context sentence 'Shoppers cannot pay with a wallet today'.")
	case len(wants) == 1:
		b.WriteString(" The form names one user capability, and the rules write one story per capability: name more in the context ('Shoppers cannot … today').")
	default:
		fmt.Fprintf(&b, " The form names %d user capabilities, and the rules write one story per capability: name more in the context ('Shoppers cannot … today').", len(wants))
	}
	if m, ok := firstTargeted(successMetrics(f)); ok {
		fmt.Fprintf(&b, " One story tracks %s.", lowerFirst(m.Name))
	} else if given := parseMetrics(f.Metrics); len(given) > 0 {
		fmt.Fprintf(&b, " The success metric %q has no target, so no story tracks it: give it as 'Checkout conversion from 2.1%% to 2.8%%'.", given[0].Name)
	} else {
		b.WriteString(" No success metric with a target is given, so no story tracks one: add one such as 'Checkout conversion from 2.1% to 2.8%'.")
	}
	b.WriteString(" An LLM would also write stories from the context, pain points and research, with acceptance criteria; an admin can set one up in Settings.")
	return b.String()
}

// capabilityStory is the story of one capability of the persona (want
// is "to <verb phrase>" or a noun phrase). Its benefit is the first
// success metric when there is one; its acceptance criteria are left to a
// person, as open questions.
func capabilityStory(persona, want string, metrics []Metric, f *Form, findings research.Findings) Content {
	c := base(f, findings)
	c.Metrics = metrics
	c.Title = truncate(upperFirst(shortTitle(strings.TrimPrefix(want, "to "), 10)), maxTitle)
	c.UserStory = fmt.Sprintf("As %s %s, I want %s", article(persona), persona, want)
	m, targeted := firstTargeted(metrics)
	if targeted {
		if m.Baseline != "" && m.Baseline != metricUnmeasured {
			c.UserStory += fmt.Sprintf(", so that %s can move from %s to %s", lowerFirst(m.Name), m.Baseline, m.Target)
		} else {
			c.UserStory += fmt.Sprintf(", so that %s can reach %s", lowerFirst(m.Name), m.Target)
		}
	}
	c.UserStory += "."
	c.OpenQuestions = append(c.OpenQuestions,
		fmt.Sprintf("What does the %s see or get when this works, and which result can a tester check?", persona),
		"What is out of scope for this story?")
	if !targeted {
		c.OpenQuestions = append(c.OpenQuestions, fmt.Sprintf("Why does the %s need this: what do they gain?", persona))
	}
	for _, m := range metrics {
		if m.Target == "" {
			c.OpenQuestions = append(c.OpenQuestions, fmt.Sprintf("Which target should %s reach, and by when?", lowerFirst(m.Name)))
		}
	}
	c.normalize()
	return c
}

// firstTargeted is the first metric with a target.
func firstTargeted(ms []Metric) (Metric, bool) {
	for _, m := range ms {
		if m.Target != "" {
			return m, true
		}
	}
	return Metric{}, false
}

// metricStory lets the product manager see the first metric against its
// baseline and target: every word of it comes from the form.
func metricStory(m Metric, f *Form, findings research.Findings) Content {
	c := base(f, findings)
	c.Metrics = successMetrics(*f)
	name := lowerFirst(m.Name)
	c.Title = truncate("Report "+name+" each week", maxTitle)
	c.UserStory = fmt.Sprintf("As a product manager, I want to see %s each week next to its target, so that I know whether the objective is met.", name)
	base := "its baseline"
	if m.Baseline != "" && m.Baseline != metricUnmeasured {
		base = "the baseline of " + m.Baseline
	}
	c.AcceptanceCriteria = []string{
		fmt.Sprintf("Given a week has ended, when I open the report, then it shows %s for that week next to %s and the target of %s", name, base, m.Target),
		fmt.Sprintf("Given %s has not been measured for a week, when I open the report, then that week is marked as not measured", name),
	}
	c.OpenQuestions = append(c.OpenQuestions, fmt.Sprintf("Where is %s measured today, and by whom?", name))
	c.normalize()
	return c
}

// base holds what every deterministic story shares: NFRs from the
// constraints, metrics, the why-sentences, the competitive note and the
// sources.
func base(f *Form, findings research.Findings) Content {
	c := Content{ParentEpic: f.ParentEpic}
	for _, line := range splitLines(f.Constraints) {
		c.NFRs = append(c.NFRs, upperFirst(line)+".")
	}
	c.WhyThis = "It serves the objective: " + strings.TrimRight(oneLine(f.Objective), ".") + "."
	for i, p := range append(contextPains(f.Context), signalTexts(findings.PainPoints)...) {
		if i == 2 {
			break
		}
		c.WhyThis += " Pain point: " + strings.TrimRight(upperFirst(p), ".") + "."
	}
	if len(findings.Similar) > 0 {
		s := findings.Similar[0]
		c.WhyThis += fmt.Sprintf(" Related to %s (%d votes); check it before planning.", s.Key, s.Votes)
	}
	if len(findings.Trends) > 0 {
		c.WhyNow = findings.Trends[0].Text
	}
	c.WhyUs = competitiveNote(f.Competitors, findings)
	for i, s := range findings.Sources {
		if i == 3 {
			break
		}
		c.Sources = append(c.Sources, s)
	}
	return c
}

// competitiveNote names the competitors and what research found they
// offer; without research it says that their offer is not checked.
func competitiveNote(competitors []string, findings research.Findings) string {
	var parts []string
	seen := map[string]bool{}
	for _, cf := range findings.CompetitorFeatures {
		if t := strings.TrimRight(oneLine(cf.Feature), "."); t != "" && len(parts) < 3 {
			parts = append(parts, t+".")
			seen[strings.ToLower(cf.Competitor)] = true
		}
	}
	var unchecked []string
	for _, c := range competitors {
		if !seen[strings.ToLower(c)] {
			unchecked = append(unchecked, c)
		}
	}
	if len(unchecked) > 0 {
		parts = append(parts, "Not researched: what "+joinAnd(unchecked)+" offer"+map[bool]string{true: "s", false: ""}[len(unchecked) == 1]+" here.")
	}
	for _, d := range findings.Differentiators {
		if len(parts) < 4 {
			parts = append(parts, strings.TrimRight(oneLine(d.Text), ".")+".")
		}
	}
	return strings.Join(parts, " ")
}

func joinAnd(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func signalTexts(ss []research.Signal) []string {
	var out []string
	for _, s := range ss {
		if t := oneLine(s.Text); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// sentences splits prose into sentences and semicolon clauses.
func sentences(s string) []string {
	var out []string
	for _, p := range regexp.MustCompile(`[.;!?]\s+|[.;!?]$|\n+`).Split(s, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var (
	cannotRe = regexp.MustCompile(`(?i)\b(?:cannot|can't|can not|are unable to|is unable to|have no way to|has no way to)\s+([^,;:()]+)`)
	painRe   = regexp.MustCompile(`(?i)\b(?:today|by hand|by phone|manually|cannot|can't|no way to|never|wait|waiting|re-type|re-types|lost|late|stall|stalls|spreadsheets?)\b`)
	trailing = regexp.MustCompile(`(?i)\s+(?:today|yet|at the moment|any more|anymore|now)$`)
)

// contextCapabilities are the verb phrases of "<users> cannot <do
// something>" in the context: what users want and cannot do today.
func contextCapabilities(context string) []string {
	var out []string
	for _, s := range sentences(context) {
		for _, m := range cannotRe.FindAllStringSubmatch(s, -1) {
			vp := strings.TrimSpace(trailing.ReplaceAllString(strings.TrimSpace(m[1]), ""))
			vp = firstPerson(vp)
			if cleanPhrase(vp) && len(strings.Fields(vp)) <= 10 {
				out = append(out, vp)
			}
		}
	}
	return out
}

var wantsRe = regexp.MustCompile(`(?i)\b(?:ask|asks|asked) for\s+([^,;:()]+)|\b(?:want|wants|need|needs|require|requires)\s+([^,;:()]+)`)

// clauseEnd cuts a noun phrase where a new clause starts.
var clauseEnd = regexp.MustCompile(`(?i)\s+(?:before|after|when|while|because|so|but|and|or|if|until|since|to|today|yet)\b.*$`)

// contextWants are the noun phrases users ask for, want, need or require
// in the context ("parents ask for limits on play time").
func contextWants(context string) []string {
	var out []string
	for _, s := range sentences(context) {
		for _, m := range wantsRe.FindAllStringSubmatch(s, -1) {
			np := m[1]
			if np == "" {
				np = m[2]
			}
			np = firstPerson(strings.TrimSpace(clauseEnd.ReplaceAllString(strings.TrimSpace(np), "")))
			f := strings.Fields(strings.ToLower(np))
			if len(f) == 0 || len(f) > 8 || f[0] == "to" || verbLed(np) && len(f) > 1 && determiners[f[1]] {
				continue // "need to …", or a verb with its object: not a thing wanted
			}
			last := f[len(f)-1]
			if determiners[last] || prepositions[last] || conjunctions[last] || auxiliaries[last] || pronouns[f[0]] {
				continue
			}
			out = append(out, np)
		}
	}
	return out
}

// contextPains are the context's sentences that describe a problem of
// today (by hand, by phone, waiting, cannot …).
func contextPains(context string) []string {
	var out []string
	for _, s := range sentences(context) {
		if painRe.MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

// firstPerson rewrites the third-person possessives of a verb phrase for
// "I want to …": "see when their parcel arrives" → "… my parcel …".
func firstPerson(vp string) string {
	w := strings.Fields(vp)
	for i, x := range w {
		switch strings.ToLower(x) {
		case "their":
			w[i] = "my"
		case "them":
			w[i] = "me"
		case "themselves":
			w[i] = "myself"
		}
	}
	return strings.Join(w, " ")
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

// metricUnmeasured is the baseline of a metric the form gives none for.
const metricUnmeasured = "to be measured before release"

var (
	fromWord    = regexp.MustCompile(`(?i)\bfrom\s+`)
	toWord      = regexp.MustCompile(`(?i)\s+to\s+`)
	comparator  = regexp.MustCompile(`(?i)\s+((?:under|below|less than|at most|within|above|over|more than|at least)\s+\S*\d.*)$`)
	metricArrow = regexp.MustCompile(`^(.+?)[:=]\s*(.+?)\s*(?:->|→|=>)\s*(.+)$`)
	changeVerbs = setOf("increase", "raise", "grow", "boost", "improve", "lift", "reduce", "cut", "lower", "decrease", "shrink",
		"halve", "double", "triple", "bring", "keep", "hold", "drop", "get", "make", "push")
	// directionVerbs say which way a measure should move.
	directionVerbs = setOf("increase", "raise", "grow", "boost", "improve", "lift", "reduce", "cut", "lower", "decrease", "shrink",
		"halve", "double", "triple", "drop")
)

// parseMetric reads one metric: "checkout completion from 61% to 70%"
// (the "from" whose value has a digit: "time from cart to order from 80 s
// to 60 s"), "median time from cart to order under 90 seconds" (a
// comparator and a number make the target), or "name: 61% -> 70%".
// ok is false when the text names no baseline or target.
func parseMetric(s string) (Metric, bool) {
	s = strings.TrimRight(oneLine(s), ".")
	for _, loc := range fromWord.FindAllStringIndex(s, -1) {
		rest := s[loc[1]:]
		to := toWord.FindStringIndex(rest)
		if to == nil {
			continue
		}
		baseline := rest[:to[0]]
		if !strings.ContainsAny(baseline, "0123456789") || len(strings.Fields(baseline)) > 4 || fromWord.MatchString(baseline) {
			continue
		}
		name := strings.TrimSpace(s[:loc[0]])
		target := strings.TrimSpace(rest[to[1]:])
		if name == "" || target == "" {
			continue
		}
		return Metric{Name: upperFirst(name), Baseline: baseline, Target: target}, true
	}
	if m := comparator.FindStringSubmatchIndex(s); m != nil {
		if name := strings.TrimSpace(s[:m[0]]); name != "" {
			return Metric{Name: upperFirst(name), Baseline: metricUnmeasured, Target: s[m[2]:m[3]]}, true
		}
	}
	if m := metricArrow.FindStringSubmatch(s); m != nil {
		return Metric{Name: upperFirst(strings.TrimSpace(m[1])), Baseline: m[2], Target: m[3]}, true
	}
	return Metric{Name: upperFirst(s), Baseline: metricUnmeasured}, false
}

// parseMetrics reads the metrics field, one metric a line.
func parseMetrics(s string) []Metric {
	var out []Metric
	for _, l := range splitLines(s) {
		m, _ := parseMetric(l)
		out = append(out, m)
	}
	return out
}

// successMetrics are the objective's metric, when it states one
// ("Increase mobile checkout conversion from 2.1 % to 2.8 %"), then the
// metrics field's.
func successMetrics(f Form) []Metric {
	var out []Metric
	var untargeted *Metric
	obj := strings.TrimRight(oneLine(f.Objective), ".!")
	if w := strings.Fields(obj); len(w) > 1 && changeVerbs[strings.ToLower(w[0])] {
		if m, ok := parseMetric(strings.Join(w[1:], " ")); ok {
			out = append(out, m)
		} else if directionVerbs[strings.ToLower(w[0])] && !strings.ContainsAny(obj, ",;") {
			// "Reduce checkout abandonment on mobile": the measure without
			// a target (the form gives none, so none is written), after
			// the metrics that have one.
			untargeted = &Metric{Name: upperFirst(strings.Join(w[1:], " ")), Baseline: metricUnmeasured}
		}
	}
	for _, m := range parseMetrics(f.Metrics) {
		if !slices.ContainsFunc(out, func(o Metric) bool { return strings.EqualFold(o.Name, m.Name) }) {
			out = append(out, m)
		}
	}
	if untargeted != nil {
		out = append(out, *untargeted)
	}
	return out
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
	// A capital may be a name ("Northbank customer"): kept as typed.
	return p
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

var actorGoal = regexp.MustCompile(`(?i)^(?:let|allow|enable|help)\s+(?:the\s+|our\s+)?(.+)$`)

// goalOf reads an objective that names users and what they should be
// able to do: "Let walk-in guests wait somewhere else" → ("walk-in
// guest", "wait somewhere else"). The users are the words up to the first
// plural noun (at most three). Any other objective is the business's aim,
// not a user's capability: ("", "").
func goalOf(objective string) (string, string) {
	obj := strings.Trim(oneLine(objective), ".! ")
	m := actorGoal.FindStringSubmatch(obj)
	if m == nil {
		return "", ""
	}
	w := strings.Fields(m[1])
	if len(w) > 0 && determiners[strings.ToLower(w[0])] {
		w = w[1:]
	}
	n := 1
	for i := 0; i < len(w) && i < 3; i++ {
		if x := strings.ToLower(w[i]); x == "to" && i > 0 {
			n = i
			break
		} else if strings.HasSuffix(x, "s") && !strings.HasSuffix(x, "ss") {
			n = i + 1
			break
		}
	}
	if n >= len(w) {
		return "", ""
	}
	actor := strings.ToLower(strings.Join(w[:n], " "))
	goal := firstPerson(strings.TrimPrefix(lowerFirst(strings.Join(w[n:], " ")), "to "))
	if !verbLed(goal) {
		return "", ""
	}
	aw := strings.Fields(actor)
	aw[len(aw)-1] = singular(aw[len(aw)-1])
	return strings.Join(aw, " "), goal
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

// shortTitle keeps the first n words of s.
func shortTitle(s string, n int) string {
	w := strings.Fields(strings.Trim(s, ".!"))
	if len(w) > n {
		w = w[:n]
	}
	return strings.Join(w, " ")
}
