package dupes

import (
	"math"
	"strings"
	"unicode"

	"github.com/backlogai/backlogai/server/analysis/text"
	"github.com/backlogai/backlogai/server/domain"
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
	var boiler map[string]struct{}
	if b := x.boiler.Load(); b != nil {
		boiler = *b
	}
	an.a.lenS = an.field(stripURLs(summary), fieldSummary)
	frames := 0
	for line := range strings.Lines(description) {
		if len(boiler) > 0 {
			if _, ok := boiler[lineKey(line)]; ok {
				continue
			}
			line = stripLabel(line, boiler)
		}
		if isFrame(line) {
			frames++
			if x.opt.MaxFrames > 0 && frames > x.opt.MaxFrames {
				continue
			}
		} else {
			frames = 0
		}
		an.a.lenD += an.field(stripURLs(line), fieldDescription)
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
		if n >= limit || versionNoise(word) {
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

// Learn finds the project's boilerplate: description lines (compared by
// lineKey) and line labels ("Expected:", "Environment:") present in at
// least Options.BoilerplateLines of the issues and in at least 3 of them.
// (Summary prefixes such as "Backend:" or "Test:" are kept: they tell the
// kind of work apart.) Issues added afterwards are read without those
// lines and labels. Call it on the whole project before adding its issues
// (at scan time); calling it again replaces the set, for issues added
// later.
func (x *Index) Learn(issues []domain.Issue) {
	share := x.opt.BoilerplateLines
	if share <= 0 || len(issues) == 0 {
		x.boiler.Store(nil)
		return
	}
	counts := make(map[string]int)
	seen := make(map[string]struct{})
	see := func(k string) {
		if _, ok := seen[k]; !ok && k != "" && k != labelMark {
			seen[k] = struct{}{}
			counts[k]++
		}
	}
	for i := range issues {
		clear(seen)
		for line := range strings.Lines(issues[i].Description) {
			see(lineKey(line))
			if l, ok := labelOf(line); ok {
				see(labelMark + lineKey(l))
			}
		}
	}
	min := max(3, int(math.Ceil(share*float64(len(issues)))))
	set := make(map[string]struct{})
	for k, n := range counts {
		if n >= min {
			set[k] = struct{}{}
		}
	}
	x.boiler.Store(&set)
}

// labelMark prefixes learned labels in the boilerplate set, apart from
// whole lines.
const labelMark = "label:"

// labelOf returns the label of a "Label: text" line: up to 4 words before
// a colon, with text after it.
func labelOf(line string) (string, bool) {
	i := strings.IndexByte(line, ':')
	if i <= 0 || i > 40 || strings.TrimSpace(line[i+1:]) == "" || strings.HasPrefix(line[i:], "://") {
		return "", false
	}
	label := line[:i]
	if n := len(strings.Fields(label)); n == 0 || n > 4 {
		return "", false
	}
	return label, true
}

// stripLabel removes a learned label from the start of line.
func stripLabel(line string, boiler map[string]struct{}) string {
	if len(boiler) == 0 {
		return line
	}
	if l, ok := labelOf(line); ok {
		if _, ok := boiler[labelMark+lineKey(l)]; ok {
			return line[len(l)+1:]
		}
	}
	return line
}

// BoilerplateLines returns how many lines Learn found, for reports.
func (x *Index) BoilerplateLines() int {
	if b := x.boiler.Load(); b != nil {
		return len(*b)
	}
	return 0
}

// lineKey normalises a line for boilerplate matching: lowercase letters
// only, words separated by one space, so "Steps to reproduce:" and
// "*Steps to Reproduce*" match and so do lines differing only in a number.
func lineKey(line string) string {
	var b strings.Builder
	space := false
	for _, r := range line {
		switch {
		case 'a' <= r && r <= 'z':
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case r > 127 && unicode.IsLetter(r):
			r = unicode.ToLower(r)
		default:
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stripURLs replaces each URL in s by its last path segment: scheme, host
// and the leading path ("https", "issues", "apache", "org", "jira",
// "browse") are the same in every link and say nothing about the subject,
// while the last segment is often an issue key or a file name.
func stripURLs(s string) string {
	if !strings.Contains(s, "://") && !strings.Contains(s, "www.") {
		return s
	}
	var b strings.Builder
	for {
		i := urlStart(s)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		j := i
		for j < len(s) && !isURLEnd(s[j]) {
			j++
		}
		u := s[i:j]
		if q := strings.IndexAny(u, "?#"); q >= 0 {
			u = u[:q]
		}
		u = strings.TrimRight(u, "/.,;:")
		if k := strings.Index(u, "://"); k >= 0 {
			u = u[k+3:]
		}
		if k := strings.LastIndexByte(u, '/'); k >= 0 {
			b.WriteByte(' ')
			b.WriteString(u[k+1:])
		}
		b.WriteByte(' ')
		s = s[j:]
	}
}

// urlStart returns the index of the first "scheme://" or "www." URL in s,
// or -1.
func urlStart(s string) int {
	best := -1
	if i := strings.Index(s, "://"); i > 0 {
		j := i
		for j > 0 && isLetter(s[j-1]) {
			j--
		}
		if j < i {
			best = j
		}
	}
	if i := strings.Index(s, "www."); i >= 0 && (i == 0 || !isAlnum(s[i-1])) && (best < 0 || i < best) {
		best = i
	}
	return best
}

func isURLEnd(c byte) bool {
	return c <= ' ' || strings.IndexByte("\"'<>()[]{}|", c) >= 0
}

// versionNoise reports whether a token is a piece of a version number,
// time stamp or build id rather than a word: it starts with a digit
// ("787z" from "10:58:12.787Z", "0rc1", "2nd") or is a bare version tag
// ("v2", "rc1"). Whole version numbers are kept as exact terms
// (Options.ExactTerms), where they do identify a subject.
func versionNoise(w string) bool {
	if w == "" {
		return false
	}
	if isDigit(w[0]) {
		return true
	}
	rest := w
	switch {
	case w[0] == 'v':
		rest = w[1:]
	case strings.HasPrefix(w, "rc"):
		rest = w[2:]
	default:
		return false
	}
	if rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !isDigit(rest[i]) {
			return false
		}
	}
	return true
}
