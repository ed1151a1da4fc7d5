// Package analysis is the analysis engine's front door: a Project holds one
// Jira project's model (duplicate index, estimator trained on the team's
// history, scorer for its strategy) and turns issues into domain.Analysis.
// It is pure: no I/O; the clock is injected. Sub-packages do the work:
// story (parsing), checks (INVEST/QUS), dupes, estimate, score.
//
// Ranking rules beyond the scorer's: done issues are not ranked (they show
// "Done"); a sub-task follows the ranking by its score without taking a
// share; an epic with open children (not sub-tasks) takes the mean of
// their totals, so that its class lies among theirs, and its class basis
// says so ("From its 6 open children (1 Must, 3 Should, 2 Could): an epic
// takes their mean score, 63."); an epic without open children keeps its
// own score. An open issue past its due date with priority High or above
// (or of Highest priority due within 3 days) is Must whatever its rank
// (score.ForcedMust): it takes a Must place first and is listed among the
// Musts; a link as a duplicate (Won't) and a person's override win over it.
package analysis

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/analysis/dupes"
	"github.com/backlogai/backlogai/server/analysis/estimate"
	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
)

// DuplicateCandidates is how many similar issues an analysis lists.
const DuplicateCandidates = 5

// EpicEstimateReason is an epic's estimate reason: epics get no suggestion.
const EpicEstimateReason = "Epics are not estimated; their children are"

// Project is the model of one project. Safe for concurrent use: analyses
// take a read lock, updates a write lock.
type Project struct {
	mu sync.RWMutex
	judge
	// cutoffs are the class bounds of the last relative or capacity
	// ranking (nil before the first), rankedTotals the totals it ranked;
	// sinceRank counts analyses since whose total differs from those.
	cutoffs *score.Cutoffs
	// mustBound is what the last ranking lifted forced Musts to (see
	// score.Lift).
	mustBound float64
	calib     *score.Calibration
	// norm places a framework score among the last ranking's (nil before
	// the first ranking under the active framework).
	norm         *framework.Normaliser
	rankedOnce   bool
	rankedTotals map[string]float64
	sinceRank    atomic.Int64
	// version counts changes to the model's issues; memo keeps each
	// issue's duplicate candidates and estimate at a version, which do not
	// depend on the strategy, so that a preview re-scores quickly.
	version uint64
	memoMu  sync.Mutex
	memo    map[string]memoEntry
	index   *dupes.Index
	est     *estimate.Model
	issues  map[string]*domain.Issue
	now     func() time.Time

	// rel counts, for each pair of keys, the hierarchy relations (parent,
	// epic) and links either issue records with the other, so that an
	// issue's relatives are found without scanning the project.
	rel map[string]map[string]int
}

// NewProject builds a project's model from all its issues (open and done:
// done issues are the estimation history and duplicate targets).
func NewProject(strategy domain.Strategy, issues []domain.Issue, now func() time.Time) *Project {
	if now == nil {
		now = time.Now
	}
	p := &Project{index: dupes.New(dupes.DefaultOptions()), issues: make(map[string]*domain.Issue, len(issues)), now: now}
	p.rel = make(map[string]map[string]int)
	p.setStrategy(strategy)
	// The duplicate index learns the project's boilerplate lines first.
	p.index.Learn(issues)
	history := make([]domain.Issue, 0, len(issues))
	for i := range issues {
		is := issues[i]
		p.issues[is.Key] = &is
		p.relate(&is, 1)
		p.index.Add(is)
		if estimate.Learnable(&is) {
			history = append(history, is)
		}
	}
	// The estimator weighs recency by position: oldest first.
	slices.SortStableFunc(history, func(a, b domain.Issue) int { return a.Created.Compare(b.Created) })
	p.est = estimate.Train(history, estimate.DefaultOptions())
	return p
}

// judge is what a strategy decides: the options and scorer it implies.
type judge struct {
	strategy  domain.Strategy
	checkOpts checks.Options
	scorer    *score.Scorer
}

func newJudge(s domain.Strategy) judge {
	return judge{strategy: s, checkOpts: checks.OptionsFor(s), scorer: score.NewScorer(s)}
}

func (p *Project) setStrategy(s domain.Strategy) {
	if p.strategy.Mode != s.Mode || p.strategy.Shares != s.Shares {
		p.cutoffs = nil
	}
	if !reflect.DeepEqual(p.strategy.Framework, s.Framework) {
		// Totals change scale: the last ranking's bounds no longer apply.
		p.cutoffs, p.norm = nil, nil
	}
	p.judge = newJudge(s)
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

// Upsert adds or replaces an issue in the model. Re-adding an unchanged
// issue (model refreshes re-read recent changes) changes nothing.
func (p *Project) Upsert(is domain.Issue) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.issues[is.Key]; ok {
		if reflect.DeepEqual(*old, is) {
			return
		}
		p.relate(old, -1)
	}
	p.version++
	p.issues[is.Key] = &is
	p.relate(&is, 1)
	p.index.Update(is)
	if estimate.Learnable(&is) {
		p.est.Add(&is)
	} else {
		p.est.Remove(is.Key) // reopened, or its points were cleared
	}
}

// Remove deletes an issue from the model.
func (p *Project) Remove(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.version++
	if old, ok := p.issues[key]; ok {
		p.relate(old, -1)
	}
	delete(p.issues, key)
	p.index.Remove(key)
	p.est.Remove(key)
	if _, ok := p.rankedTotals[key]; ok {
		p.sinceRank.Add(1)
	}
}

// NeedsRank reports whether the backlog needs ranking as a whole: always
// in capacity mode; otherwise when it was never ranked (pillar calibration
// and relative classes come from the ranking) or more than a tenth of it
// (at least 20 issues) changed score since, so that percentiles and shares
// drift little between rankings.
func (p *Project) NeedsRank() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	switch {
	case p.strategy.Mode == domain.MoscowCapacity, !p.rankedOnce:
		return true
	case framework.Active(p.strategy.Framework) && p.norm == nil:
		return true
	case p.strategy.Mode != domain.MoscowThresholds && p.cutoffs == nil:
		return true
	}
	return p.sinceRank.Load() > int64(max(20, len(p.rankedTotals)/10))
}

// Analyse analyses one issue of the model (it must have been Upserted).
// override may be nil. In capacity mode the class is provisional until
// Rank runs over the backlog.
func (p *Project) Analyse(key string, override *domain.Override) (domain.Analysis, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	is, ok := p.issues[key]
	if !ok {
		return domain.Analysis{}, false
	}
	return p.analyse(is, override), true
}

// AnalyseIssue analyses an issue that is not (or not yet) in the model,
// such as a draft or a proposed rewrite, against the model.
func (p *Project) AnalyseIssue(is domain.Issue, in ExtraInput) domain.Analysis {
	p.mu.RLock()
	defer p.mu.RUnlock()
	a := p.analyseWith(&is, nil, in)
	return a
}

// ExtraInput carries what a generated draft adds to scoring.
type ExtraInput struct {
	Proposed        []score.Proposal
	ResearchSources int
}

func (p *Project) analyse(is *domain.Issue, override *domain.Override) domain.Analysis {
	return p.analyseWith(is, override, ExtraInput{})
}

func (p *Project) analyseWith(is *domain.Issue, override *domain.Override, extra ExtraInput) domain.Analysis {
	a := p.analyseBy(&p.judge, is, override, extra)
	if p.calib != nil {
		p.calib.Apply(&a.Score, p.strategy.Weights)
	}
	if cfg := p.strategy.Framework; framework.Active(cfg) {
		fs := frameworkScore(cfg, is, &a)
		a.Score.Total = p.norm.Percentile(fs.Raw)
		if p.norm == nil {
			fs.Normalisation = "Provisional: the backlog is being ranked."
		} else {
			fs.Normalisation = p.norm.Basis(fs.Raw)
		}
		a.Score.Framework = &fs
	}
	if t, ok := p.rankedTotals[is.Key]; is.Open() && (!ok || t != a.Score.Total) {
		p.sinceRank.Add(1)
	}
	forced := ""
	if duplicateOf(is) == "" { // the work is tracked on the other issue
		forced = score.ForcedMust(is, p.now())
	}
	if p.strategy.Mode == domain.MoscowThresholds {
		// The scorer classed the uncalibrated total: class the total shown
		// (an epic's, the mean of its children's, as Rank does).
		kids := p.openChildTotals(is)
		if len(kids) > 0 {
			a.Score.Total = meanChild(kids)
		}
		score.ClassifyThresholds(&a.Score, p.strategy)
		if len(kids) > 0 {
			a.Score.ClassBasis = epicBasis(kids, func(k string) domain.Moscow {
				if score.ForcedMust(p.issues[k], p.now()) != "" {
					return domain.MoscowMust
				}
				return score.Classify(p.rankedTotals[k], p.strategy)
			})
		}
	} else {
		// Between rankings, an issue is classed by the last ranking's
		// bounds; before the first one, provisionally by thresholds.
		if p.cutoffs != nil {
			if kids := p.openChildTotals(is); len(kids) > 0 {
				a.Score.Total = meanChild(kids)
			}
			a.Score.Computed = score.ClassifyCutoffs(a.Score.Total, *p.cutoffs)
			a.Score.ClassBasis = score.CutoffBasis(a.Score.Total, *p.cutoffs)
			if p.strategy.Mode == domain.MoscowRelative {
				a.Score.ClassBasis = score.ShareBasis(a.Score.Total, *p.cutoffs, score.Shares(p.strategy))
			}
			if kids := p.openChildTotals(is); len(kids) > 0 {
				a.Score.ClassBasis = epicBasis(kids, func(k string) domain.Moscow {
					if score.ForcedMust(p.issues[k], p.now()) != "" {
						return domain.MoscowMust
					}
					return score.ClassifyCutoffs(p.rankedTotals[k], *p.cutoffs)
				})
			}
		} else {
			a.Score.ClassBasis = "Provisional: the backlog is being ranked."
		}
		score.ApplyOverride(&a.Score, a.Score.Override)
	}
	if forced != "" {
		// As Rank does: Must, listed among the last ranking's Musts.
		score.Force(&a.Score, forced)
		switch {
		case p.strategy.Mode == domain.MoscowThresholds:
			score.Lift(&a.Score, score.Thresholds(p.strategy)[0], "the Must threshold")
		case p.cutoffs != nil:
			score.Lift(&a.Score, p.mustBound, "this backlog's lowest Must score")
		}
	}
	if of := duplicateOf(is); of != "" {
		classDuplicate(&a.Score, of)
	}
	if !is.Open() {
		a.Score.ClassBasis, a.Score.Resolved = "Resolved: done issues are not ranked.", true
	}
	return a
}

// analyseBy analyses an issue under j, which may differ from the
// project's own (the Strategy tab's preview).
func (p *Project) analyseBy(j *judge, is *domain.Issue, override *domain.Override, extra ExtraInput) domain.Analysis {
	now := p.now()
	a := domain.Analysis{IssueKey: is.Key, Flags: []string{}}
	a.Check = checks.Check(is, j.checkOpts)

	a.Duplicates = p.duplicates(is)
	if a.Duplicates == nil {
		a.Duplicates = []domain.Candidate{}
	}
	// An issue already linked to this one (as its duplicate, or its split
	// parts, or any relation) is known to the team: not flagged again.
	if of := duplicateOf(is); of != "" {
		// The team linked it as the duplicate: the link answers the
		// near-duplicate warning but must not promote it.
		checks.Add(&a.Check, checks.LinkedDuplicateFinding(of), j.checkOpts)
		a.Flags = append(a.Flags, domain.FlagDuplicate)
	} else if i := slices.IndexFunc(a.Duplicates, func(c domain.Candidate) bool { return c.Near && !linkedTo(is, c.Key) }); i >= 0 {
		checks.Add(&a.Check, checks.UniqueFinding(a.Duplicates[i].Key, a.Duplicates[i].Similarity), j.checkOpts)
		a.Flags = append(a.Flags, domain.FlagDuplicate)
	}

	if is.Type != domain.TypeEpic {
		a.Estimate = p.estimate(is)
		// A story the checks cannot size (INVEST E fails) gets no number:
		// similar words do not make an unclear story estimable.
		if a.Estimate.Method == estimate.MethodNeighbours && a.Check.Letters["E"] == "fail" {
			a.Estimate = domain.Estimate{Method: estimate.MethodInsufficient, Reason: "the story is too unclear to size; see the Estimable check"}
		}
	} else {
		// Not "no history": an epic is the sum of its children's work.
		a.Estimate = domain.Estimate{Method: estimate.MethodNone, Reason: EpicEstimateReason}
	}

	in := score.Input{Issue: is, Quality: a.Check.Quality, Override: override,
		Proposed: extra.Proposed, ResearchSources: extra.ResearchSources}
	if a.Check.Story != nil {
		in.Persona = a.Check.Story.Role
	}
	for _, l := range []string{"I", "N", "V", "E", "S", "T"} {
		if a.Check.Letters[l] == domain.LetterFail {
			in.FailingLetters = append(in.FailingLetters, l)
		}
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
	a.Score = j.scorer.Score(in, now).Score

	if vague(a.Check.Findings) {
		a.Flags = append(a.Flags, domain.FlagVague)
	}
	staleDays := j.strategy.StaleDays
	if staleDays <= 0 {
		staleDays = 90
	}
	if is.Open() && !is.Updated.IsZero() && now.Sub(is.Updated) > time.Duration(staleDays)*24*time.Hour {
		a.Flags = append(a.Flags, domain.FlagStale)
	}
	split := j.strategy.SplitThreshold
	if split <= 0 {
		split = 8
	}
	if pts, ok := points(is, a.Estimate); ok && pts > split {
		a.Flags = append(a.Flags, domain.FlagTooBig)
	}
	return a
}

type memoEntry struct {
	version    uint64
	duplicates []domain.Candidate
	estimate   *domain.Estimate
}

// memoized returns is's memo entry at the current version; ok is false for
// an issue that is not the model's own (a draft), which is never memoized.
// Callers hold p.mu (read).
func (p *Project) memoized(is *domain.Issue) (memoEntry, bool, bool) {
	if p.issues[is.Key] != is {
		return memoEntry{}, false, false
	}
	p.memoMu.Lock()
	defer p.memoMu.Unlock()
	e, ok := p.memo[is.Key]
	return e, ok && e.version == p.version, true
}

func (p *Project) remember(key string, f func(*memoEntry)) {
	p.memoMu.Lock()
	defer p.memoMu.Unlock()
	if p.memo == nil {
		p.memo = map[string]memoEntry{}
	}
	e := p.memo[key]
	if e.version != p.version {
		e = memoEntry{version: p.version}
	}
	f(&e)
	p.memo[key] = e
}

// duplicates queries the index for is, through the memo.
func (p *Project) duplicates(is *domain.Issue) []domain.Candidate {
	e, fresh, own := p.memoized(is)
	if fresh && e.duplicates != nil {
		return slices.Clone(e.duplicates)
	}
	d := p.index.QueryExcluding(*is, DuplicateCandidates, func(key string) bool { return p.related(is, key) || p.otherGrain(is, key) })
	// Only candidates in a band (related or likely duplicate) are worth a
	// person's look; below it the match rests on a word or two.
	d = slices.DeleteFunc(d, func(c domain.Candidate) bool { return c.Band == "" })
	if own {
		p.remember(is.Key, func(e *memoEntry) { e.duplicates = slices.Clone(d) })
	}
	return d
}

// estimate asks the estimator for is, through the memo.
func (p *Project) estimate(is *domain.Issue) domain.Estimate {
	e, fresh, own := p.memoized(is)
	if fresh && e.estimate != nil {
		est := *e.estimate
		est.Neighbours = slices.Clone(est.Neighbours)
		return est
	}
	est := p.est.Estimate(is)
	if own {
		c := est
		c.Neighbours = slices.Clone(est.Neighbours)
		p.remember(is.Key, func(e *memoEntry) { e.estimate = &c })
	}
	return est
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

// relate adds (n = 1) or removes (n = -1) the relations is records: its
// parent, its epic and its links, each in both directions.
func (p *Project) relate(is *domain.Issue, n int) {
	add := func(a, b string) {
		if a == "" || b == "" || a == b {
			return
		}
		m := p.rel[a]
		if m == nil {
			m = make(map[string]int)
			p.rel[a] = m
		}
		if m[b] += n; m[b] <= 0 {
			delete(m, b)
			if len(m) == 0 {
				delete(p.rel, a)
			}
		}
	}
	for _, other := range relatives(is) {
		add(is.Key, other)
		add(other, is.Key)
	}
}

func relatives(is *domain.Issue) []string {
	out := make([]string, 0, 2+len(is.Links))
	out = append(out, is.ParentKey, is.EpicKey)
	for _, l := range is.Links {
		out = append(out, l.OtherKey)
	}
	return out
}

// related reports whether other must not be proposed as a duplicate of is:
// it is is's parent, sub-task, epic or epic child (sub-tasks of children
// included), a sub-task of the same parent, or linked to is in either
// direction (a story split from another
// is linked to it). These are known relations, not discoveries. is may be a
// draft that is not in the model, so its own fields are read too.
func (p *Project) related(is *domain.Issue, other string) bool {
	if p.rel[is.Key][other] > 0 {
		return true
	}
	for _, k := range relatives(is) {
		if k == other {
			return true
		}
	}
	if o, ok := p.issues[other]; ok {
		if is.ParentKey != "" && o.ParentKey == is.ParentKey {
			return true
		}
		if is.Key != "" && (o.ParentKey == is.Key || o.EpicKey == is.Key) {
			return true
		}
		// An epic and the sub-tasks of its children.
		if op, ok := p.issues[o.ParentKey]; ok && is.Key != "" && op.EpicKey == is.Key {
			return true
		}
	}
	if ip, ok := p.issues[is.ParentKey]; ok && ip.EpicKey != "" && ip.EpicKey == other {
		return true
	}
	return false
}

// otherGrain reports whether other is an epic and is not, or the reverse:
// an epic and a story or bug differ in size, so neither duplicates the
// other (epics may still duplicate epics).
func (p *Project) otherGrain(is *domain.Issue, other string) bool {
	o, ok := p.issues[other]
	return ok && (o.Type == domain.TypeEpic) != (is.Type == domain.TypeEpic)
}

// duplicateOf returns the key of the issue is is linked as a duplicate of
// (its "duplicates X" link), or "".
func duplicateOf(is *domain.Issue) string {
	for _, l := range is.Links {
		if l.Kind == domain.LinkDuplicates && l.OtherKey != "" {
			return l.OtherKey
		}
	}
	return ""
}

// classDuplicate classes an issue linked as a duplicate Won't, whatever its
// score: it is to be closed or merged, not scheduled. A person's override
// still wins.
func classDuplicate(s *domain.Score, of string) {
	s.Computed = domain.MoscowWont
	s.ClassBasis = fmt.Sprintf("Linked as a duplicate of %s: close or merge it.", of)
	score.ApplyOverride(s, s.Override)
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
		// Only warnings mark an issue vague: a vague-word hint lowers
		// nothing, so it must not flag a story the checks pass.
		// A vague word in an acceptance criterion is such a warning.
		if (f.Criterion == "unambiguous" || f.Code == checks.CodeUnmeasurable) && f.Source == "rule" && f.Severity != domain.SeverityInfo && !f.Hint {
			return true
		}
	}
	return false
}

// Rank classifies a backlog's open issues together (capacity mode needs
// the whole ranking) and updates each analysis's class in place. It
// returns the summary the Strategy and Health tabs show.
func (p *Project) Rank(analyses []*domain.Analysis) score.Summary {
	p.mu.Lock()
	defer p.mu.Unlock()
	sum, calib, norm, totals := p.rankLocked(p.strategy, analyses)
	p.calib, p.rankedOnce, p.norm = calib, true, norm
	if sum.Mode != domain.MoscowThresholds {
		c := sum.Cutoffs
		p.cutoffs, p.mustBound = &c, sum.MustBound
	}
	p.rankedTotals = totals
	p.sinceRank.Store(0)
	return sum
}

// rankLocked calibrates the pillars of analyses against the open backlog
// (see score.Calibration), then ranks and classifies it. totals are the
// open issues' totals as ranked, before a forced Must's lift: what a later
// analysis of an unchanged issue computes before applying the rule, and
// what an epic's mean is taken of.
func (p *Project) rankLocked(strategy domain.Strategy, analyses []*domain.Analysis) (sum score.Summary, calib *score.Calibration, norm *framework.Normaliser, totals map[string]float64) {
	var velocity float64
	if strategy.Mode == domain.MoscowCapacity && !(strategy.Capacity > 0) {
		velocity = p.velocity()
		sprints := strategy.CapacitySprints
		if sprints <= 0 {
			sprints = 3
		}
		strategy.Capacity = velocity * float64(sprints)
	}
	samples := make([]score.Sample, 0, len(analyses))
	for _, a := range analyses {
		if is, ok := p.issues[a.IssueKey]; ok && is.Open() && is.Type != domain.TypeSubtask {
			samples = append(samples, score.SampleOf(a.Score))
		}
	}
	calib = score.NewCalibration(samples)
	for _, a := range analyses {
		calib.Apply(&a.Score, strategy.Weights)
	}
	norm = p.applyFramework(strategy.Framework, analyses)
	totals = make(map[string]float64, len(analyses))
	// An epic with open children stands for them: it takes the mean of
	// their totals (the backlog row's roll-up shows the same mean), so its
	// class sits among theirs instead of contradicting them. It keeps its
	// place in the ranking (the backlog lists epics).
	kids := map[string][]childTotal{}
	for _, a := range analyses {
		if is, ok := p.issues[a.IssueKey]; ok && isEpicChild(is) {
			kids[is.EpicKey] = append(kids[is.EpicKey], childTotal{key: a.IssueKey, total: a.Score.Total})
		}
	}
	items := make([]score.Result, 0, len(analyses))
	byKey := make(map[string]*domain.Analysis, len(analyses))
	var linkedDupes []*domain.Analysis
	now := p.now()
	for _, a := range analyses {
		is, ok := p.issues[a.IssueKey]
		if !ok || !is.Open() {
			continue
		}
		totals[a.IssueKey] = a.Score.Total
		// An issue linked as a duplicate takes no share of the ranking
		// (and is not forced Must: the work is tracked on the other issue).
		if duplicateOf(is) != "" {
			linkedDupes = append(linkedDupes, a)
			continue
		}
		// A sub-task is part of its parent's work: it follows the
		// ranking instead of taking a share of it.
		r := score.Result{Key: a.IssueKey, Score: a.Score, Follows: is.Type == domain.TypeSubtask, Forced: score.ForcedMust(is, now)}
		if k := kids[a.IssueKey]; is.Type == domain.TypeEpic && len(k) > 0 {
			r.Score.Total = meanChild(k)
			totals[a.IssueKey] = r.Score.Total
		}
		if pts, ok := points(is, a.Estimate); ok {
			r.Points, r.PointsSource = pts, "issue"
			if is.StoryPoints == nil {
				r.PointsSource = "suggestion"
			}
		}
		items = append(items, r)
		byKey[a.IssueKey] = a
	}
	sum = score.Rank(items, strategy)
	sum.Velocity = velocity
	class := make(map[string]domain.Moscow, len(items))
	for _, r := range items {
		class[r.Key] = r.Score.Moscow
	}
	for i, r := range items {
		if k := kids[r.Key]; len(k) > 0 && p.issues[r.Key].Type == domain.TypeEpic {
			items[i].Score.ClassBasis = epicBasis(k, func(key string) domain.Moscow { return class[key] })
		}
	}
	for _, r := range items {
		byKey[r.Key].Score = r.Score
	}
	// The order of score.Summary's per-class arrays.
	classOrder := []domain.Moscow{domain.MoscowMust, domain.MoscowShould, domain.MoscowCould, domain.MoscowWont}
	for _, a := range linkedDupes {
		is := p.issues[a.IssueKey]
		classDuplicate(&a.Score, duplicateOf(is))
		// Counted in their effective class, as the backlog filters them.
		if c := slices.Index(classOrder, a.Score.Moscow); c >= 0 && is.Type != domain.TypeSubtask {
			sum.Count[c]++
			if pts, ok := points(is, a.Estimate); ok {
				sum.Points[c] += pts
			}
		}
	}
	return sum, calib, norm, totals
}

// applyFramework replaces the pillar totals of the open analyses by their
// rank percentile under the active framework (see package framework); it
// returns nil when the pillars are the model. Callers hold p.mu.
func (p *Project) applyFramework(cfg *domain.FrameworkConfig, analyses []*domain.Analysis) *framework.Normaliser {
	if !framework.Active(cfg) {
		return nil
	}
	scores := make([]domain.FrameworkScore, len(analyses))
	raws := make([]float64, 0, len(analyses))
	for i, a := range analyses {
		is, ok := p.issues[a.IssueKey]
		if !ok || !is.Open() {
			continue
		}
		scores[i] = frameworkScore(cfg, is, a)
		if is.Type != domain.TypeSubtask {
			raws = append(raws, scores[i].Raw)
		}
	}
	norm := framework.NewNormaliser(raws)
	for i, a := range analyses {
		if scores[i].Name == "" {
			continue
		}
		fs := scores[i]
		fs.Normalisation = norm.Basis(fs.Raw)
		a.Score.Total = norm.Percentile(fs.Raw)
		a.Score.Framework = &fs
	}
	return norm
}

// frameworkScore scores an analysed issue under cfg, with its calibrated
// pillars standing in for missing inputs.
func frameworkScore(cfg *domain.FrameworkConfig, is *domain.Issue, a *domain.Analysis) domain.FrameworkScore {
	f := framework.Facts{Urgency: a.Score.UrgencyBonus, Quality: a.Check.Quality}
	for _, ps := range a.Score.Pillars {
		for k, n := range domain.Pillars {
			if ps.Name == n {
				f.Pillars[k] = ps.Value
			}
		}
	}
	f.Points, f.HasPoints = points(is, a.Estimate)
	values, sources := framework.InputsOf(cfg, is.Inputs, is.FieldValues)
	return framework.Compute(cfg, values, sources, f)
}

// childTotal is an open epic child's total.
type childTotal struct {
	key   string
	total float64
}

// isEpicChild reports whether is counts for its epic's score: an open
// issue of the epic that is neither a sub-task nor an epic.
func isEpicChild(is *domain.Issue) bool {
	return is.Open() && is.EpicKey != "" && is.Type != domain.TypeSubtask && is.Type != domain.TypeEpic
}

func meanChild(kids []childTotal) float64 {
	var sum float64
	for _, k := range kids {
		sum += k.total
	}
	return sum / float64(len(kids))
}

// openChildTotals returns the last ranked totals of an epic's open
// children (nil for other issues). Callers hold p.mu (read).
func (p *Project) openChildTotals(is *domain.Issue) []childTotal {
	if is.Type != domain.TypeEpic || !is.Open() {
		return nil
	}
	var out []childTotal
	for _, k := range slices.Sorted(maps.Keys(p.rel[is.Key])) { // a fixed order: the mean is summed the same way each time
		c, ok := p.issues[k]
		t, ranked := p.rankedTotals[k]
		if ok && ranked && c.EpicKey == is.Key && isEpicChild(c) {
			out = append(out, childTotal{key: k, total: t})
		}
	}
	return out
}

// epicBasis explains an epic's class from its open children: "From its 6
// open children (1 Must, 3 Should, 2 Could): an epic takes their mean
// score, 63."
func epicBasis(kids []childTotal, classOf func(key string) domain.Moscow) string {
	var n [4]int
	for _, k := range kids {
		switch classOf(k.key) {
		case domain.MoscowMust:
			n[0]++
		case domain.MoscowShould:
			n[1]++
		case domain.MoscowCould:
			n[2]++
		default:
			n[3]++
		}
	}
	var parts []string
	for i, m := range []domain.Moscow{domain.MoscowMust, domain.MoscowShould, domain.MoscowCould, domain.MoscowWont} {
		if n[i] > 0 {
			parts = append(parts, strconv.Itoa(n[i])+" "+string(m))
		}
	}
	noun := " open children"
	if len(kids) == 1 {
		noun = " open child"
	}
	return "From its " + strconv.Itoa(len(kids)) + noun + " (" + strings.Join(parts, ", ") + "): an epic takes their mean score, " +
		strconv.Itoa(int(math.Floor(meanChild(kids)))) + "."
}

// Velocity windows: points resolved per two-week sprint, averaged over the
// last six (a quarter: long enough to smooth a holiday, short enough to
// follow a changing team).
const (
	velocityWindow  = 14 * 24 * time.Hour
	velocityWindows = 6
)

// velocity is the team's story points done per two-week sprint over the
// last velocityWindows sprints, from done issues with story points a
// person set (their last update stands for the resolution date, which the
// snapshot does not carry). It is 0 when fewer than two sprints had any.
func (p *Project) velocity() float64 {
	now := p.now()
	var sum float64
	var active [velocityWindows]bool
	for _, is := range p.issues {
		if is.Open() || is.StoryPoints == nil || !(*is.StoryPoints > 0) || is.Updated.IsZero() {
			continue
		}
		age := now.Sub(is.Updated)
		w := int(age / velocityWindow)
		if age < 0 || w >= velocityWindows {
			continue
		}
		sum += *is.StoryPoints
		active[w] = true
	}
	n := 0
	for _, a := range active {
		if a {
			n++
		}
	}
	if n < 2 {
		return 0
	}
	return math.Round(10*sum/velocityWindows) / 10
}

// Velocity is the team's measured story points per two-week sprint (0
// when the history does not show one).
func (p *Project) Velocity() float64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.velocity()
}

// Preview analyses and ranks the open issues under strategy s exactly as
// a rescore after saving s would, without changing the project. The
// analyses come back in rank order.
func (p *Project) Preview(s domain.Strategy, overrides map[string]domain.Override) ([]domain.Analysis, score.Summary) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	j := newJudge(s)
	keys := make([]string, 0, len(p.issues))
	for k, is := range p.issues {
		if is.Open() {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	all := make([]domain.Analysis, len(keys))
	ptrs := make([]*domain.Analysis, len(keys))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(keys); i = int(next.Add(1)) - 1 {
				var ov *domain.Override
				if o, ok := overrides[keys[i]]; ok {
					ov = &o
				}
				all[i] = p.analyseBy(&j, p.issues[keys[i]], ov, ExtraInput{})
				ptrs[i] = &all[i]
			}
		})
	}
	wg.Wait()
	sum, _, _, _ := p.rankLocked(s, ptrs)
	slices.SortStableFunc(all, func(a, b domain.Analysis) int {
		if c := cmp.Compare(b.Score.Total, a.Score.Total); c != 0 {
			return c
		}
		return score.CompareKeys(a.IssueKey, b.IssueKey)
	})
	return all, sum
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
	if a.Score.Resolved {
		p.Moscow = string(domain.MoscowDone) // as the glance and backlog show it
	}
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
