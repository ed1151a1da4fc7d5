package text

// IsStopWord reports whether the lowercased token w is an English stop word
// (function words that carry no topic: "the", "should", "when", and the
// fragments left by splitting contractions such as "don", "isn", "ll").
func IsStopWord(w string) bool {
	_, ok := stopWords[w]
	return ok
}

// stopWords is a conventional English list (articles, pronouns,
// prepositions, auxiliaries, contraction fragments). Domain words such as
// "user", "error" or "fail" are deliberately absent: they carry meaning in
// issue text.
var stopWords = map[string]struct{}{
	"a": {}, "about": {}, "above": {}, "after": {}, "again": {}, "against": {}, "all": {}, "also": {},
	"am": {}, "an": {}, "and": {}, "any": {}, "are": {}, "aren": {}, "as": {}, "at": {},
	"be": {}, "because": {}, "been": {}, "before": {}, "being": {}, "below": {}, "between": {},
	"both": {}, "but": {}, "by": {}, "can": {}, "cannot": {}, "could": {}, "couldn": {},
	"did": {}, "didn": {}, "do": {}, "does": {}, "doesn": {}, "doing": {}, "don": {}, "down": {},
	"during": {}, "each": {}, "either": {}, "else": {}, "etc": {}, "even": {}, "ever": {},
	"few": {}, "for": {}, "from": {}, "further": {}, "had": {}, "hadn": {}, "has": {}, "hasn": {},
	"have": {}, "haven": {}, "having": {}, "he": {}, "her": {}, "here": {}, "hers": {},
	"herself": {}, "him": {}, "himself": {}, "his": {}, "how": {}, "however": {}, "i": {},
	"ie": {}, "if": {}, "in": {}, "into": {}, "is": {}, "isn": {}, "it": {}, "its": {},
	"itself": {}, "just": {}, "ll": {}, "may": {}, "me": {}, "might": {}, "mightn": {},
	"more": {}, "most": {}, "must": {}, "mustn": {}, "my": {}, "myself": {}, "needn": {},
	"no": {}, "nor": {}, "not": {}, "now": {}, "of": {}, "off": {}, "on": {}, "once": {},
	"only": {}, "or": {}, "other": {}, "ought": {}, "our": {}, "ours": {}, "ourselves": {},
	"out": {}, "over": {}, "own": {}, "re": {}, "same": {}, "shall": {}, "shan": {}, "she": {},
	"should": {}, "shouldn": {}, "so": {}, "some": {}, "such": {}, "than": {}, "that": {},
	"the": {}, "their": {}, "theirs": {}, "them": {}, "themselves": {}, "then": {},
	"there": {}, "these": {}, "they": {}, "this": {}, "those": {}, "though": {},
	"through": {}, "thus": {}, "to": {}, "too": {}, "under": {}, "until": {}, "up": {},
	"upon": {}, "us": {}, "ve": {}, "very": {}, "was": {}, "wasn": {}, "we": {}, "were": {},
	"weren": {}, "what": {}, "when": {}, "where": {}, "whether": {}, "which": {}, "while": {},
	"who": {}, "whom": {}, "whose": {}, "why": {}, "will": {}, "with": {}, "within": {},
	"without": {}, "won": {}, "would": {}, "wouldn": {}, "yet": {}, "you": {}, "your": {},
	"yours": {}, "yourself": {}, "yourselves": {},
}
