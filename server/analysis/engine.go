// Package analysis is the analysis engine's front door: a Project holds one
// Jira project's model (duplicate index, estimator trained on the team's
// history, scorer for its strategy) and turns issues into domain.Analysis.
// It is pure: no I/O; the clock is injected. Sub-packages do the work:
// story (parsing), checks (INVEST/QUS), dupes, estimate, score.
package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/analysis/dupes"
	"github.com/backlogai/backlogai/server/analysis/estimate"
	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
)

// DuplicateCandidates is how many similar issues an analysis lists.
const DuplicateCandidates = 5

// Project is the model of one project. Safe for concurrent use: analyses
// take a read lock, updates a write lock.
type Project struct {
	mu        sync.RWMutex
	strategy  domain.Strategy
	checkOpts checks.Options
	scorer    *score.Scorer
	index     *dupes.Index
	est       *estimate.Model
	issues    map[string]*domain.Issue
	now       func() time.Time
}

// NewProject builds a project's model from all its issues (open and done:
// done issues are the estimation history and duplicate targets).
func NewProject(strategy domain.Strategy, issues []domain.Issue, now func() time.Time) *Project {
	if now == nil {
		now = time.Now
	}
	p := &Project{index: dupes.New(dupes.DefaultOptions()), issues: make(map[string]*domain.Issue, len(issues)), now: now}
	p.setStrategy(strategy)
	history := make([]domain.Issue, 0, len(issues))
	for i := range issues {
		is := issues[i]
		p.issues[is.Key] = &is
		p.index.Add(is)
		if is.StoryPoints != nil {
			history = append(history, is)
		}
	}
	// The estimator weighs recency by position: oldest first.
	slices.SortStableFunc(history, func(a, b domain.Issue) int { return a.Created.Compare(b.Created) })
	p.est = estimate.Train(history, estimate.DefaultOptions())
	return p
}

func (p *Project) setStrategy(s domain.Strategy) {
	p.strategy = s
	p.checkOpts = checks.OptionsFor(s)
	p.scorer = score.NewScorer(s)
}

// SetStrategy changes weights, objectives, thresholds… for later analyses.
func (p *Project) SetStrategy(s domain.Strategy) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setStrategy(s)
}

// Strategy returns the current strategy.
func (p *Project) Strategy() domain.Strategy {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.strategy
}

// Len is the number of issues in the model.
func (p *Project) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.issues)
}

// Issue returns the model's snapshot of an issue.
func (p *Project) Issue(key string) (domain.Issue, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	is, ok := p.issues[key]
	if !ok {
		return domain.Issue{}, false
	}
	return *is, true
}

// Keys returns the keys of the model's issues, sorted.
func (p *Project) Keys() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	keys := make([]string, 0, len(p.issues))
	for k := range p.issues {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Upsert adds or replaces an issue in the model.
func (p *Project) Upsert(is domain.Issue) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.issues[is.Key] = &is
	p.index.Update(is)
	p.est.Add(&is)
}

// Remove deletes an issue from the model.
func (p *Project) Remove(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.issues, key)
	p.index.Remove(key)
	p.est.Remove(key)
}

// Analyze analyses one issue of the model (it must have been Upserted).
// override may be nil. In capacity mode the class is provisional until
// Rank runs over the backlog.
func (p *Project) Analyze(key string, override *domain.Override) (domain.Analysis, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	is, ok := p.issues[key]
	if !ok {
		return domain.Analysis{}, false
	}
	return p.analyze(is, override), true
}

// AnalyzeIssue analyses an issue that is not (or not yet) in the model,
// such as a draft or a proposed rewrite, against the model.
func (p *Project) AnalyzeIssue(is domain.Issue, in ExtraInput) domain.Analysis {
	p.mu.RLock()
	defer p.mu.RUnlock()
	a := p.analyzeWith(&is, nil, in)
	return a
}

// ExtraInput carries what a generated draft adds to scoring.
type ExtraInput struct {
	Proposed        []score.Proposal
	ResearchSources int
}

func (p *Project) analyze(is *domain.Issue, override *domain.Override) domain.Analysis {
	return p.analyzeWith(is, override, ExtraInput{})
}

func (p *Project) analyzeWith(is *domain.Issue, override *domain.Override, extra ExtraInput) domain.Analysis {
	now := p.now()
	a := domain.Analysis{IssueKey: is.Key, Flags: []string{}}
	a.Check = checks.Check(is, p.checkOpts)

	a.Duplicates = p.index.Query(*is, DuplicateCandidates)
	if a.Duplicates == nil {
		a.Duplicates = []domain.Candidate{}
	}
	// An issue already linked to this one (as its duplicate, or its split
	// parts, or any relation) is known to the team: not flagged again.
	if i := slices.IndexFunc(a.Duplicates, func(c domain.Candidate) bool { return c.Near && !linkedTo(is, c.Key) }); i >= 0 {
		checks.Add(&a.Check, checks.UniqueFinding(a.Duplicates[i].Key, a.Duplicates[i].Similarity), p.checkOpts)
		a.Flags = append(a.Flags, domain.FlagDuplicate)
	}

	if is.Type != domain.TypeEpic {
		a.Estimate = p.est.Estimate(is)
	} else {
		a.Estimate = domain.Estimate{Method: estimate.MethodNone}
	}

	in := score.Input{Issue: is, Quality: a.Check.Quality, Override: override,
		Proposed: extra.Proposed, ResearchSources: extra.ResearchSources}
	if a.Check.Story != nil {
		in.Persona = a.Check.Story.Role
	}
	if a.Estimate.Method != estimate.MethodNone {
		e := a.Estimate
		in.Estimate = &e
	}
	if is.EpicKey != "" {
		if epic, ok := p.issues[is.EpicKey]; ok {
			in.EpicSummary = epic.Summary
		}
	}
	a.Score = p.scorer.Score(in, now).Score

	if vague(a.Check.Findings) {
		a.Flags = append(a.Flags, domain.FlagVague)
	}
	staleDays := p.strategy.StaleDays
	if staleDays <= 0 {
		staleDays = 90
	}
	if is.Open() && !is.Updated.IsZero() && now.Sub(is.Updated) > time.Duration(staleDays)*24*time.Hour {
		a.Flags = append(a.Flags, domain.FlagStale)
	}
	split := p.strategy.SplitThreshold
	if split <= 0 {
		split = 8
	}
	if pts, ok := points(is, a.Estimate); ok && pts > split {
		a.Flags = append(a.Flags, domain.FlagTooBig)
	}
	return a
}

func points(is *domain.Issue, e domain.Estimate) (float64, bool) {
	if is.StoryPoints != nil {
		return *is.StoryPoints, true
	}
	if e.Method == estimate.MethodNeighbours {
		return e.Points, true
	}
	return 0, false
}

func linkedTo(is *domain.Issue, other string) bool {
	for _, l := range is.Links {
		if l.OtherKey == other {
			return true
		}
	}
	return false
}

func vague(fs []domain.Finding) bool {
	for _, f := range fs {
		// Vague words are hints (they lower nothing) but still mark the
		// issue for the "vague" filter.
		if f.Criterion == "unambiguous" && f.Source == "rule" && (f.Severity != domain.SeverityInfo || f.Hint) {
			return true
		}
	}
	return false
}

// Rank classifies a backlog's open issues together (capacity mode needs
// the whole ranking) and updates each analysis's class in place. It
// returns the summary the Strategy and Health tabs show.
func (p *Project) Rank(analyses []*domain.Analysis) score.Summary {
	p.mu.RLock()
	strategy := p.strategy
	items := make([]score.Result, 0, len(analyses))
	byKey := make(map[string]*domain.Analysis, len(analyses))
	for _, a := range analyses {
		is, ok := p.issues[a.IssueKey]
		if !ok || !is.Open() {
			continue
		}
		r := score.Result{Key: a.IssueKey, Score: a.Score}
		if pts, ok := points(is, a.Estimate); ok {
			r.Points, r.PointsSource = pts, "issue"
			if is.StoryPoints == nil {
				r.PointsSource = "suggestion"
			}
		}
		items = append(items, r)
		byKey[a.IssueKey] = a
	}
	p.mu.RUnlock()
	sum := score.Rank(items, strategy)
	for _, r := range items {
		byKey[r.Key].Score = r.Score
	}
	return sum
}

// Property is the value of the `backlogai` issue property written to Jira.
// Score is the total floored, so that it agrees with the class: a 79.96
// is a Should, shown as 79.
// The descriptor's jiraEntityProperties extract score, moscow and quality
// for JQL (backlogScore, backlogMoscow, backlogQuality).
type Property struct {
	Score    int      `json:"score"`
	Moscow   string   `json:"moscow"`
	Quality  *int     `json:"quality,omitempty"` // absent when no story check applies, so JQL on it skips bugs and tasks
	Estimate *float64 `json:"estimate,omitempty"`
	Flags    []string `json:"flags"`
	Override bool     `json:"override,omitempty"`
	// Version identifies the content: writing the same version twice is a
	// no-op in effect, which makes retried write-backs harmless.
	Version string `json:"version"`
}

// PropertyOf derives the property value and its hash from an analysis.
func PropertyOf(a *domain.Analysis, storyPoints *float64) Property {
	p := Property{Score: int(math.Floor(a.Score.Total)), Moscow: string(a.Score.Moscow),
		Flags: a.Flags, Override: a.Score.Override != nil}
	if q := a.Check.Quality; q >= 0 {
		p.Quality = &q
	}
	if p.Flags == nil {
		p.Flags = []string{}
	}
	if storyPoints == nil && a.Estimate.Method == estimate.MethodNeighbours {
		e := a.Estimate.Points
		p.Estimate = &e
	}
	raw, _ := json.Marshal(p)
	sum := sha256.Sum256(raw)
	p.Version = hex.EncodeToString(sum[:8])
	return p
}

// GlanceStatus is the issue glance's status (a lozenge such as
// "78 · Should"), set through the issue property
// com.atlassian.jira.issue:<appKey>:<glanceKey>:status.
type GlanceStatus struct {
	Type  string `json:"type"` // "lozenge"
	Value struct {
		Label string `json:"label"`
		Type  string `json:"type"` // lozenge appearance
	} `json:"value"`
}

// GlanceStatusOf renders the glance label of a property.
func GlanceStatusOf(p Property) GlanceStatus {
	g := GlanceStatus{Type: "lozenge"}
	g.Value.Label = strconv.Itoa(p.Score) + " · " + p.Moscow
	switch domain.Moscow(p.Moscow) {
	case domain.MoscowMust:
		g.Value.Type = "success"
	case domain.MoscowShould:
		g.Value.Type = "inprogress"
	case domain.MoscowCould:
		g.Value.Type = "new"
	default:
		g.Value.Type = "default"
	}
	return g
}

// GlanceStatusKey is the property key Jira reads a glance's status from.
func GlanceStatusKey(appKey, glanceKey string) string {
	return "com.atlassian.jira.issue:" + appKey + ":" + glanceKey + ":status"
}
