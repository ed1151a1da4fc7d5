package score

import (
	"strings"

	"github.com/backlogai/backlogai/server/analysis/text"
	"github.com/backlogai/backlogai/server/domain"
)

// maxWords bounds how many distinct words of one kind are kept.
const maxWords = 6

// MaxTextBytes bounds how much of a summary and of a description scoring
// reads. Longer descriptions are mostly pasted logs and stack traces; the
// bound keeps the cost per issue flat (about 15 ns per byte).
const MaxTextBytes = 8 << 10

// clipBytes cuts s to at most n bytes at a UTF-8 boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// signals is what one pass over an issue's text found.
type signals struct {
	tokens   []string // lowercase words of summary then description
	nSummary int
	persona  string // lowercase role of "As a …, I …", "" if none
	// words[i][:nWords[i]] are the distinct words of kind 1<<i found.
	words  [7][maxWords]string
	nWords [7]int
	comps  []int // competitors named, in order of first mention
	// phrases already matched, so repeats build no label.
	phrases  [8]*phrase
	nPhrases int
	// framed has bit 4c+f set once competitor c (c < 16) was seen in
	// framing f, for the same reason.
	framed uint64
	// severity is the strongest harm a defect-type issue names (sevNone
	// otherwise), sevWord its word, sevClasses how many classes it names.
	severity   severityClass
	sevWord    string
	sevClasses int
}

// seen reports whether phrase p was matched before, and records it.
func (s *signals) seen(p *phrase) bool {
	for _, q := range s.phrases[:s.nPhrases] {
		if q == p {
			return true
		}
	}
	if s.nPhrases < len(s.phrases) {
		s.phrases[s.nPhrases] = p
		s.nPhrases++
	}
	return false
}

// seenFrame is seen for a competitor's framing f (0-3).
func (s *signals) seenFrame(c, f int) bool {
	if c >= 16 {
		return false
	}
	bit := uint64(1) << (4*c + f)
	if s.framed&bit != 0 {
		return true
	}
	s.framed |= bit
	return false
}

func (s *signals) of(k kind) []string {
	for i := 0; i < len(s.words); i++ {
		if k == 1<<i {
			return s.words[i][:s.nWords[i]]
		}
	}
	return nil
}

func (s *signals) add(k kind, w string) {
	for i := 0; i < len(s.words); i++ {
		if k&(1<<i) == 0 {
			continue
		}
		n := s.nWords[i]
		if n >= maxWords || containsFolded(s.words[i][:n], w) {
			continue
		}
		s.words[i][n] = w
		s.nWords[i]++
	}
}

// isRequireWord reports whether w starts the "requires … first"
// dependency pattern (a switch: this runs for every token).
func isRequireWord(w string) bool {
	switch w {
	case "requires", "require", "required", "needs", "need":
		return true
	}
	return false
}

// containsFolded reports whether list holds w up to a plural "s"
// ("customer", "customers").
func containsFolded(list []string, w string) bool {
	fw := foldS(w)
	for _, x := range list {
		if foldS(x) == fw {
			return true
		}
	}
	return false
}

// signals tokenizes the issue once and runs the lexicon and competitor
// matchers over the words.
func (sc *Scorer) signals(iss *domain.Issue, in Input, acc *simAcc, tokens []string) signals {
	summary := strings.ToLower(clipBytes(iss.Summary, MaxTextBytes))
	desc := strings.ToLower(clipBytes(iss.Description, MaxTextBytes))
	s := signals{tokens: tokens[:0]}
	scan := func(lt string) {
		text.Scan(lt, func(t text.Token) {
			if !t.Compound {
				s.tokens = append(s.tokens, t.Text)
			}
		})
	}
	scan(summary)
	s.nSummary = len(s.tokens)
	scan(desc)

	if in.Persona != "" {
		s.persona = strings.ToLower(strings.TrimSpace(in.Persona))
	} else if p := findPersona(summary); p != "" {
		s.persona = p
	} else {
		s.persona = findPersona(desc)
	}

	s.severity = sevNone
	if valuedAsDefect(iss.Type) {
		if classes, words := severities(s.tokens); len(classes) > 0 {
			s.severity, s.sevWord, s.sevClasses = classes[0], words[0], len(classes)
		}
	}
	toks := s.tokens
	withSim := !sc.sim.empty()
	for i, w := range toks {
		e, ok := lexicon[w]
		if withSim && isTermOfKind(w, e.kind) {
			acc.add(w, i < s.nSummary)
		}
		if ok {
			if e.kind&^kFiller != 0 {
				s.add(e.kind&^kFiller, w)
			}
			for k := range e.phrases {
				p := &e.phrases[k]
				if hasAt(toks, i+1, p.rest) && !s.seen(p) {
					label := p.label
					if label == "" {
						label = w + " " + strings.Join(p.rest, " ")
					}
					s.add(p.kind, label)
				}
			}
		}
		if isRequireWord(w) && len(s.of(kDep)) < maxWords {
			for j := i + 1; j < len(toks) && j <= i+6; j++ {
				if toks[j] == "first" {
					s.add(kDep, w+" … first")
					break
				}
			}
		}
		if len(w) > 0 && sc.compFirstByte[w[0]] {
			for _, c := range sc.compFirst[w] {
				sc.competitorAt(&s, i, c)
			}
		}
	}
	return s
}

// competitorAt records competitor c if its name starts at token i, with the
// catch-up or differentiator framing around it.
func (sc *Scorer) competitorAt(s *signals, i, c int) {
	comp := sc.competitors[c]
	toks := s.tokens
	if !hasAt(toks, i, comp.words) {
		return
	}
	if !containsInt(s.comps, c) {
		s.comps = append(s.comps, c)
	}
	after := i + len(comp.words)
	prev := func(k int) string {
		if i-k >= 0 {
			return toks[i-k]
		}
		return ""
	}
	next := ""
	if after < len(toks) {
		next = toks[after]
	}
	switch {
	case prev(1) == "like" && catchVerbs[next]:
		if !s.seenFrame(c, 0) {
			s.add(kCatch, "like "+comp.name+" "+next)
		}
	case prev(1) == "like":
		if !s.seenFrame(c, 0) {
			s.add(kCatch, "like "+comp.name)
		}
	case prev(2) == "similar" && prev(1) == "to", prev(2) == "same" && prev(1) == "as":
		if !s.seenFrame(c, 1) {
			s.add(kCatch, prev(2)+" "+prev(1)+" "+comp.name)
		}
	case next == "already":
		if !s.seenFrame(c, 2) {
			s.add(kCatch, comp.name+" already")
		}
	case prev(1) == "unlike", prev(1) == "beat", prev(1) == "beats", prev(1) == "outperform":
		if !s.seenFrame(c, 3) {
			s.add(kDiff, prev(1)+" "+comp.name)
		}
	}
}

func hasAt(toks []string, i int, words []string) bool {
	if i+len(words) > len(toks) {
		return false
	}
	for k, w := range words {
		if toks[i+k] != w {
			return false
		}
	}
	return true
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// findPersona returns the role of the first "As a/an <role>, I …" sentence
// in lowercase text lt (also after "In order to …, "), or "".
func findPersona(lt string) string {
	for lt != "" {
		line := lt
		if k := strings.IndexByte(lt, '\n'); k >= 0 {
			line, lt = lt[:k], lt[k+1:]
		} else {
			lt = ""
		}
		if role := personaInLine(line); role != "" {
			return role
		}
	}
	return ""
}

func personaInLine(line string) string {
	line = strings.TrimLeft(line, " \t-*#>0123456789.)")
	rest := ""
	for _, lead := range []string{"as an ", "as a "} {
		if strings.HasPrefix(line, lead) {
			rest = line[len(lead):]
			break
		}
		if k := strings.Index(line, ", "+lead); k >= 0 {
			rest = line[k+2+len(lead):]
			break
		}
	}
	if rest == "" {
		return ""
	}
	end := len(rest)
	for _, stop := range []string{",", " i ", " i'"} {
		if k := strings.Index(rest, stop); k >= 0 && k < end {
			end = k
		}
	}
	if end == len(rest) || end > 60 {
		return "" // no "I …" part: "as a result", "as an example"
	}
	tail := strings.TrimLeft(rest[end:], ", ")
	if !(strings.HasPrefix(tail, "i ") || strings.HasPrefix(tail, "i'")) {
		return ""
	}
	role := strings.TrimSpace(rest[:end])
	if first, _, _ := strings.Cut(role, " "); notRoles[first] {
		return ""
	}
	return role
}

// notRoles are nouns that follow "as a" without naming anyone ("As a
// result, I …").
var notRoles = map[string]bool{
	"result": true, "consequence": true, "rule": true, "whole": true, "reminder": true,
	"note": true, "workaround": true, "fallback": true, "side": true, "bonus": true,
	"matter": true, "example": true, "first": true, "start": true, "test": true,
}

// genericRole reports whether a role names nobody in particular ("user",
// "end user").
func genericRole(role string) bool {
	for w := range strings.FieldsSeq(role) {
		switch w {
		case "a", "an", "the", "end", "regular", "normal", "typical", "any", "general":
			continue
		}
		if !genericRoles[w] {
			return false
		}
	}
	return true
}
