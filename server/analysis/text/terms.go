package text

// MaxTermLen is the longest token, in bytes, that becomes a term. Longer
// runs are hashes, encoded blobs or base64 and only add noise.
const MaxTermLen = 40

// Each runs the analysis pipeline over s and calls fn for every term in
// order of appearance: term is the stem, word the lowercased token it came
// from (for showing a stem back to people). Tokens of one byte, pure
// numbers, stop words and tokens longer than MaxTermLen are dropped.
func Each(s string, fn func(term, word string)) {
	Scan(s, func(t Token) {
		w := t.Text
		if !keep(w) {
			return
		}
		fn(Stem(w), w)
	})
}

// keep reports whether a lowercased token becomes a term.
func keep(w string) bool {
	if len(w) < 2 || len(w) > MaxTermLen || IsNumber(w) {
		return false
	}
	return !IsStopWord(w)
}

// Terms returns the terms of s (see Each).
func Terms(s string) []string {
	return AppendTerms(nil, s)
}

// AppendTerms appends the terms of s to dst and returns the extended slice,
// so that callers can reuse one buffer across texts.
func AppendTerms(dst []string, s string) []string {
	Each(s, func(term, _ string) { dst = append(dst, term) })
	return dst
}

// IsNumber reports whether w is made of ASCII digits only.
func IsNumber(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// Counts returns how often each term occurs in terms.
func Counts(terms []string) map[string]int {
	m := make(map[string]int, len(terms))
	for _, t := range terms {
		m[t]++
	}
	return m
}

// TermFreq returns the term frequencies of s: Counts(Terms(s)) without the
// intermediate slice.
func TermFreq(s string) map[string]int {
	m := make(map[string]int)
	Each(s, func(term, _ string) { m[term]++ })
	return m
}
