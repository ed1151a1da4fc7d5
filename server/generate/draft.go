// Package generate turns a product context and objective into INVEST-ready
// user stories (research, LLM drafts, checks, one revision pass, scores),
// stores them as drafts for a person to edit, and creates the chosen ones
// in Jira; it also improves and splits existing issues.
//
// Without an LLM every step has a deterministic fallback that says so and
// writes only what rules can write correctly: drafts of the capabilities
// and metrics the form names, improvements built from the story's own
// parts (never lowering its quality) with a question per finding, and
// splits where the goal joins separate actions or objects cleanly.
package generate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/research"
)

// Modes of a run or an improvement.
const (
	ModeLLM           = "llm"
	ModeDeterministic = "deterministic"
)

// Form is what a person submits on the Generate tab.
type Form struct {
	Context     string   `json:"context"`
	Objective   string   `json:"objective"`
	Persona     string   `json:"persona"`
	Segment     string   `json:"segment"`
	Constraints string   `json:"constraints"`
	Metrics     string   `json:"metrics"`
	Competitors []string `json:"competitors"`
	Research    bool     `json:"research"`
	Count       int      `json:"count"`
	ParentEpic  string   `json:"parentEpic"`
}

// Limits of a form.
const (
	MaxStories    = 10
	maxFieldBytes = 4000
	maxCompetitor = 10
)

// Normalize trims the form and checks it; the error wraps
// domain.ErrInvalid with a message for the person.
func (f *Form) Normalize() error {
	fields := []struct {
		name string
		v    *string
	}{{"context", &f.Context}, {"objective", &f.Objective}, {"persona", &f.Persona}, {"segment", &f.Segment},
		{"constraints", &f.Constraints}, {"metrics", &f.Metrics}, {"parentEpic", &f.ParentEpic}}
	for _, fl := range fields {
		*fl.v = strings.TrimSpace(*fl.v)
		// Characters as the page counts them, not bytes.
		if n := utf8.RuneCountInString(*fl.v); n > maxFieldBytes {
			return &InputError{Msg: fmt.Sprintf("%s: at most %s characters (this one has %s).", fl.name, Thousands(maxFieldBytes), Thousands(n))}
		}
	}
	var comps []string
	for _, c := range f.Competitors {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(comps, c) {
			comps = append(comps, c)
		}
	}
	if len(comps) > maxCompetitor {
		return invalid("name at most %d competitors", maxCompetitor)
	}
	f.Competitors = comps
	if f.Objective == "" {
		return invalid("an objective is required")
	}
	if f.Count == 0 {
		f.Count = 3
	}
	if f.Count < 1 || f.Count > MaxStories {
		return invalid("ask for 1 to %d stories", MaxStories)
	}
	if f.ParentEpic != "" && !issueKey(f.ParentEpic) {
		return invalid("the parent epic must be an issue key such as SHOP-12")
	}
	return nil
}

func issueKey(s string) bool {
	p, n, ok := strings.Cut(s, "-")
	if !ok || p == "" || n == "" || len(s) > 255 {
		return false
	}
	for _, r := range p {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Metric is a success metric with its baseline and target.
type Metric struct {
	Name     string `json:"name"`
	Baseline string `json:"baseline"`
	Target   string `json:"target"`
}

// Pillar is a proposed pillar score with its reason.
type Pillar struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Reason string  `json:"reason"`
}

// Content is the editable part of a draft: everything the LLM (or the
// deterministic mode) writes and a person may change.
type Content struct {
	Title              string            `json:"title"`
	UserStory          string            `json:"userStory"`
	AcceptanceCriteria []string          `json:"acceptanceCriteria"`
	NFRs               []string          `json:"nfrs"`
	Metrics            []Metric          `json:"metrics"`
	Risks              []string          `json:"risks"`
	Dependencies       []string          `json:"dependencies"`
	Rollout            string            `json:"rollout"`
	OpenQuestions      []string          `json:"openQuestions"`
	Pillars            []Pillar          `json:"pillars"`
	WhyNow             string            `json:"whyNow"`
	WhyThis            string            `json:"whyThis"`
	WhyUs              string            `json:"whyUs"`
	Sources            []research.Source `json:"sources"`
	ParentEpic         string            `json:"parentEpic,omitempty"`
}

// Limits on what a draft may hold.
const (
	maxTitle     = 255
	maxListItems = 12
	maxItemBytes = 1000
)

// normalize trims every field, drops empty list items, bounds sizes and
// fills nil slices (JSON [] rather than null).
func (c *Content) normalize() {
	c.Title = truncate(oneLine(c.Title), maxTitle)
	c.UserStory = truncate(oneLine(c.UserStory), 2*maxItemBytes)
	c.Rollout = truncate(strings.TrimSpace(c.Rollout), 2*maxItemBytes)
	c.WhyNow, c.WhyThis, c.WhyUs = truncate(oneLine(c.WhyNow), maxItemBytes), truncate(oneLine(c.WhyThis), maxItemBytes), truncate(oneLine(c.WhyUs), maxItemBytes)
	for _, l := range []*[]string{&c.AcceptanceCriteria, &c.NFRs, &c.Risks, &c.Dependencies, &c.OpenQuestions} {
		*l = cleanList(*l)
	}
	var ms []Metric
	for _, m := range c.Metrics {
		m = Metric{Name: truncate(oneLine(m.Name), 200), Baseline: truncate(oneLine(m.Baseline), 200), Target: truncate(oneLine(m.Target), 200)}
		if m.Name != "" && len(ms) < maxListItems {
			ms = append(ms, m)
		}
	}
	c.Metrics = nonNil(ms)
	var ps []Pillar
	for _, p := range c.Pillars {
		if !validPillar(p.Name) || slices.ContainsFunc(ps, func(q Pillar) bool { return q.Name == p.Name }) {
			continue
		}
		p.Value = min(max(p.Value, 0), 10)
		p.Reason = truncate(oneLine(p.Reason), maxItemBytes)
		ps = append(ps, p)
	}
	c.Pillars = nonNil(ps)
	var ss []research.Source
	for _, s := range c.Sources {
		if strings.HasPrefix(s.URL, "https://") || strings.HasPrefix(s.URL, "http://") {
			s.Title = truncate(oneLine(s.Title), 300)
			s.Snippet = truncate(oneLine(s.Snippet), maxItemBytes)
			if s.Title == "" {
				s.Title = s.URL
			}
			ss = append(ss, s)
		}
	}
	c.Sources = nonNil(ss)
}

func cleanList(in []string) []string {
	out := []string{}
	for _, s := range in {
		s = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(s), "-*•"))
		if s = truncate(oneLine(s), maxItemBytes); s != "" && len(out) < maxListItems {
			out = append(out, s)
		}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func validPillar(name string) bool {
	for _, p := range domain.Pillars {
		if string(p) == name {
			return true
		}
	}
	return false
}

// merge returns the revision with every field it left blank taken from
// the draft: a revision pass may only improve what it rewrites.
func merge(draft, rev Content) Content {
	out := rev
	str := func(dst *string, from string) {
		if strings.TrimSpace(*dst) == "" {
			*dst = from
		}
	}
	list := func(dst *[]string, from []string) {
		if len(cleanList(*dst)) == 0 {
			*dst = from
		}
	}
	str(&out.Title, draft.Title)
	str(&out.UserStory, draft.UserStory)
	str(&out.Rollout, draft.Rollout)
	str(&out.WhyNow, draft.WhyNow)
	str(&out.WhyThis, draft.WhyThis)
	str(&out.WhyUs, draft.WhyUs)
	list(&out.AcceptanceCriteria, draft.AcceptanceCriteria)
	list(&out.NFRs, draft.NFRs)
	list(&out.Risks, draft.Risks)
	list(&out.Dependencies, draft.Dependencies)
	list(&out.OpenQuestions, draft.OpenQuestions)
	if len(out.Metrics) == 0 {
		out.Metrics = draft.Metrics
	}
	if len(out.Pillars) == 0 {
		out.Pillars = draft.Pillars
	}
	if len(out.Sources) == 0 {
		out.Sources = draft.Sources
	}
	out.ParentEpic = draft.ParentEpic
	return out
}

// Issue is the draft as the analysis engine sees it: the description is
// the plain text of the ADF document it would be created with, so that a
// draft's check result is the created issue's.
func (c *Content) Issue(project string) domain.Issue {
	return domain.Issue{
		Key:         "DRAFT",
		ProjectKey:  project,
		Type:        domain.TypeStory,
		Summary:     c.Title,
		Description: Doc(c).PlainText(),
		Labels:      []string{Label},
		EpicKey:     c.ParentEpic,
		StatusCat:   domain.StatusToDo,
	}
}

// proposals turns the draft's pillar values into the scorer's input.
func (c *Content) proposals() []score.Proposal {
	out := make([]score.Proposal, 0, len(c.Pillars))
	for _, p := range c.Pillars {
		out = append(out, score.Proposal{Pillar: domain.PillarName(p.Name), Value: p.Value, Reason: p.Reason})
	}
	return out
}

// Analyse checks and scores a draft against the project model.
func (c *Content) Analyse(analyse Analyser, project string) domain.Analysis {
	a := analyse(c.Issue(project), analysis.ExtraInput{Proposed: c.proposals(), ResearchSources: len(c.Sources)})
	a.IssueKey = ""
	return a
}

// Analyser analyses an issue that is not in the project model
// (analysis.Project.AnalyseIssue).
type Analyser func(domain.Issue, analysis.ExtraInput) domain.Analysis

// GWTShare is the share of criteria written as Given/When/Then.
func GWTShare(criteria []string) (gwt, total int) {
	for _, c := range criteria {
		total++
		if isGWT(c) {
			gwt++
		}
	}
	return gwt, total
}

func isGWT(s string) bool {
	l := strings.ToLower(s)
	g := wordIndex(l, "given")
	w := wordIndex(l, "when")
	t := wordIndex(l, "then")
	return g >= 0 && w > g && t > w
}

// wordIndex finds w in l as a whole word.
func wordIndex(l, w string) int {
	for i := 0; ; {
		j := strings.Index(l[i:], w)
		if j < 0 {
			return -1
		}
		j += i
		before := j == 0 || !isWordByte(l[j-1])
		after := j+len(w) == len(l) || !isWordByte(l[j+len(w)])
		if before && after {
			return j
		}
		i = j + 1
	}
}

func isWordByte(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimSpace(s[:n])
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	// Keep acronyms and names ("API", "iOS", "Shopify") as written.
	if len(s) > n {
		r2, _ := utf8.DecodeRuneInString(s[n:])
		if unicode.IsUpper(r2) {
			return s
		}
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// InputError is a request the service refuses, with a message for the
// person who made it. It wraps domain.ErrInvalid.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// Unwrap returns domain.ErrInvalid.
func (e *InputError) Unwrap() error { return domain.ErrInvalid }

func invalid(format string, args ...any) error {
	return &InputError{Msg: upperFirst(fmt.Sprintf(format, args...)) + "."}
}

// ErrLLM marks errors of an LLM call made for improve or split, so that
// the web layer tells them from Jira's.
var ErrLLM = errors.New("generate: llm call failed")
