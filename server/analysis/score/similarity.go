package score

import (
	"math"
	"strings"

	"github.com/backlogai/backlogai/server/analysis/text"
)

// appendTokens appends the lowercase word tokens of s to dst. Joined forms
// of identifiers ("getFileStatus") are skipped: the parts are enough here.
func appendTokens(dst []string, s string) []string {
	text.Scan(strings.ToLower(s), func(t text.Token) {
		if !t.Compound {
			dst = append(dst, t.Text)
		}
	})
	return dst
}

// isTerm reports whether a lowercase token takes part in similarity.
func isTerm(w string) bool { return isTermOfKind(w, lexicon[w].kind) }

// isTermOfKind is isTerm for a token whose lexicon kind k is known.
func isTermOfKind(w string, k kind) bool {
	return k&kFiller == 0 && len(w) >= 2 && len(w) <= text.MaxTermLen && !text.IsNumber(w) && !text.IsStopWord(w)
}

// strategyDoc is one text of the strategy (the vision or an objective) as a
// sparse term vector over the index vocabulary.
type strategyDoc struct {
	label string // how explanations name it
	ids   []int32
	ws    []float64
	norm  float64
}

// simIndex compares issue text with the strategy texts by cosine similarity
// of term-frequency vectors (Porter stems, stop words removed, no IDF: a
// project's strategy is too small a corpus for document frequencies).
//
// To stay cheap per issue, only issue words that can stem to a strategy
// term are stemmed: short words always, longer ones when their first three
// bytes (hashed) start some strategy stem (Porter never changes those for
// words of five bytes or more). The issue vector's norm counts distinct surface words
// with a trailing "s" folded, which matches the stemmed norm except when a
// text holds several inflections of one word; cosines are clamped to 1.
type simIndex struct {
	vocab map[string]int32
	// prefixBits has a bit set for the first three bytes of every stem
	// (hashed to 12 bits): a cheap, exact-enough filter before stemming.
	prefixBits [64]uint64
	docs       []strategyDoc
}

func prefixHash(w string) uint32 {
	return (uint32(w[0])*961 + uint32(w[1])*31 + uint32(w[2])) & 4095
}

func newSimIndex(vision string, objectives []string) *simIndex {
	ix := &simIndex{vocab: map[string]int32{}}
	add := func(label, s string) {
		counts := map[int32]float64{}
		var order []int32
		for _, w := range appendTokens(nil, s) {
			if !isTerm(w) {
				continue
			}
			st := text.Stem(w)
			id, ok := ix.vocab[st]
			if !ok {
				id = int32(len(ix.vocab))
				ix.vocab[st] = id
				if len(st) >= 3 {
					h := prefixHash(st)
					ix.prefixBits[h/64] |= 1 << (h % 64)
				}
			}
			if _, seen := counts[id]; !seen {
				order = append(order, id)
			}
			counts[id]++
		}
		if len(order) == 0 {
			return
		}
		d := strategyDoc{label: label}
		for _, id := range order {
			d.ids = append(d.ids, id)
			d.ws = append(d.ws, counts[id])
			d.norm += counts[id] * counts[id]
		}
		d.norm = math.Sqrt(d.norm)
		ix.docs = append(ix.docs, d)
	}
	if strings.TrimSpace(vision) != "" {
		add("the vision", vision)
	}
	for _, o := range objectives {
		if o = strings.TrimSpace(o); o != "" {
			add("the objective “"+clip(o, 60)+"”", o)
		}
	}
	return ix
}

// empty reports whether the strategy has no text to compare with.
func (ix *simIndex) empty() bool { return len(ix.docs) == 0 }

// match is the best strategy text for some issue text.
type match struct {
	doc int // index into docs; -1 for none
	sim float64
}

// best returns the strategy text most similar to the tokens (see simAcc).
func (ix *simIndex) best(tokens []string, nSummary int) match {
	var a simAcc
	a.init(ix)
	for i, w := range tokens {
		if isTerm(w) {
			a.add(w, i < nSummary)
		}
	}
	return a.best()
}

// simAcc accumulates one issue's term vector as its tokens stream by, so
// the tokenizing pass over the issue also feeds similarity. It lives on the
// caller's stack.
type simAcc struct {
	ix    *simIndex
	n     int // vocabulary size
	set   wordSet
	stack [256]float64
	// big replaces stack for vocabularies over 128 terms. Counts are laid out
	// as [0, n) for the whole text and [n, 2n) for the summary. (A slice of
	// stack kept in the struct would move it to the heap.)
	big                []float64
	normFull, normSumm float64 // Σ tf² of the whole text and the summary
}

func (a *simAcc) init(ix *simIndex) {
	a.ix, a.n = ix, len(ix.vocab)
	if 2*a.n > len(a.stack) {
		a.big = make([]float64, 2*a.n)
	}
}

func (a *simAcc) counts() []float64 {
	if a.big != nil {
		return a.big
	}
	return a.stack[:]
}

// add counts a term w (see isTerm); summary tokens must come first.
func (a *simAcc) add(w string, inSummary bool) {
	tf := a.set.add(foldS(w))
	// (tf)² − (tf−1)² = 2tf − 1 keeps Σ tf² running; summary tokens come
	// first, so tf is still the summary's own count there.
	a.normFull += float64(2*tf - 1)
	if inSummary {
		a.normSumm += float64(2*tf - 1)
	}
	if len(w) > 4 {
		h := prefixHash(w)
		if a.ix.prefixBits[h/64]&(1<<(h%64)) == 0 {
			return
		}
	}
	id, ok := a.ix.vocab[text.Stem(w)]
	if !ok {
		return
	}
	c := a.counts()
	c[id]++
	if inSummary {
		c[a.n+int(id)]++
	}
}

// best compares both the summary alone and the whole text with every
// strategy text and keeps the highest cosine: a long description dilutes
// a summary that is on target.
func (a *simAcc) best() match {
	best := match{doc: -1}
	c := a.counts()
	for k, d := range a.ix.docs {
		var dotF, dotS float64
		for j, id := range d.ids {
			dotF += c[id] * d.ws[j]
			dotS += c[a.n+int(id)] * d.ws[j]
		}
		sim := 0.0
		if dotF > 0 {
			sim = dotF / (math.Sqrt(a.normFull) * d.norm)
		}
		if dotS > 0 {
			sim = max(sim, dotS/(math.Sqrt(a.normSumm)*d.norm))
		}
		sim = min(sim, 1)
		if sim > best.sim {
			best = match{doc: k, sim: sim}
		}
	}
	return best
}

// foldS drops a plural "s" (not "ss") so "report" and "reports" count as one
// word in the norm.
func foldS(w string) string {
	if n := len(w); n > 3 && w[n-1] == 's' && w[n-2] != 's' {
		return w[:n-1]
	}
	return w
}

// wordSet counts words by 64-bit FNV-1a hash in a fixed open-addressing table
// on the stack. When it is full, further new words count as unique.
type wordSet struct {
	keys [512]uint64
	tf   [512]uint16
	n    int
}

// add counts w and returns how often it has been seen, this time included.
func (s *wordSet) add(w string) int {
	h := uint64(14695981039346656037)
	for i := 0; i < len(w); i++ {
		h ^= uint64(w[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	mask := uint64(len(s.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case h:
			s.tf[i]++
			return int(s.tf[i])
		case 0:
			if s.n >= len(s.keys)*3/4 {
				return 1
			}
			s.keys[i], s.tf[i] = h, 1
			s.n++
			return 1
		}
	}
}

// clip shortens s to at most n bytes at a word boundary, adding "…".
func clip(s string, n int) string {
	if len(s) <= n && !strings.Contains(s, "  ") && strings.TrimSpace(s) == s && !strings.ContainsAny(s, "\t\n\r") {
		return s
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,.;:") + "…"
}
