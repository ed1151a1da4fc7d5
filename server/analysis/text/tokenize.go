// Package text is the shared text processing of the analysis engine: a
// tokenizer that understands code identifiers, English stop words, a Porter
// stemmer and term frequencies. It is pure (no I/O, no globals besides
// constant tables) and safe for concurrent use.
//
// The pipeline is Scan (tokens) → IsStopWord (filter) → Stem (normalise);
// Terms and Each run all three.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is one token of a text: its lowercased Text and the half-open byte
// range [Start, End) it came from in the input.
type Token struct {
	Text  string
	Start int
	End   int
	// Compound is true for the joined form of a camelCase or snake_case
	// identifier ("getfilestatus"), emitted after its parts ("get", "file",
	// "status") so that both spellings match.
	Compound bool
}

// Scan calls fn for each token of s, in order of appearance.
//
// A word is a run of Unicode letters, digits and underscores. Inside a word,
// parts split at underscores, at a lower-to-upper case change ("fileStatus")
// and at the end of an acronym ("HDFSClient" → "hdfs", "client"; a single
// lowercase letter stays with its acronym: "URLs", "IPv6"). Letters and digits are never
// split apart ("s3a", "log4j", "ipv6"). Everything else (spaces,
// punctuation, '/', '.', '-') separates words, so paths and dotted names
// yield their parts. Words of two or more parts also yield their joined
// form with Compound set.
//
// Token texts are substrings of s when s is already lowercase, so scanning
// lowercase ASCII text allocates nothing.
func Scan(s string, fn func(Token)) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if !isWordByte(c) {
				i++
				continue
			}
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isWordRune(r) {
				i += size
				continue
			}
		}
		start := i
		for i < len(s) {
			c := s[i]
			if c < utf8.RuneSelf {
				if !isWordByte(c) {
					break
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isWordRune(r) {
				break
			}
			i += size
		}
		scanWord(s, start, i, fn)
	}
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// letter classes used for splitting.
const (
	clsNone = iota
	clsLower
	clsUpper
	clsDigit
	clsOther // letters without case, marks
)

func classOf(r rune) int {
	switch {
	case 'a' <= r && r <= 'z':
		return clsLower
	case 'A' <= r && r <= 'Z':
		return clsUpper
	case '0' <= r && r <= '9':
		return clsDigit
	case r < utf8.RuneSelf:
		return clsNone
	case unicode.IsUpper(r):
		return clsUpper
	case unicode.IsLower(r):
		return clsLower
	case unicode.IsDigit(r):
		return clsDigit
	}
	return clsOther
}

// runeAt decodes the rune at byte offset i of s.
func runeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// scanWord splits the word s[start:end] into parts and emits them.
func scanWord(s string, start, end int, fn func(Token)) {
	// Fast path: a word of lowercase ASCII letters and digits is one token.
	simple := true
	for i := start; i < end; i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			simple = false
			break
		}
	}
	if simple {
		fn(Token{Text: s[start:end], Start: start, End: end})
		return
	}

	var (
		parts     [16][2]int // part spans; longer words keep their first 16 parts
		n         int
		partStart = -1
		lastCase  = clsNone // case of the last cased letter in the current part
	)
	flush := func(at int) {
		if partStart >= 0 && at > partStart && n < len(parts) {
			parts[n] = [2]int{partStart, at}
			n++
		}
		partStart = -1
		lastCase = clsNone
	}
	for i := start; i < end; {
		r, size := runeAt(s, i)
		if r == '_' {
			flush(i)
			i += size
			continue
		}
		cls := classOf(r)
		if partStart >= 0 && cls == clsUpper {
			switch lastCase {
			case clsLower:
				flush(i) // fileStatus
			case clsUpper:
				if acronymEnds(s, i+size, end) {
					flush(i) // HDFSClient
				}
			}
		}
		if partStart < 0 {
			partStart = i
		}
		if cls == clsLower || cls == clsUpper {
			lastCase = cls
		}
		i += size
	}
	flush(end)

	for k := 0; k < n; k++ {
		a, b := parts[k][0], parts[k][1]
		fn(Token{Text: lower(s[a:b]), Start: a, End: b})
	}
	if n > 1 {
		var sb strings.Builder
		size := 0
		for k := 0; k < n; k++ {
			size += parts[k][1] - parts[k][0]
		}
		sb.Grow(size)
		for k := 0; k < n; k++ {
			sb.WriteString(s[parts[k][0]:parts[k][1]])
		}
		fn(Token{Text: lower(sb.String()), Start: parts[0][0], End: parts[n-1][1], Compound: true})
	}
}

// acronymEnds reports whether an upper-case letter whose rune ends at i
// starts a new capitalised part: it is followed by at least two lowercase
// letters. A single one stays with the acronym ("URLs", "IPv6").
func acronymEnds(s string, i, end int) bool {
	for n := 0; n < 2; n++ {
		if i >= end {
			return false
		}
		r, size := runeAt(s, i)
		if classOf(r) != clsLower {
			return false
		}
		i += size
	}
	return true
}

// lower returns s in lower case, without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// Tokens returns the lowercased token texts of s (see Scan).
func Tokens(s string) []string {
	var out []string
	Scan(s, func(t Token) { out = append(out, t.Text) })
	return out
}
