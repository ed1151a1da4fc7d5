package text

// Stem returns the Porter stem of a lowercase word ("connections" →
// "connect", "replication" → "replic"). It follows M. F. Porter, "An
// algorithm for suffix stripping" (1980), with the two departures of
// Porter's own reference implementation (bli → ble, logi → log).
//
// Words of one or two bytes, and words holding anything but ASCII lowercase
// letters (digits, upper case, non-Latin script), are returned unchanged: an
// identifier such as "s3a" or "log4j" must not be mangled. When the stem is
// a prefix of the word, no memory is allocated.
func Stem(word string) string {
	if len(word) <= 2 || len(word) > maxStemLen {
		return word
	}
	for i := 0; i < len(word); i++ {
		if c := word[i]; c < 'a' || c > 'z' {
			return word
		}
	}
	var st stemmer
	copy(st.b[:], word)
	st.k = len(word) - 1
	st.step1ab()
	if st.k > 0 {
		st.step1c()
		st.step2()
		st.step3()
		st.step4()
		st.step5()
	}
	out := st.b[:st.k+1]
	if string(out) == word[:len(out)] {
		return word[:len(out)]
	}
	return string(out)
}

// maxStemLen bounds the stack buffer; longer "words" are junk (hashes,
// encoded blobs) and are not worth stemming.
const maxStemLen = 64

// stemmer holds one word being stemmed: b[0..k] is the current word and j a
// position set by ends.
type stemmer struct {
	b [maxStemLen]byte
	k int
	j int
}

// cons reports whether b[i] is a consonant.
func (z *stemmer) cons(i int) bool {
	switch z.b[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !z.cons(i-1)
	}
	return true
}

// m measures the number of consonant-vowel sequences in b[0..j].
func (z *stemmer) m() int {
	n, i := 0, 0
	for {
		if i > z.j {
			return n
		}
		if !z.cons(i) {
			break
		}
		i++
	}
	i++
	for {
		for {
			if i > z.j {
				return n
			}
			if z.cons(i) {
				break
			}
			i++
		}
		i++
		n++
		for {
			if i > z.j {
				return n
			}
			if !z.cons(i) {
				break
			}
			i++
		}
		i++
	}
}

// vowelInStem reports whether b[0..j] contains a vowel.
func (z *stemmer) vowelInStem() bool {
	for i := 0; i <= z.j; i++ {
		if !z.cons(i) {
			return true
		}
	}
	return false
}

// doubleC reports whether b[i-1..i] is a double consonant.
func (z *stemmer) doubleC(i int) bool {
	return i >= 1 && z.b[i] == z.b[i-1] && z.cons(i)
}

// cvc reports whether b[i-2..i] is consonant-vowel-consonant with the last
// consonant not w, x or y (short syllables such as "hop").
func (z *stemmer) cvc(i int) bool {
	if i < 2 || !z.cons(i) || z.cons(i-1) || !z.cons(i-2) {
		return false
	}
	switch z.b[i] {
	case 'w', 'x', 'y':
		return false
	}
	return true
}

// ends reports whether b[0..k] ends with s and then sets j before it.
func (z *stemmer) ends(s string) bool {
	l := len(s)
	if l > z.k+1 || string(z.b[z.k-l+1:z.k+1]) != s {
		return false
	}
	z.j = z.k - l
	return true
}

// setTo replaces b[j+1..k] with s.
func (z *stemmer) setTo(s string) {
	// Replacements never make the word longer than it was.
	copy(z.b[z.j+1:], s)
	z.k = z.j + len(s)
}

// r replaces the suffix with s when the stem's measure is positive.
func (z *stemmer) r(s string) {
	if z.m() > 0 {
		z.setTo(s)
	}
}

// step1ab removes plurals and -ed or -ing.
func (z *stemmer) step1ab() {
	if z.b[z.k] == 's' {
		switch {
		case z.ends("sses"):
			z.k -= 2
		case z.ends("ies"):
			z.setTo("i")
		case z.b[z.k-1] != 's':
			z.k--
		}
	}
	if z.ends("eed") {
		if z.m() > 0 {
			z.k--
		}
		return
	}
	if (z.ends("ed") || z.ends("ing")) && z.vowelInStem() {
		z.k = z.j
		switch {
		case z.ends("at"):
			z.setTo("ate")
		case z.ends("bl"):
			z.setTo("ble")
		case z.ends("iz"):
			z.setTo("ize")
		case z.doubleC(z.k):
			z.k--
			switch z.b[z.k] {
			case 'l', 's', 'z':
				z.k++
			}
		default:
			z.j = z.k
			if z.m() == 1 && z.cvc(z.k) {
				z.setTo("e")
			}
		}
	}
}

// step1c turns a terminal y into i when there is another vowel in the stem.
func (z *stemmer) step1c() {
	if z.ends("y") && z.vowelInStem() {
		z.b[z.k] = 'i'
	}
}

// step2 maps double suffixes to single ones ("-ization" → "-ize").
func (z *stemmer) step2() {
	if z.k < 1 {
		return
	}
	for _, p := range step2Rules[z.b[z.k-1]] {
		if z.ends(p[0]) {
			z.r(p[1])
			return
		}
	}
}

// step3 handles -ic-, -full, -ness and the like.
func (z *stemmer) step3() {
	for _, p := range step3Rules[z.b[z.k]] {
		if z.ends(p[0]) {
			z.r(p[1])
			return
		}
	}
}

// step4 removes -ant, -ence and the like when the measure is above one.
func (z *stemmer) step4() {
	if z.k < 1 {
		return
	}
	matched := false
	for _, suf := range step4Rules[z.b[z.k-1]] {
		if z.ends(suf) {
			if suf == "ion" && (z.j < 0 || z.b[z.j] != 's' && z.b[z.j] != 't') {
				continue
			}
			matched = true
			break
		}
	}
	if matched && z.m() > 1 {
		z.k = z.j
	}
}

// step5 removes a final -e and reduces -ll when the measure is above one.
func (z *stemmer) step5() {
	z.j = z.k
	if z.b[z.k] == 'e' {
		a := z.m()
		if a > 1 || a == 1 && !z.cvc(z.k-1) {
			z.k--
		}
	}
	if z.b[z.k] == 'l' && z.doubleC(z.k) && z.m() > 1 {
		z.k--
	}
}

// Suffix rules keyed by the penultimate (step 2, 4) or last (step 3) letter,
// in the order Porter tests them.
var step2Rules = [256][][2]string{
	'a': {{"ational", "ate"}, {"tional", "tion"}},
	'c': {{"enci", "ence"}, {"anci", "ance"}},
	'e': {{"izer", "ize"}},
	'l': {{"bli", "ble"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"}},
	'o': {{"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"}},
	's': {{"alism", "al"}, {"iveness", "ive"}, {"fulness", "ful"}, {"ousness", "ous"}},
	't': {{"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"}},
	'g': {{"logi", "log"}},
}

var step3Rules = [256][][2]string{
	'e': {{"icate", "ic"}, {"ative", ""}, {"alize", "al"}},
	'i': {{"iciti", "ic"}},
	'l': {{"ical", "ic"}, {"ful", ""}},
	's': {{"ness", ""}},
}

var step4Rules = [256][]string{
	'a': {"al"},
	'c': {"ance", "ence"},
	'e': {"er"},
	'i': {"ic"},
	'l': {"able", "ible"},
	'n': {"ant", "ement", "ment", "ent"},
	'o': {"ion", "ou"},
	's': {"ism"},
	't': {"ate", "iti"},
	'u': {"ous"},
	'v': {"ive"},
	'z': {"ize"},
}
