package story

import (
	"unicode"
	"unicode/utf8"
)

// Lower returns s with ASCII letters lowercased and every other byte left as
// is, so that byte offsets into the result are offsets into s (unlike
// strings.ToLower, which may change the length of non-ASCII text).
func Lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Word is the half-open byte range of one word in a text.
type Word struct {
	Start, End int
}

// Words appends to dst the words of s: runs of letters and digits, joined
// by inner apostrophes ("don't", "I’d") and hyphens ("user-friendly",
// "AI-powered"), so that a lexicon can match whole words and never the
// inside of another word.
func Words(s string, dst []Word) []Word {
	i := 0
	for i < len(s) {
		if n := wordCharLen(s, i); n == 0 {
			i += skipLen(s, i)
			continue
		}
		start := i
		for i < len(s) {
			if n := wordCharLen(s, i); n > 0 {
				i += n
				continue
			}
			// An apostrophe or hyphen between two word characters joins.
			if j := joinerLen(s, i); j > 0 && i+j < len(s) && wordCharLen(s, i+j) > 0 {
				i += j
				continue
			}
			break
		}
		dst = append(dst, Word{start, i})
	}
	return dst
}

// IsWordAt reports whether a word character starts at byte i of s.
func IsWordAt(s string, i int) bool {
	return i >= 0 && i < len(s) && wordCharLen(s, i) > 0
}

// wordBefore reports whether the character that ends just before i is a
// word character.
func wordBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	c := s[i-1]
	if c < utf8.RuneSelf {
		return isWordByte(c)
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// wordCharLen is the byte length of the word character at i, or 0.
func wordCharLen(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		if isWordByte(c) {
			return 1
		}
		return 0
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return n
	}
	return 0
}

func skipLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// joinerLen is the byte length of an apostrophe or hyphen at i, or 0.
func joinerLen(s string, i int) int {
	switch s[i] {
	case '\'', '-':
		return 1
	}
	if hasAt(s, i, "’") {
		return len("’")
	}
	return 0
}

func hasAt(s string, i int, p string) bool {
	return i >= 0 && len(s)-i >= len(p) && s[i:i+len(p)] == p
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// MatchPhrase reports where phrase ends if it occurs in lower at i as whole
// words, or -1. phrase is lowercase words separated by single spaces; each
// space matches any run of whitespace (line breaks included) and an
// apostrophe matches ' or ’. The caller checks the boundary before i.
func MatchPhrase(lower string, i int, phrase string) int {
	j := i
	for k := 0; k < len(phrase); k++ {
		switch c := phrase[k]; c {
		case ' ':
			if j >= len(lower) || !isSpace(lower[j]) {
				return -1
			}
			for j < len(lower) && isSpace(lower[j]) {
				j++
			}
		case '\'':
			switch {
			case j < len(lower) && lower[j] == '\'':
				j++
			case hasAt(lower, j, "’"):
				j += len("’")
			default:
				return -1
			}
		default:
			if j >= len(lower) || lower[j] != c {
				return -1
			}
			j++
		}
	}
	if IsWordAt(lower, j) {
		return -1
	}
	return j
}

// matchAny tries each phrase at i and returns the index of the first that
// matches and where it ends, or -1, -1.
func matchAny(lower string, i int, phrases []string) (int, int) {
	if i > 0 && wordBefore(lower, i) {
		return -1, -1
	}
	for k, p := range phrases {
		if i < len(lower) && lower[i] != p[0] {
			continue
		}
		if end := MatchPhrase(lower, i, p); end >= 0 {
			return k, end
		}
	}
	return -1, -1
}

// findAny returns the first position in lower[from:to] where one of phrases
// starts as whole words, with the phrase's index and end; -1s if none.
func findAny(lower string, from, to int, phrases []string) (pos, idx, end int) {
	if to > len(lower) {
		to = len(lower)
	}
	for i := from; i < to; i++ {
		if !isWordByte(lower[i]) {
			continue
		}
		if k, e := matchAny(lower, i, phrases); k >= 0 && e <= to {
			return i, k, e
		}
	}
	return -1, -1, -1
}
