package checks

// Word tables of the rules. Keys are lowercase base forms; lookup adds light
// lemmatisation (plural and verb endings), so "tables" and "integrated" hit
// "table" and "integrate". Multi-word entries go in the phrase lists, which
// are matched word by word on whitespace.

// solutionTerms name how something is built rather than what problem it
// solves: UI widgets, storage and API details, architecture. The value is
// the kind, used in the message.
var solutionTerms = map[string]string{
	// user interface widgets and styling
	"button": "a UI element", "dropdown": "a UI element", "drop-down": "a UI element",
	"checkbox": "a UI element", "check-box": "a UI element", "textbox": "a UI element",
	"modal": "a UI element", "popup": "a UI element", "pop-up": "a UI element",
	"tooltip": "a UI element", "navbar": "a UI element", "sidebar": "a UI element",
	"iframe": "a UI element", "widget": "a UI element", "css": "a styling detail",
	"html": "a markup detail", "hex": "a styling detail", "pixel": "a styling detail",
	"px": "a styling detail", "font": "a styling detail",
	// storage
	"database": "a storage detail", "db": "a storage detail", "table": "a storage or layout detail",
	"column": "a storage or layout detail", "schema": "a storage detail", "sql": "a storage detail",
	"nosql": "a storage detail", "mysql": "a storage detail", "postgres": "a storage detail",
	"postgresql": "a storage detail", "mongodb": "a storage detail", "redis": "a storage detail",
	"elasticsearch": "a storage detail", "s3": "a storage detail",
	// interfaces
	"api": "an interface detail", "endpoint": "an interface detail", "restful": "an interface detail",
	"graphql": "an interface detail", "json": "a format detail", "xml": "a format detail",
	"grpc": "an interface detail", "webhook": "an interface detail", "websocket": "an interface detail",
	"jwt": "a security mechanism",
	// architecture and technology
	"microservice": "an architecture detail", "monolith": "an architecture detail",
	"backend": "an architecture detail", "back-end": "an architecture detail",
	"frontend": "an architecture detail", "front-end": "an architecture detail",
	"server": "an architecture detail", "serverless": "an architecture detail",
	"kafka": "a technology choice", "rabbitmq": "a technology choice", "cron": "a technology choice",
	"cronjob": "a technology choice", "docker": "a technology choice", "kubernetes": "a technology choice",
	"k8s": "a technology choice", "javascript": "a technology choice", "typescript": "a technology choice",
	"regex": "a technology choice", "orm": "a technology choice", "firmware": "an implementation detail",
	// how systems are wired together
	"integrate": "an integration detail", "integration": "an integration detail",
}

// solutionPhrases are multi-word solution terms.
var solutionPhrases = []phrase{
	{"rest api", "an interface detail"}, {"stored procedure", "a storage detail"}, {"foreign key", "a storage detail"},
	{"primary key", "a storage detail"}, {"radio button", "a UI element"},
	{"text field", "a UI element"}, {"input field", "a UI element"}, {"data model", "a storage detail"},
}

// caseSensitive are solution terms that are ordinary words unless spelt
// exactly so ("REST" is an API style, "rest" is not; "React" is a library,
// "react" a verb).
var caseSensitive = map[string]string{
	"REST": "an interface detail", "SOAP": "an interface detail", "React": "a technology choice",
	"Angular": "a technology choice", "Vue": "a technology choice",
}

// builderNouns are role head nouns of the people who build the product.
var builderNouns = map[string]bool{
	"developer": true, "dev": true, "engineer": true, "programmer": true, "architect": true,
	"scientist": true, "devops": true, "tester": true, "technologist": true, "researcher": true,
	"analyst": true, "technician": true, "maintainer": true, "sysadmin": true, "dba": true,
	"coder": true, "qa": true,
}

// builderPhrases are multi-word builder roles whose head noun is a user role
// elsewhere ("administrator", "specialist", "designer").
var builderPhrases = []string{
	"system administrator", "systems administrator", "network administrator",
	"database administrator", "it administrator", "it specialist", "it support",
	"system designer", "systems designer", "quality assurance", "software designer",
}

// roleCutWords end a role's head noun phrase ("developer of the app").
var roleCutWords = map[string]bool{
	"of": true, "working": true, "using": true, "who": true, "that": true, "with": true,
	"in": true, "for": true, "at": true, "on": true, "from": true, "evaluating": true,
	"developing": true, "studying": true, "interested": true, "responsible": true, "which": true,
}

// implementationVerbs describe building the product rather than using it.
var implementationVerbs = map[string]bool{
	"design": true, "develop": true, "implement": true, "integrate": true, "build": true,
	"deploy": true, "train": true, "code": true, "program": true, "architect": true,
	"refactor": true, "configure": true, "apply": true, "construct": true, "optimize": true,
	"optimise": true, "validate": true, "evaluate": true, "test": true, "debug": true,
	"migrate": true, "install": true, "compile": true, "tune": true, "benchmark": true,
	"prototype": true,
}

// technicalNouns are implementation artefacts; with a builder role they make
// a story about how to build, not what for.
var technicalNouns = map[string]bool{
	"model": true, "algorithm": true, "technique": true, "dataset": true,
	"classifier": true, "pipeline": true, "software": true, "code": true, "library": true,
	"module": true, "component": true, "framework": true, "architecture": true,
	"infrastructure": true, "integration": true, "implementation": true, "simulator": true,
	"learning": true, "clustering": true, "regression": true, "imputation": true,
	"firmware": true, "api": true, "database": true, "server": true, "prototype": true,
}

// researchVerbs open a means that is a study or exploration, not a feature.
var researchVerbs = map[string]bool{
	"explore": true, "understand": true, "investigate": true, "study": true, "research": true,
	"learn": true, "enjoy": true, "benefit": true,
}

// slowProcessWords name processes measured in days, not seconds: "fast"
// next to one gets a days example (see speedHint).
var slowProcessWords = map[string]bool{
	"paid": true, "pay": true, "payout": true, "payouts": true, "payment": true, "payments": true,
	"refund": true, "refunds": true, "refunded": true, "delivered": true, "delivery": true,
	"shipped": true, "shipping": true, "settled": true, "settlement": true, "transfer": true,
	"transfers": true, "approved": true, "approval": true, "reviewed": true, "onboarded": true,
}

// vagueTerms have no agreed measure; the value is a hint for the fix.
var vagueTerms = map[string]string{
	"fast": "a time limit (e.g. 'within 2 seconds')", "faster": "a time limit (e.g. 'within 2 seconds')",
	"quick": "a time limit", "quickly": "a time limit", "slow": "a time limit",
	"easy": "the steps or clicks allowed", "easily": "the steps or clicks allowed",
	"easier": "the steps or clicks allowed", "simple": "what exactly is needed",
	"simply": "what exactly is needed", "user-friendly": "an observable behaviour",
	"intuitive": "an observable behaviour", "seamless": "the exact behaviour",
	"seamlessly": "the exact behaviour", "efficient": "a measurable target",
	"efficiently": "a measurable target", "effective": "a measurable target",
	"effectively": "a measurable target", "flexible": "the cases that must work",
	"robust": "the failures it must handle", "appropriate": "the rule that decides",
	"appropriately": "the rule that decides", "adequate": "the threshold",
	"adequately": "the threshold", "reasonable": "the limit", "reasonably": "the limit",
	"sufficient": "the threshold", "optimal": "the target", "optimally": "the target",
	"better": "the target compared with today", "improved": "the target compared with today",
	"enhanced": "the target compared with today", "nice": "the exact behaviour",
	"good": "the exact behaviour", "great": "the exact behaviour", "modern": "the exact behaviour",
	"some": "the exact items or count", "several": "the exact count", "many": "the exact count",
	"various": "the exact items", "numerous": "the exact count", "few": "the exact count",
	"lots": "the exact count", "etc": "the complete list", "proper": "the rule that decides",
	"properly": "the rule that decides", "relevant": "what counts as relevant",
	"significant": "the threshold", "significantly": "the threshold",
	"minimal": "the limit", "normal": "what normal means", "typical": "what typical means",
	"smart": "the exact behaviour", "state-of-the-art": "the exact capability",
	"high-quality": "the quality criteria", "asap": "a date", "accurate": "the accuracy required",
	"accurately": "the accuracy required", "securely": "the security requirement",
	"responsive": "a time limit or the screen sizes",
}

// vaguePhrases are multi-word vague terms.
var vaguePhrases = []phrase{
	{"as needed", "when exactly"}, {"as appropriate", "the rule that decides"},
	{"as required", "when exactly"}, {"if possible", "whether it is required"},
	{"where possible", "whether it is required"}, {"when possible", "whether it is required"},
	{"as soon as possible", "a date"}, {"and so on", "the complete list"},
	{"a lot of", "the exact count"}, {"user friendly", "an observable behaviour"},
	{"easy to use", "an observable behaviour"}, {"and more", "the complete list"},
	{"and others", "the complete list"}, {"and/or", "whether both or either"},
}

// placeholders mark text nobody has written yet.
var placeholders = map[string]bool{
	"tbd": true, "tbc": true, "tba": true, "todo": true, "fixme": true, "xxx": true, "wip": true,
}

var placeholderPhrases = []phrase{
	{"to be decided", ""}, {"to be defined", ""}, {"to be determined", ""},
	{"to be confirmed", ""}, {"to be clarified", ""}, {"lorem ipsum", ""}, {"fill in", ""},
}

// dependencyPhrases say outright that the work waits on other work.
var dependencyPhrases = []phrase{
	{"depends on", ""}, {"dependent on", ""}, {"dependency on", ""}, {"dependant on", ""},
	{"blocked by", ""}, {"blocked on", ""}, {"waiting for", ""}, {"waiting on", ""},
	{"prerequisite", ""}, {"pre-requisite", ""}, {"relies on", ""},
}

// dependencyOpeners need a closing word later in the sentence: "requires X
// first", "after X is merged", "once PROJ-12 is done". The closers are words
// for other work's state, not for steps of the user's flow ("once the
// upload is complete" is not a dependency).
var dependencyOpeners = map[string]map[string]bool{
	"requires": requireClosers, "require": requireClosers, "needs": requireClosers, "need": requireClosers,
	"after": stateClosers, "once": stateClosers, "until": stateClosers,
}

var requireClosers = map[string]bool{"first": true, "beforehand": true}

var stateClosers = map[string]bool{
	"done": true, "implemented": true, "merged": true, "released": true, "deployed": true,
	"shipped": true, "resolved": true, "fixed": true, "delivered": true, "landed": true,
}

// conjunctions that may join two features in a means.
var conjunctionPhrases = []string{"and/or", "as well as", "and also", "and", "or"}

// instrumentVerbs open a means whose first "to <verb>" is the action
// itself: "use the model to predict demand".
var instrumentVerbs = map[string]bool{
	"use": true, "utilize": true, "utilise": true, "leverage": true, "apply": true, "employ": true,
}

// infinitiveGlue: after these words "to <verb>" completes them ("able to",
// "the ability to", "how to"), so it is not a purpose clause.
var infinitiveGlue = map[string]bool{
	"able": true, "ability": true, "want": true, "wants": true, "need": true, "needs": true,
	"like": true, "how": true, "order": true, "going": true, "wish": true, "have": true,
	"has": true, "had": true, "ought": true, "way": true, "option": true,
	"possibility": true, "chance": true, "permission": true, "right": true,
}

// auxiliaries after "to" open a complement ("the system to be secure")
// just as a main verb does.
var auxiliaries = map[string]bool{"be": true, "have": true, "get": true, "keep": true}

// symmetricWords take two arguments as one: joining them names one
// comparison or combination.
var symmetricWords = map[string]bool{
	"between": true, "compare": true, "comparison": true, "versus": true, "vs": true,
	"balance": true, "combine": true, "combination": true, "distinguish": true,
	"correlate": true, "correlation": true, "match": true, "reconcile": true, "trade-off": true,
}

// notResultParticiple: ", including …", ", using …" after a comma add
// examples or an instrument, not a result.
var notResultParticiple = map[string]bool{
	"including": true, "using": true, "containing": true, "depending": true, "according": true,
	"regarding": true, "concerning": true, "excluding": true, "following": true, "spanning": true,
}

// notAdverbs end in "ly" but are not manner adverbs.
var notAdverbs = map[string]bool{
	"apply": true, "supply": true, "reply": true, "rely": true, "only": true, "family": true,
	"assembly": true, "anomaly": true, "early": true, "daily": true, "weekly": true, "monthly": true,
	"yearly": true, "quarterly": true, "hourly": true, "friendly": true, "likely": true,
	"timely": true, "costly": true, "elderly": true, "orderly": true, "lonely": true, "lovely": true,
}

// scopePrepositions head a phrase that says where, on what or with what an
// action works ("ridership of taxi and Uber", "using AI and IoT").
var scopePrepositions = map[string]bool{
	"of": true, "in": true, "on": true, "at": true, "for": true, "with": true, "from": true,
	"by": true, "about": true, "into": true, "across": true, "within": true, "between": true,
	"against": true, "over": true, "under": true, "through": true, "during": true, "via": true,
	"using": true, "per": true, "versus": true, "among": true, "throughout": true,
}

// determiners open a noun phrase.
var determiners = map[string]bool{
	"a": true, "an": true, "the": true, "this": true, "that": true, "these": true, "those": true,
	"each": true, "every": true, "all": true, "any": true, "both": true, "either": true,
	"some": true, "more": true, "other": true, "such": true, "no": true,
}

// possessives open a noun phrase too.
var possessives = map[string]bool{
	"my": true, "our": true, "your": true, "their": true, "his": true, "her": true, "its": true,
}

// modals and clause words: a verb after them is an action, not an object.
var modals = map[string]bool{
	"can": true, "could": true, "will": true, "would": true, "should": true, "must": true,
	"may": true, "might": true, "shall": true, "is": true, "are": true, "was": true, "were": true,
	"been": true, "being": true, "am": true,
}

// objectPronouns follow a verb, never a noun.
var objectPronouns = map[string]bool{"it": true, "them": true, "me": true, "us": true, "him": true, "her": true}

// quantityWords after "how" ask for a count ("how many come back").
var quantityWords = map[string]bool{"many": true, "much": true, "few": true, "several": true, "some": true, "lots": true}

// personWords point at a person or what is theirs: after "needs" or
// "once" they describe the user's flow, not other work.
var personWords = map[string]bool{
	"i": true, "me": true, "my": true, "we": true, "us": true, "our": true, "you": true, "your": true,
	"they": true, "them": true, "their": true, "he": true, "him": true, "his": true, "she": true, "her": true,
}

// copulas take a predicate, not an object ("feel safe and confident").
var copulas = map[string]bool{
	"feel": true, "feels": true, "become": true, "becomes": true, "stay": true, "stays": true,
	"remain": true, "remains": true, "seem": true, "seems": true, "look": true, "looks": true,
	"be": true, "is": true, "are": true, "get": true, "keep": true,
}

var clauseWords = map[string]bool{
	"that": true, "which": true, "who": true, "whom": true, "when": true, "where": true,
	"while": true, "if": true, "so": true, "because": true, "how": true, "what": true, "whether": true,
}

// binomials are fixed pairs that name one thing ("drag and drop").
var binomials = map[[2]string]bool{
	{"drag", "drop"}: true, {"terms", "conditions"}: true, {"copy", "paste"}: true,
	{"cut", "paste"}: true, {"search", "replace"}: true, {"find", "replace"}: true,
	{"pros", "cons"}: true, {"black", "white"}: true, {"trial", "error"}: true,
	{"back", "forth"}: true, {"up", "down"}: true, {"on", "off"}: true, {"in", "out"}: true,
	{"plug", "play"}: true, {"more", "more"}: true, {"over", "over"}: true, {"q", "a"}: true,
	{"r", "d"}: true, {"p", "l"}: true, {"b", "w"}: true, {"question", "answer"}: true,
	{"questions", "answers"}: true, {"first", "last"}: true, {"start", "end"}: true,
	{"date", "time"}: true, {"username", "password"}: true, {"user", "password"}: true,
	{"login", "password"}: true, {"read", "write"}: true, {"sign", "sign"}: true,
	{"log", "log"}: true, {"check", "balance"}: true, {"checks", "balances"}: true,
	{"bed", "breakfast"}: true, {"research", "development"}: true, {"safe", "sound"}: true,
	{"each", "every"}: true, {"search", "rescue"}: true, {"either", "both"}: true, {"now", "then"}: true,
}

// exampleMarkers introduce examples inside the story sentence.
var exampleMarkers = []string{"e.g.", "eg.", "i.e.", "for example", "for instance", "such as", "including"}

// notLikePreposition: after these words "like" is a verb ("I would like").
var notLikePreposition = map[string]bool{
	"would": true, "i'd": true, "i’d": true, "we'd": true, "we’d": true, "i": true, "we": true,
	"you": true, "they": true, "do": true, "don't": true, "not": true, "feel": true,
	"feels": true, "look": true, "looks": true, "looked": true, "sound": true, "sounds": true,
	"seem": true, "seems": true, "just": true, "really": true, "also": true, "more": true,
	"much": true, "most": true, "might": true, "may": true, "could": true, "should": true,
	"to": true, "users": true, "people": true, "customers": true,
}

// stopWords carry no content when comparing means and benefit.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "i": true, "we": true, "me": true, "my": true, "our": true,
	"us": true, "it": true, "its": true, "to": true, "of": true, "in": true, "on": true, "for": true,
	"and": true, "or": true, "so": true, "that": true, "this": true, "these": true, "those": true,
	"can": true, "could": true, "will": true, "would": true, "be": true, "is": true, "are": true,
	"am": true, "able": true, "do": true, "does": true, "have": true, "has": true, "get": true,
	"make": true, "with": true, "by": true, "from": true, "at": true, "as": true, "all": true,
	"want": true, "need": true, "which": true, "when": true, "then": true, "them": true,
	"they": true, "their": true, "you": true, "your": true, "there": true, "into": true,
	"also": true, "more": true, "any": true, "about": true, "up": true, "out": true, "if": true,
	"easily": true, "better": true, "use": true, "using": true,
}

// genericWords fit any story: a benefit or criterion made only of them
// ("achieve the desired outcome", "the objective is met", "it works as
// expected") says nothing about this one.
var genericWords = map[string]bool{
	"achieve": true, "accomplish": true, "attain": true, "reach": true, "meet": true, "met": true,
	"fulfil": true, "fulfill": true, "satisfy": true, "satisfied": true, "do": true, "done": true,
	"desired": true, "intended": true, "expected": true, "wanted": true, "needed": true, "required": true,
	"outcome": true, "goal": true, "objective": true, "result": true, "purpose": true, "aim": true,
	"value": true, "benefit": true, "need": true, "requirement": true, "target": true, "task": true,
	"job": true, "work": true, "complete": true, "successful": true, "successfully": true,
	"correctly": true, "properly": true, "functionality": true, "feature": true, "everything": true,
	"thing": true, "happy": true, "accomplished": true, "achieved": true, "fulfilled": true,
}

// fillerWords carry no content in a criterion or benefit beyond
// stopWords.
var fillerWords = map[string]bool{
	"then": true, "given": true, "should": true, "must": true, "was": true, "were": true, "been": true,
	"being": true, "what": true, "i'm": true, "want": true, "wants": true, "needs": true, "had": true,
	"fully": true, "expected.": true, "intended.": true, "my": true, "his": true, "her": true,
}

// taskVerbs open task titles ("Implement caching"); right after "I want"
// without "to" they show a title pasted into the story template.
var taskVerbs = map[string]bool{
	"implement": true, "develop": true, "integrate": true, "build": true, "deploy": true,
	"refactor": true, "configure": true, "construct": true, "optimize": true, "optimise": true,
	"migrate": true, "install": true, "create": true, "add": true, "make": true, "enable": true,
	"ensure": true, "provide": true, "improve": true, "fix": true, "remove": true, "delete": true,
	"setup": true, "set": true, "update": true, "upgrade": true, "investigate": true, "research": true,
}

// phrase is a multi-word lexicon entry with its hint.
type phrase struct {
	text, hint string
}
