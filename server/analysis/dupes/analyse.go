package dupes

import (
	"math"
	"strings"

	"github.com/backlogai/backlogai/server/analysis/text"
)

// analysed is an issue's text turned into terms, computed outside the lock.
type analysed struct {
	terms      []string // distinct terms in first-seen order
	words      []string // readable word per term; "" for bigrams
	tfs        []tf
	lenS, lenD int
}

// fields of an issue.
const (
	fieldSummary = iota
	fieldDescription
)

func (x *Index) analyse(summary, description string) analysed {
	an := analyser{opt: &x.opt, pos: make(map[string]int, 64)}
	an.a.lenS = an.field(summary, fieldSummary)
	frames := 0
	for line := range strings.Lines(description) {
		if isFrame(line) {
			frames++
			if x.opt.MaxFrames > 0 && frames > x.opt.MaxFrames {
				continue
			}
		} else {
			frames = 0
		}
		an.a.lenD += an.field(line, fieldDescription)
	}
	return an.a
}

type analyser struct {
	opt *Options
	a   analysed
	pos map[string]int // term → index in a.terms
}

// field adds the terms of s to field f and returns how many word terms it
// read.
func (an *analyser) field(s string, f int) int {
	limit := an.opt.MaxFieldTerms
	if f == fieldDescription {
		limit -= an.a.lenD
	}
	if limit <= 0 {
		return 0 // the rest of a huge paste is not read at all
	}
	n := 0
	prev := ""
	text.Each(s, func(term, word string) {
		if n >= limit {
			return
		}
		n++
		an.add(term, word, f)
		if an.opt.Bigrams {
			if prev != "" {
				an.add(prev+" "+term, "", f)
			}
			prev = term
		}
	})
	if an.opt.ExactTerms {
		eachExactTerm(s, f == fieldSummary, func(term, word string) { an.add(term, word, f) })
	}
	return n
}

func (an *analyser) add(term, word string, f int) {
	a := &an.a
	i, ok := an.pos[term]
	if !ok {
		i = len(a.terms)
		an.pos[term] = i
		a.terms = append(a.terms, term)
		a.words = append(a.words, word)
		a.tfs = append(a.tfs, tf{})
	} else if word != "" && len(word) < len(a.words[i]) {
		a.words[i] = word
	}
	t := &a.tfs[i]
	if f == fieldSummary {
		if t.s < math.MaxUint8 {
			t.s++
		}
	} else if t.d < math.MaxUint8 {
		t.d++
	}
}

// isFrame reports whether a line is a stack frame: "at pkg.Class.method(…)"
// (Java, Scala, .NET), "at fn (file.js:3:9)" (JavaScript) or
// `File "x.py", line 3` (Python).
func isFrame(line string) bool {
	l := strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(l, "at "); ok {
		name, _, found := strings.Cut(rest, "(")
		name = strings.TrimSpace(name)
		return found && name != "" && !strings.ContainsAny(name, " \t")
	}
	return strings.HasPrefix(l, `File "`) && strings.Contains(l, `", line `)
}
