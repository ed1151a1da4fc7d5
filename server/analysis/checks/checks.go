// Package checks runs the deterministic INVEST and Quality User Story checks
// on an issue: each finding names the rule, the INVEST letter and QUS
// criterion it belongs to, points at the exact words and suggests a fix.
// Findings add up to a 0-100 quality score. It is pure: no I/O, no clock,
// no randomness.
package checks

import (
	"fmt"
	"math"
	"sort"

	"github.com/backlogai/backlogai/server/analysis/story"
	"github.com/backlogai/backlogai/server/domain"
)

// Finding codes. They are stable: the UI, stored results and per-project
// settings (Options.Disabled) refer to them.
const (
	CodeNoTemplate        = "no_story_template"
	CodeMissingRole       = "missing_role"
	CodeMissingMeans      = "missing_means"
	CodeMissingBenefit    = "missing_benefit"
	CodeBenefitRestates   = "benefit_restates_means"
	CodeBuilderRole       = "builder_role"
	CodeNotAFeature       = "not_a_feature"
	CodeBlocked           = "blocked_by_open_issue"
	CodeDependencyText    = "dependency_mentioned"
	CodeSolutionTerm      = "solution_term"
	CodeImplementation    = "implementation_story"
	CodeVagueTerm         = "vague_term"
	CodePlaceholder       = "placeholder"
	CodeOpenQuestion      = "open_question"
	CodeMissingCriteria   = "missing_acceptance_criteria"
	CodeUnmeasurable      = "unmeasurable_criterion"
	CodeConjunction       = "conjunction"
	CodeSeveralPersonas   = "several_personas"
	CodeTooManyCriteria   = "too_many_criteria"
	CodeTooBig            = "too_big"
	CodeBrackets          = "brackets"
	CodeExtraPunctuation  = "extra_punctuation"
	CodeExampleInStory    = "example_in_story"
	CodeExtraSentence     = "extra_sentence"
	CodeNearDuplicate     = "near_duplicate"
	CodeGenericBenefit    = "generic_benefit"
	CodeTaskTitle         = "task_title_as_story"
	sourceRule            = "rule"
	criterionWellFormed   = "well_formed"
	criterionAtomic       = "atomic"
	criterionMinimal      = "minimal"
	criterionProblem      = "problem_oriented"
	criterionConceptual   = "conceptually_sound"
	criterionUnambiguous  = "unambiguous"
	criterionEstimatable  = "estimatable"
	criterionIndependent  = "independent"
	criterionUnique       = "unique"
	criterionTestable     = "testable"
	criterionFullSentence = "full_sentence"
	letterIndependent     = "I"
	letterNegotiable      = "N"
	letterValuable        = "V"
	letterEstimable       = "E"
	letterSmall           = "S"
	letterTestable        = "T"
	letterNone            = ""
	defaultMaxCriteria    = 8
	defaultSplitThreshold = 8
	defaultInfoPenalty    = 0.03
	defaultWarningPenalty = 0.10
	defaultErrorPenalty   = 0.25
)

// codeInfo gives each code its INVEST letter and QUS criterion.
var codeInfo = map[string]struct{ letter, criterion string }{
	CodeNoTemplate:       {letterValuable, criterionWellFormed},
	CodeMissingRole:      {letterValuable, criterionWellFormed},
	CodeMissingMeans:     {letterNone, criterionWellFormed},
	CodeMissingBenefit:   {letterValuable, criterionWellFormed},
	CodeBenefitRestates:  {letterValuable, criterionConceptual},
	CodeBuilderRole:      {letterValuable, criterionConceptual},
	CodeNotAFeature:      {letterValuable, criterionConceptual},
	CodeBlocked:          {letterIndependent, criterionIndependent},
	CodeDependencyText:   {letterIndependent, criterionIndependent},
	CodeSolutionTerm:     {letterNegotiable, criterionProblem},
	CodeImplementation:   {letterNegotiable, criterionProblem},
	CodeVagueTerm:        {letterEstimable, criterionUnambiguous},
	CodePlaceholder:      {letterEstimable, criterionEstimatable},
	CodeOpenQuestion:     {letterEstimable, criterionUnambiguous},
	CodeMissingCriteria:  {letterTestable, criterionTestable},
	CodeUnmeasurable:     {letterTestable, criterionTestable},
	CodeConjunction:      {letterSmall, criterionAtomic},
	CodeSeveralPersonas:  {letterSmall, criterionAtomic},
	CodeTooManyCriteria:  {letterSmall, criterionAtomic},
	CodeTooBig:           {letterSmall, criterionEstimatable},
	CodeBrackets:         {letterNone, criterionMinimal},
	CodeExtraPunctuation: {letterNone, criterionMinimal},
	CodeExampleInStory:   {letterNone, criterionMinimal},
	CodeExtraSentence:    {letterNone, criterionMinimal},
	CodeNearDuplicate:    {letterNone, criterionUnique},
	CodeGenericBenefit:   {letterValuable, criterionWellFormed},
	CodeTaskTitle:        {letterNone, criterionFullSentence},
}

// Letters lists the INVEST letters in order.
var Letters = [6]string{"I", "N", "V", "E", "S", "T"}

// Weights are the quality penalties per severity, each in [0, 1).
type Weights struct {
	Info, Warning, Error float64
}

// Options are a project's check settings. Start from DefaultOptions (or
// OptionsFor): in the zero value every threshold and penalty is off.
type Options struct {
	// MaxCriteria: more acceptance criteria than this suggest a split.
	MaxCriteria int
	// SplitThreshold: an estimate above it (story points) suggests a split.
	SplitThreshold float64
	// Weights: the quality penalty of one finding per severity.
	Weights Weights
	// RequireBenefit reports stories without a "so that" benefit.
	RequireBenefit bool
	// Disabled finding codes are not reported.
	Disabled map[string]bool
}

// DefaultOptions are the settings of a new project.
func DefaultOptions() Options {
	return Options{
		MaxCriteria:    defaultMaxCriteria,
		SplitThreshold: defaultSplitThreshold,
		Weights:        Weights{Info: defaultInfoPenalty, Warning: defaultWarningPenalty, Error: defaultErrorPenalty},
		RequireBenefit: true,
	}
}

// OptionsFor is DefaultOptions with the project's split threshold.
func OptionsFor(s domain.Strategy) Options {
	o := DefaultOptions()
	if s.SplitThreshold > 0 {
		o.SplitThreshold = s.SplitThreshold
	}
	return o
}

// Check runs every rule on issue. Stories (and untyped issues written as
// stories) get the story-form rules; bugs, tasks, sub-tasks and epics only
// the rules that apply to any work item (links, dependencies, placeholders,
// size), with JudgedAsStory false, the letters N, V and T not applicable
// and no quality score (domain.QualityNotApplicable): a check that did not
// run is never reported as a pass.
func Check(issue *domain.Issue, opts Options) domain.CheckResult {
	c := newChecker(issue, opts)
	c.run()
	res := domain.CheckResult{
		Findings:      c.findings,
		JudgedAsStory: c.judged,
	}
	if c.found {
		st := c.parsed.Story
		res.Story = &st
	}
	for _, it := range c.criteria.Items {
		res.AcceptanceCriteria = append(res.AcceptanceCriteria, it.Text)
	}
	if res.Findings == nil {
		res.Findings = []domain.Finding{}
	}
	summarise(&res, opts.Weights)
	return res
}

// storyOnlyLetters are the INVEST letters whose checks all need a story
// (solution terms; role, means and benefit; acceptance criteria).
var storyOnlyLetters = [...]string{letterNegotiable, letterValuable, letterTestable}

// summarise sets the quality and letters of res from its findings.
func summarise(res *domain.CheckResult, w Weights) {
	res.Letters = LetterStatus(res.Findings)
	if res.JudgedAsStory {
		res.Quality = Quality(res.Findings, w)
		return
	}
	res.Quality = domain.QualityNotApplicable
	for _, l := range storyOnlyLetters {
		res.Letters[l] = domain.LetterNotApplicable
	}
}

// Add appends a finding made outside Check (a near duplicate from the
// duplicate index, an LLM review finding) and recomputes quality and
// letters.
func Add(res *domain.CheckResult, f domain.Finding, opts Options) {
	if opts.Disabled[f.Code] {
		return
	}
	res.Findings = append(res.Findings, f)
	summarise(res, opts.Weights)
}

// UniqueFinding is the finding for a near duplicate of otherKey with the
// given similarity (0-1), for the engine to Add.
func UniqueFinding(otherKey string, similarity float64) domain.Finding {
	pct := int(math.Round(similarity * 100))
	return domain.Finding{
		Code:      CodeNearDuplicate,
		Letter:    letterNone,
		Criterion: criterionUnique,
		Severity:  domain.SeverityWarning,
		Message:   fmt.Sprintf("This looks like a near duplicate of %s (%d %% similar).", otherKey, pct),
		Fix: fmt.Sprintf("Compare with %s: if both ask for the same thing, link them as duplicates and close one; "+
			"if not, make the difference explicit in the summary.", otherKey),
		Source: sourceRule,
	}
}

// Quality is the 0-100 score of a set of findings:
//
//	Quality = round(100 × Π_f (1 − w(f) / k(f)))
//
// where w(f) is the penalty of f's severity (Weights) and k(f) is f's rank
// among the findings with the same code (1 for the first, 2 for the
// second…). Every finding lowers the score, a severer one more; repeats of
// one problem (five vague words) weigh less than five different problems;
// the score never goes below 0. Hints do not count.
func Quality(findings []domain.Finding, w Weights) int {
	q := 1.0
	rank := make(map[string]int, len(findings))
	for _, f := range findings {
		if f.Hint {
			continue
		}
		rank[f.Code]++
		q *= 1 - penalty(f.Severity, w)/float64(rank[f.Code])
	}
	return int(math.Round(100 * q))
}

func penalty(s domain.Severity, w Weights) float64 {
	var p float64
	switch s {
	case domain.SeverityError:
		p = w.Error
	case domain.SeverityWarning:
		p = w.Warning
	default:
		p = w.Info
	}
	return math.Min(math.Max(p, 0), 1)
}

// LetterStatus maps each INVEST letter to "fail" when it has an error
// finding, "warn" when it has any other finding, else "pass". Hints do
// not count.
func LetterStatus(findings []domain.Finding) map[string]string {
	m := make(map[string]string, len(Letters))
	for _, l := range Letters {
		m[l] = domain.LetterPass
	}
	for _, f := range findings {
		if _, ok := m[f.Letter]; !ok || f.Hint {
			continue
		}
		switch {
		case f.Severity == domain.SeverityError:
			m[f.Letter] = domain.LetterFail
		case m[f.Letter] == domain.LetterPass:
			m[f.Letter] = domain.LetterWarn
		}
	}
	return m
}

// checker holds one issue's texts and the findings so far.
type checker struct {
	issue    *domain.Issue
	opts     Options
	sum      doc
	desc     doc
	judged   bool
	found    bool
	parsed   story.Parsed
	criteria story.Criteria
	findings []domain.Finding
}

func newChecker(issue *domain.Issue, opts Options) *checker {
	c := &checker{
		issue: issue,
		opts:  opts,
		sum:   newDoc(issue.Summary, domain.FieldSummary),
		desc:  newDoc(issue.Description, domain.FieldDescription),
	}
	c.criteria = story.AcceptanceCriteria(issue.Description)
	c.parsed, c.found = story.Locate(issue.Summary, issue.Description)
	switch issue.Type {
	case domain.TypeStory:
		c.judged = true
	case domain.TypeOther, "":
		c.judged = c.found
	}
	return c
}

func (c *checker) run() {
	c.checkLinks()
	c.checkDependencyText()
	c.checkPlaceholders()
	c.checkSize()
	if !c.judged {
		return
	}
	c.checkForm()
	c.checkRole()
	c.checkSolution()
	c.checkVague()
	c.checkQuestions()
	c.checkConjunctions()
	c.checkCriteria()
	c.checkMinimal()
}

// add records a finding unless its code is disabled.
func (c *checker) add(code string, sev domain.Severity, span *domain.Span, msg, fix string) {
	c.record(code, sev, false, span, msg, fix)
}

// hint records an informational note that claims no defect.
func (c *checker) hint(code string, span *domain.Span, msg, fix string) {
	c.record(code, domain.SeverityInfo, true, span, msg, fix)
}

func (c *checker) record(code string, sev domain.Severity, hint bool, span *domain.Span, msg, fix string) {
	if c.opts.Disabled[code] {
		return
	}
	info := codeInfo[code]
	c.findings = append(c.findings, domain.Finding{
		Code: code, Letter: info.letter, Criterion: info.criterion, Severity: sev,
		Message: msg, Span: span, Fix: fix, Source: sourceRule, Hint: hint,
	})
}

// doc is one field's text with its lowercase copy and words.
type doc struct {
	field domain.Field
	text  string
	lower string
	words []story.Word
}

func newDoc(text string, field domain.Field) doc {
	lower := story.Lower(text)
	return doc{field: field, text: text, lower: lower, words: story.Words(lower, make([]story.Word, 0, len(text)/5+1))}
}

// word is the lowercase text of word i.
func (d *doc) word(i int) string { return d.lower[d.words[i].Start:d.words[i].End] }

// wordRange returns the indexes [lo, hi) of the words inside [start, end).
func (d *doc) wordRange(start, end int) (int, int) {
	lo := sort.Search(len(d.words), func(i int) bool { return d.words[i].Start >= start })
	hi := sort.Search(len(d.words), func(i int) bool { return d.words[i].End > end })
	return lo, max(lo, hi)
}

func (d *doc) span(start, end int) *domain.Span {
	return &domain.Span{Field: d.field, Start: start, End: end}
}

// docFor returns the doc a field's span points into.
func (c *checker) docFor(f domain.Field) *doc {
	if f == domain.FieldDescription {
		return &c.desc
	}
	return &c.sum
}

// region is a byte range of one doc.
type region struct {
	d          *doc
	start, end int
}

// storyRegion is the story sentence, or the whole summary when the issue
// is judged a story but has no template.
func (c *checker) storyRegion() region {
	if c.found {
		d := c.docFor(c.parsed.Field)
		return region{d, c.parsed.Start, c.parsed.End}
	}
	return region{&c.sum, 0, len(c.sum.text)}
}

// meansRegion is the means of the story, or the whole summary without one.
func (c *checker) meansRegion() (region, bool) {
	if c.found {
		if s := c.parsed.MeansSpan; s != nil {
			return region{c.docFor(s.Field), s.Start, s.End}, true
		}
		return region{}, false
	}
	return region{&c.sum, 0, len(c.sum.text)}, true
}

// lemmaLookup finds w in m directly or after removing a plural or verb
// ending ("tables", "queries", "integrated", "integrating", "planned").
func lemmaLookup[V any](m map[string]V, w string) (V, bool) {
	if v, ok := m[w]; ok {
		return v, true
	}
	var zero V
	n := len(w)
	if n < 4 {
		if n == 3 && w[2] == 's' {
			v, ok := m[w[:2]]
			return v, ok
		}
		return zero, false
	}
	var buf [48]byte
	try := func(base string, suffix string) (V, bool) {
		if len(base)+len(suffix) > len(buf) {
			return zero, false
		}
		b := append(append(buf[:0], base...), suffix...)
		v, ok := m[string(b)]
		return v, ok
	}
	switch {
	case w[n-3:] == "ies":
		if v, ok := try(w[:n-3], "y"); ok {
			return v, true
		}
	case w[n-3:] == "ing":
		if v, ok := m[w[:n-3]]; ok {
			return v, true
		}
		if v, ok := try(w[:n-3], "e"); ok {
			return v, true
		}
		if n > 5 && w[n-4] == w[n-5] { // "planning" → "plan"
			if v, ok := m[w[:n-4]]; ok {
				return v, true
			}
		}
	case w[n-2:] == "ed":
		if v, ok := m[w[:n-1]]; ok { // "integrated" → "integrate"
			return v, true
		}
		if v, ok := m[w[:n-2]]; ok {
			return v, true
		}
		if n > 5 && w[n-3] == w[n-4] {
			if v, ok := m[w[:n-3]]; ok {
				return v, true
			}
		}
	}
	if w[n-1] == 's' && w[n-2] != 's' {
		if v, ok := m[w[:n-1]]; ok {
			return v, true
		}
		if w[n-2] == 'e' {
			if v, ok := m[w[:n-2]]; ok {
				return v, true
			}
		}
	}
	return zero, false
}

// stem reduces a word to a comparison key without allocating: plural and
// verb endings and a final "e" go ("exports", "exporting" → "export").
func stem(w string) string {
	n := len(w)
	switch {
	case n > 5 && w[n-3:] == "ing":
		w = w[:n-3]
	case n > 4 && w[n-2:] == "ed":
		w = w[:n-2]
	case n > 4 && w[n-3:] == "ies":
		w = w[:n-3]
	case n > 3 && w[n-1] == 's' && w[n-2] != 's':
		w = w[:n-1]
	}
	if n := len(w); n > 3 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	return w
}
