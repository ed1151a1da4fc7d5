package score

// kind classifies a word or phrase of issue text for the pillars.
type kind uint8

const (
	kUsers  kind = 1 << iota // people affected: "users", "everyone"
	kPain                    // pain: "slow", "frustrating", "workaround"
	kDeal                    // customer and deal talk: "renewal", "churn"
	kDiff                    // differentiator: "unique", "first to market"
	kCatch                   // catch-up: "parity", "table stakes"
	kDep                     // dependency: "depends on", "waiting for"
	kFiller                  // story boilerplate, ignored for similarity
)

// phrase is a multi-word entry: the words after the first one.
type phrase struct {
	rest  []string
	kind  kind
	label string // how explanations quote it; default: the words joined
}

// entry is what the lexicon knows about one lowercase token: its own kinds
// and the phrases that start with it.
type entry struct {
	kind    kind
	phrases []phrase
}

// lexicon is a constant table keyed by lowercase token (the tokenizer splits
// "can't" into "can" and "t", "self-serve" into "self" and "serve").
var lexicon = map[string]entry{
	// Users.
	"users": {kind: kUsers}, "people": {kind: kUsers}, "everyone": {kind: kUsers},
	"everybody": {kind: kUsers}, "members": {kind: kUsers}, "visitors": {kind: kUsers},
	"admins": {kind: kUsers}, "teams": {kind: kUsers}, "employees": {kind: kUsers},

	// Pain.
	"pain": {kind: kPain}, "painful": {kind: kPain}, "frustrating": {kind: kPain},
	"frustrated": {kind: kPain}, "frustration": {kind: kPain}, "frustrates": {kind: kPain},
	"annoying": {kind: kPain}, "annoyed": {kind: kPain}, "confusing": {kind: kPain},
	"confused": {kind: kPain}, "confusion": {kind: kPain}, "complain": {kind: kPain},
	"complains": {kind: kPain}, "complained": {kind: kPain}, "complaint": {kind: kPain},
	"complaints": {kind: kPain}, "struggle": {kind: kPain}, "struggles": {kind: kPain},
	"struggling": {kind: kPain}, "tedious": {kind: kPain}, "cumbersome": {kind: kPain},
	"broken": {kind: kPain}, "crash": {kind: kPain}, "crashes": {kind: kPain},
	"crashing": {kind: kPain}, "crashed": {kind: kPain}, "slow": {kind: kPain},
	"sluggish": {kind: kPain}, "workaround": {kind: kPain}, "workarounds": {kind: kPain},
	"manually": {kind: kPain}, "stuck": {kind: kPain}, "unable": {kind: kPain},
	"cannot": {kind: kPain}, "impossible": {kind: kPain}, "difficult": {kind: kPain},
	"error": {kind: kPain}, "errors": {kind: kPain}, "fails": {kind: kPain},
	"failing": {kind: kPain}, "failed": {kind: kPain}, "failure": {kind: kPain},
	"lose": {kind: kPain}, "losing": {kind: kPain}, "lost": {kind: kPain},
	"wasting": {kind: kPain}, "waste": {kind: kPain},
	"can":  {phrases: []phrase{{rest: []string{"t"}, kind: kPain, label: "can't"}}},
	"time": {phrases: []phrase{{rest: []string{"consuming"}, kind: kPain}}},

	// Customers and deals.
	"customer": {kind: kDeal}, "customers": {kind: kDeal}, "client": {kind: kDeal},
	"clients": {kind: kDeal}, "deal": {kind: kDeal}, "deals": {kind: kDeal},
	"contract": {kind: kDeal}, "contracts": {kind: kDeal}, "renewal": {kind: kDeal},
	"renewals": {kind: kDeal}, "churn": {kind: kDeal}, "churned": {kind: kDeal},
	"churning": {kind: kDeal}, "revenue": {kind: kDeal}, "arr": {kind: kDeal},
	"mrr": {kind: kDeal}, "sales": {kind: kDeal}, "prospect": {kind: kDeal},
	"prospects": {kind: kDeal}, "upsell": {kind: kDeal}, "pricing": {kind: kDeal},
	"subscription": {kind: kDeal}, "subscriptions": {kind: kDeal}, "rfp": {kind: kDeal},
	"sla": {kind: kDeal}, "procurement": {kind: kDeal}, "enterprise": {kind: kDeal},
	"paying": {kind: kDeal},

	// Differentiators.
	"unique": {kind: kDiff}, "differentiator": {kind: kDiff}, "differentiate": {kind: kDiff},
	"differentiates": {kind: kDiff}, "differentiation": {kind: kDiff},
	"innovative": {kind: kDiff}, "novel": {kind: kDiff}, "breakthrough": {kind: kDiff},
	"patented": {kind: kDiff}, "proprietary": {kind: kDiff}, "unmatched": {kind: kDiff},
	"unrivalled": {kind: kDiff}, "unrivaled": {kind: kDiff}, "pioneering": {kind: kDiff},
	"exclusive": {kind: kDiff},
	"first": {phrases: []phrase{
		{rest: []string{"to", "market"}, kind: kDiff},
		{rest: []string{"of", "its", "kind"}, kind: kDiff},
	}},
	"industry":    {phrases: []phrase{{rest: []string{"first"}, kind: kDiff}}},
	"no":          {phrases: []phrase{{rest: []string{"one", "else"}, kind: kDiff}}},
	"nobody":      {phrases: []phrase{{rest: []string{"else"}, kind: kDiff}}},
	"better":      {phrases: []phrase{{rest: []string{"than"}, kind: kDiff}}},
	"competitive": {phrases: []phrase{{rest: []string{"advantage"}, kind: kDiff}}},
	"ahead":       {phrases: []phrase{{rest: []string{"of"}, kind: kDiff}}},

	// Catch-up.
	"parity":   {kind: kCatch},
	"catch":    {phrases: []phrase{{rest: []string{"up"}, kind: kCatch}}},
	"catching": {phrases: []phrase{{rest: []string{"up"}, kind: kCatch}}},
	"keep":     {phrases: []phrase{{rest: []string{"up", "with"}, kind: kCatch}}},
	"on":       {phrases: []phrase{{rest: []string{"par"}, kind: kCatch}}},
	"table":    {phrases: []phrase{{rest: []string{"stakes"}, kind: kCatch}}},
	"competitors": {phrases: []phrase{
		{rest: []string{"have"}, kind: kCatch},
		{rest: []string{"already"}, kind: kCatch},
	}},

	// Dependencies.
	"depends":       {phrases: []phrase{{rest: []string{"on"}, kind: kDep}}},
	"depend":        {phrases: []phrase{{rest: []string{"on"}, kind: kDep}}},
	"dependent":     {phrases: []phrase{{rest: []string{"on"}, kind: kDep}}},
	"blocked":       {phrases: []phrase{{rest: []string{"by"}, kind: kDep}}},
	"waiting":       {phrases: []phrase{{rest: []string{"for"}, kind: kDep}, {rest: []string{"on"}, kind: kDep}}},
	"prerequisite":  {kind: kDep},
	"prerequisites": {kind: kDep},

	// Story boilerplate: says nothing about the topic.
	"want": {kind: kFiller}, "wants": {kind: kFiller}, "able": {kind: kFiller},
	"need": {kind: kFiller}, "needs": {kind: kFiller}, "user": {kind: kFiller},
	"story": {kind: kFiller}, "please": {kind: kFiller}, "currently": {kind: kFiller},
	"like": {kind: kFiller}, "given": {kind: kFiller}, "then": {kind: kFiller},
}

// catchVerbs follow a competitor's name in "like Trello has".
var catchVerbs = map[string]bool{"has": true, "have": true, "does": true, "offers": true, "supports": true, "provides": true}

// genericRoles are story roles that name nobody in particular.
var genericRoles = map[string]bool{
	"user": true, "users": true, "person": true, "someone": true, "anyone": true,
	"people": true, "everyone": true, "visitor": true, "human": true, "individual": true,
}
