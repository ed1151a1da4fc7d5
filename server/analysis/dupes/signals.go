package dupes

import "strings"

// eachExactTerm calls fn for the literal identifiers in s that the word
// tokenizer drops or breaks apart but that identify the subject of an issue
// on their own: version numbers ("3.4.0", "4.1.46" in "4.1.46.Final") and
// hyphenated keys (issue keys "HADOOP-17796", advisories "CVE-2022-40149",
// branches "branch-3.3").
// Two issues naming the same version of the same library, or the same
// advisory, are very likely about the same change. With integers set (for
// summaries) plain numbers count too, so that "Update the year to 2021" and
// "… to 2024" differ. Terms are lowercased and prefixed with '#' so that
// they never collide with stemmed words.
func eachExactTerm(s string, integers bool, fn func(term, word string)) {
	for i := 0; i < len(s); {
		c := s[i]
		atStart := i == 0 || !isAlnum(s[i-1]) && s[i-1] != '.' && !(s[i-1] == ':' && i > 1 && isDigit(s[i-2]))
		switch {
		case !atStart:
			i++
		case isDigit(c) || (c == 'v' || c == 'V') && i+1 < len(s) && isDigit(s[i+1]):
			// A version, "v" prefix allowed; times ("10:58.787") are not.
			start := i
			if !isDigit(c) {
				start++
			}
			j, dots := start, 0
			for j < len(s) && (isDigit(s[j]) || s[j] == '.' && j+1 < len(s) && isDigit(s[j+1])) {
				if s[j] == '.' {
					dots++
				}
				j++
			}
			if dots > 0 || integers && start == i && (j == len(s) || !isLetter(s[j])) {
				v := s[start:j]
				fn("#"+v, v)
			}
			i = j
			for i < len(s) && isAlnum(s[i]) {
				i++
			}
		case isLetter(c):
			j := i
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
			groups := 0
			for j+1 < len(s) && s[j] == '-' && isDigit(s[j+1]) {
				k := j + 1
				for k < len(s) && (isDigit(s[k]) || s[k] == '.' && k+1 < len(s) && isDigit(s[k+1])) {
					k++
				}
				if k < len(s) && isLetter(s[k]) {
					break
				}
				j = k
				groups++
			}
			if groups > 0 && j-i <= 40 {
				w := strings.ToLower(s[i:j])
				fn("#"+w, w)
			}
			i = j
			for i < len(s) && isAlnum(s[i]) {
				i++
			}
		default:
			i++
		}
	}
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'A' <= c&^0x20 && c&^0x20 <= 'Z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }
