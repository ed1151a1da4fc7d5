package research

import (
	"strings"
	"unicode"
)

// Per-kind caps on what findings keep.
const (
	maxSources = 8
	maxSignals = 5
)

// Cue words, matched at the start of a lowercase word. A sentence may
// count for several kinds.
var (
	painCues = []string{"frustrat", "complain", "abandon", "struggl", "difficult", "hard to", "slow", "confus",
		"problem", "pain", "annoy", "too many", "can't", "cannot", "fail", "lost", "hate", "error", "friction",
		"churn", "drop off", "drop-off", "give up", "tedious", "manual"}
	trendCues = []string{"trend", "growing", "growth", "rise", "rising", "increas", "adoption", "more and more",
		"shift", "expected to", "forecast", "by 2025", "by 2026", "by 2027", "by 2028", "cagr", "surge"}
	// statCues make a sentence a weaker trend: a figure without a direction.
	statCues = []string{"%", "percent"}
	diffCues = []string{"only ", "unique", "first to", "unlike", "no other", "lack", "missing", "doesn't offer",
		"does not offer", "gap", "underserved", "none of", "differentiat", "stand out", "nobody"}
	featureCues = []string{"offer", "lets ", "launch", "support", "introduc", "allow", "feature", "now ", "new ",
		"add", "release", "provide", "enable", "include"}
)

type extractor struct {
	competitors []string
	f           Findings
	seenURL     map[string]int
	seenText    map[string]bool
	// stats are figures kept for trends when fewer than maxSignals
	// directional trends turn up.
	stats []Signal
}

func newExtractor(competitors []string) *extractor {
	var cs []string
	for _, c := range competitors {
		if c = strings.TrimSpace(c); c != "" {
			cs = append(cs, c)
		}
	}
	return &extractor{competitors: cs, seenURL: map[string]int{}, seenText: map[string]bool{}}
}

// source records a result as a source and returns its index (-1 when the
// sources are full).
func (e *extractor) source(title, link, date, snippet string) int {
	if link == "" {
		return -1
	}
	if i, ok := e.seenURL[link]; ok {
		return i
	}
	if len(e.f.Sources) >= maxSources {
		return -1
	}
	e.f.Sources = append(e.f.Sources, Source{Title: clean(title), URL: link, Date: strings.TrimSpace(date), Snippet: clean(snippet)})
	e.seenURL[link] = len(e.f.Sources) - 1
	return len(e.f.Sources) - 1
}

func (e *extractor) add(r *SerpResult) {
	if r == nil {
		return
	}
	for _, o := range r.Organic {
		src := e.source(o.Title, o.Link, o.Date, o.Snippet)
		if src < 0 {
			continue
		}
		// A title names the page; it is read for competitor news only.
		e.competitorNews(clean(o.Title), src)
		for _, s := range sentences(o.Snippet) {
			e.classify(s, src)
		}
	}
	for _, q := range r.Questions {
		src := e.source(q.Title, q.Link, q.Date, q.Snippet)
		if src < 0 {
			continue
		}
		// What people ask about is a need or a pain.
		e.signal(&e.f.PainPoints, "People ask: "+clean(q.Question), src)
		for _, s := range sentences(q.Snippet) {
			e.classify(s, src)
		}
	}
}

func (e *extractor) classify(s string, src int) {
	lower := strings.ToLower(s)
	if has(lower, painCues) {
		e.signal(&e.f.PainPoints, s, src)
	}
	switch {
	case has(lower, trendCues):
		e.signal(&e.f.Trends, s, src)
	case has(lower, statCues):
		e.signal(&e.stats, s, src)
	}
	if has(lower, diffCues) {
		e.signal(&e.f.Differentiators, s, src)
	}
	e.competitorNews(s, src)
}

// competitorNews records s as a competitor feature when it names a
// competitor doing something.
func (e *extractor) competitorNews(s string, src int) {
	lower := strings.ToLower(s)
	for _, c := range e.competitors {
		if containsWord(lower, strings.ToLower(c)) && has(lower, featureCues) && len(e.f.CompetitorFeatures) < maxSignals*2 {
			key := "c:" + c + ":" + s
			if !e.seenText[key] {
				e.seenText[key] = true
				e.f.CompetitorFeatures = append(e.f.CompetitorFeatures, CompetitorFeature{Competitor: c, Feature: s, Source: src})
			}
		}
	}
}

func (e *extractor) signal(list *[]Signal, s string, src int) {
	if len(*list) >= maxSignals || len(s) < 12 {
		return
	}
	key := strings.ToLower(s)
	for _, x := range *list {
		if strings.ToLower(x.Text) == key {
			return
		}
	}
	*list = append(*list, Signal{Text: s, Source: src})
}

func (e *extractor) into(f *Findings) {
	for _, st := range e.stats {
		e.signal(&e.f.Trends, st.Text, st.Source)
	}
	f.Trends, f.CompetitorFeatures, f.Differentiators, f.PainPoints, f.Sources =
		e.f.Trends, e.f.CompetitorFeatures, e.f.Differentiators, e.f.PainPoints, e.f.Sources
}

func has(lower string, cues []string) bool {
	for _, c := range cues {
		i := strings.Index(lower, c)
		for i >= 0 {
			if i == 0 || !isLetter(lower[i-1]) || !isLetter(c[0]) {
				return true
			}
			j := strings.Index(lower[i+1:], c)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}

func containsWord(lower, w string) bool {
	for i := strings.Index(lower, w); i >= 0; {
		end := i + len(w)
		if (i == 0 || !isLetter(lower[i-1])) && (end == len(lower) || !isLetter(lower[end])) {
			return true
		}
		j := strings.Index(lower[i+1:], w)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }

// sentences splits text into trimmed sentences without the " ..." that
// Google puts around snippet fragments.
func sentences(s string) []string {
	s = strings.ReplaceAll(s, "...", ".")
	s = strings.ReplaceAll(s, "…", ".")
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c == '.' || c == '!' || c == '?') && (i+1 == len(s) || s[i+1] == ' ') {
			// Keep "e.g." and decimals together.
			if c == '.' && i > 0 && i+2 < len(s) && unicode.IsLower(rune(s[i+2])) {
				continue
			}
			if t := clean(s[start : i+1]); len(t) > 2 {
				out = append(out, t)
			}
			start = i + 1
		}
	}
	if t := clean(s[start:]); len(t) > 2 {
		out = append(out, t)
	}
	return out
}

func clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.Trim(s, " .·-–—|")
}
