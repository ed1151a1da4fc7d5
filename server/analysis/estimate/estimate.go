// Package estimate suggests story points for an issue from the team's own
// estimation history. It is pure: no I/O, no clock, no randomness, and the
// same history and options always give the same estimates.
//
// It learns only from resolved issues with story points (Learnable): the
// team's outcomes, never the app's own suggestions.
//
// The method is a nearest-neighbour vote with shrinkage. Every estimated
// past issue is a TF-IDF vector of its summary (weighted up), description,
// issue type and components. For a new issue the K most cosine-similar past
// issues vote with weight similarity^SimPower × recency, and the team's own
// recent point distribution is mixed in with weight Prior. The estimate is
// a weighted quantile of that mixture (Quantile, 0.45 by default): a
// median minimises the expected absolute error, and because it is taken
// over points the team actually gave, it lands on the team's own scale.
// The quantile sits a little below the median because the vote comes from
// older issues while teams' sizes drift (on the evaluation data, downwards).
// The settings were chosen on validation splits jointly across projects,
// and a leave-one-project-out check picks the same ones (server/eval).
//
// Each estimate carries an 80 % interval and a confidence, both calibrated
// on the team itself: the newest CalibrationSize resolved issues are each
// predicted from the issues before them, and the vote quantiles whose
// interval held 80 % of those true values become the interval's ends; the
// share of estimates within one scale step, by how similar their best past
// issue was, becomes each estimate's confidence. When the evidence is weak (thin history,
// too little text, no similar past issue) the answer is "not enough
// signal" with a reason, not a number.
//
// On the public Deep-SE data the estimate beats the training median on
// every project, by 1-12 % MAE: issue text says little about effort.
package estimate

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/backlogai/backlogai/server/domain"
)

// Methods reported in domain.Estimate.Method.
const (
	MethodNeighbours   = "neighbours"   // a suggestion with an interval
	MethodInsufficient = "insufficient" // not enough signal for a number; Reason says why
	MethodNone         = "none"         // no estimated history at all
)

// Options tune the estimator. Start from DefaultOptions; a zero field takes
// its default, so Options{} behaves like DefaultOptions().
type Options struct {
	// MinHistory is the number of estimated issues below which the model
	// answers with the team's median instead of neighbours.
	MinHistory int
	// K is how many nearest past issues vote.
	K int
	// SimPower sharpens the vote: a neighbour weighs similarity^SimPower.
	SimPower float64
	// MinSimilarity drops neighbours at or below this cosine similarity.
	// Negative means 0.
	MinSimilarity float64
	// Prior is the weight of the team's point distribution in the vote
	// (a neighbour of similarity 1 weighs 1). Higher shrinks harder
	// towards the median. Negative means 0 (no shrinkage).
	Prior float64
	// HalfLife, in estimated issues, halves a neighbour's vote per that
	// many newer estimated issues. Negative disables recency weighting.
	HalfLife float64
	// PriorHalfLife is the same for the prior distribution: teams drift
	// in how they use their scale, and recent estimates show the current
	// habit. Negative disables it.
	PriorHalfLife float64
	// SummaryWeight counts a summary term this many times a description
	// term: summaries are short and say what the work is.
	SummaryWeight float64
	// MaxDescriptionTerms caps the description terms read per issue, so
	// that pasted logs neither dominate the vector nor cost time.
	MaxDescriptionTerms int
	// Evidence is how many neighbours an Estimate reports.
	Evidence int
	// Quantile is the quantile of the vote that becomes the estimate, in
	// (0,1); 0.5 is the weighted median. Out of range means the default.
	Quantile float64
	// MinEvidence: without a past issue more similar than this (cosine),
	// the estimate says "not enough signal". Negative means 0.
	MinEvidence float64
	// MinTerms is the fewest known words an issue needs to be estimated.
	MinTerms int
	// Coverage is the share of true values the interval should hold, in
	// (0,1). Out of range means the default.
	Coverage float64
	// CalibrationSize is how many of the newest estimated issues are
	// predicted from the issues before them to calibrate the interval and
	// the confidence.
	CalibrationSize int
	// Adapt lets each team's calibration issues choose Prior and
	// Quantile from a small grid. Off by default: on the validation splits
	// it generalised worse than the shared setting (usergrid's MAE rose
	// by a third), as ~300 issues are too few to choose by.
	Adapt bool
}

// DefaultOptions returns the settings chosen on the validation splits of
// the Deep-SE projects (trained on train, scored on val; see server/eval).
func DefaultOptions() Options {
	return Options{
		MinHistory:          30,
		K:                   100,
		SimPower:            1,
		MinSimilarity:       0, // any shared term: K and the prior do the filtering
		Prior:               2,
		HalfLife:            1000,
		PriorHalfLife:       50,
		SummaryWeight:       2,
		MaxDescriptionTerms: 1000,
		Evidence:            5,
		Quantile:            0.45,
		MinEvidence:         0.2, // chosen leave-one-project-out (server/eval)
		MinTerms:            2,
		Coverage:            0.8,
		CalibrationSize:     600, // 300 left the coverage ±0.05 noisy on synthetic teams
	}
}

func (o Options) normalised() Options {
	d := DefaultOptions()
	def := func(v *float64, dv float64) {
		switch {
		case *v == 0:
			*v = dv
		case *v < 0:
			*v = 0
		}
	}
	if o.MinHistory <= 0 {
		o.MinHistory = d.MinHistory
	}
	if o.K <= 0 {
		o.K = d.K
	}
	if o.SimPower <= 0 {
		o.SimPower = d.SimPower
	}
	def(&o.MinSimilarity, d.MinSimilarity)
	def(&o.Prior, d.Prior)
	def(&o.HalfLife, d.HalfLife)
	def(&o.PriorHalfLife, d.PriorHalfLife)
	if o.SummaryWeight <= 0 {
		o.SummaryWeight = d.SummaryWeight
	}
	if o.MaxDescriptionTerms <= 0 {
		o.MaxDescriptionTerms = d.MaxDescriptionTerms
	}
	if o.Evidence <= 0 {
		o.Evidence = d.Evidence
	}
	if !(o.Quantile > 0 && o.Quantile < 1) {
		o.Quantile = d.Quantile
	}
	def(&o.MinEvidence, d.MinEvidence)
	if o.MinTerms <= 0 {
		o.MinTerms = d.MinTerms
	}
	if !(o.Coverage > 0 && o.Coverage < 1) {
		o.Coverage = d.Coverage
	}
	if o.CalibrationSize <= 0 {
		o.CalibrationSize = d.CalibrationSize
	}
	return o
}

// Model is a team's estimation history indexed for estimates. Estimate is
// safe for concurrent use, also while Add or Remove run.
type Model struct {
	mu   sync.RWMutex
	opts Options
	idx  index
	// prior is the recency-weighted count of live issues per point value,
	// relative to the newest slot (weight 1); count is the plain count.
	prior map[float64]float64
	count map[float64]int
	// cal is computed on first use and dropped when the history is
	// re-weighted; calMu serialises computing it.
	cal   atomic.Pointer[calibration]
	calMu sync.Mutex
}

// Train builds a model from the issues of history that carry story points
// (others are ignored). History is taken in creation order: if every
// estimated issue has a Created time the issues are stably sorted by it,
// otherwise the given order is kept. A key seen twice keeps its later
// version. Cost: one tokenisation of each issue plus one pass over all
// terms, O(total terms).
func Train(history []domain.Issue, opts Options) *Model {
	m := &Model{opts: opts.normalised(), prior: map[float64]float64{}, count: map[float64]int{}}
	m.idx.init()
	est := make([]*domain.Issue, 0, len(history))
	dated := true
	for i := range history {
		is := &history[i]
		if !estimated(is) {
			continue
		}
		est = append(est, is)
		dated = dated && !is.Created.IsZero()
	}
	if dated {
		slices.SortStableFunc(est, func(a, b *domain.Issue) int { return a.Created.Compare(b.Created) })
	}
	for _, is := range est {
		if old, ok := m.idx.byKey[is.Key]; ok && is.Key != "" {
			m.idx.remove(old)
		}
		m.idx.append(m.idx.newDoc(is, m.opts))
	}
	m.idx.compact()
	m.idx.reweight()
	m.rebuildPrior()
	m.cal.Store(nil)
	return m
}

// Learnable reports whether an issue may teach the model: it is resolved
// and carries story points, and it is not an epic (an epic's points are
// a roll-up, not a size on the team's scale; epics are not estimated
// either). Points on open issues are plans, not outcomes, and the app
// never writes its suggestions into Story Points (drafts are created
// without points), so a resolved issue's points were set by the team.
// Callers feed Train and Add only learnable issues.
func Learnable(is *domain.Issue) bool {
	return !is.Open() && is.Type != domain.TypeEpic && estimated(is)
}

func estimated(is *domain.Issue) bool {
	return is.StoryPoints != nil && finite(*is.StoryPoints)
}

// Len is the number of estimated issues the model holds.
func (m *Model) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.idx.live
}

// Scale returns the point values the team uses, ascending.
func (m *Model) Scale() []float64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.scale()
}

func (m *Model) scale() scale {
	vals := make([]float64, 0, len(m.count))
	for v := range m.count {
		vals = append(vals, v)
	}
	return newScale(vals)
}

// rebuildPrior recomputes the point counts from scratch.
func (m *Model) rebuildPrior() {
	clear(m.prior)
	clear(m.count)
	n := len(m.idx.docs)
	for i := range m.idx.docs {
		d := &m.idx.docs[i]
		if d.dead {
			continue
		}
		m.prior[d.points] += decay(n-1-i, m.opts.PriorHalfLife)
		m.count[d.points]++
	}
}

func (m *Model) countPoints(p float64, w float64, delta int) {
	m.prior[p] += w
	m.count[p] += delta
	if m.count[p] <= 0 {
		delete(m.count, p)
		delete(m.prior, p)
	}
}

// decay is the recency weight of an issue with age newer slots after it.
func decay(age int, halfLife float64) float64 {
	if halfLife <= 0 {
		return 1
	}
	return math.Exp2(-float64(age) / halfLife)
}

// Estimate suggests story points for issue, or says there is not enough
// signal for a number.
//
// With Method "neighbours", Points is a value from the team's scale and
// [Low, High] the interval that held Coverage (Options.Coverage, 0.8 by
// default) of the team's own recent estimates when each was predicted from
// the issues before it (see calibration). Confidence is the calibrated
// chance, measured the same way, that the true points lie at most one
// scale step from Points; Level says it in a word. Neighbours are the
// most similar past issues that voted, most similar first (ties: newer
// first). An issue that is itself in the history (same Key) is not its own
// neighbour, so re-estimating a known issue is a fair leave-one-out.
//
// Method "insufficient" (Points 0, Reason set) answers when the evidence
// is weak: fewer than MinHistory estimated issues, fewer than MinTerms
// known words in the issue, or no past issue more than MinEvidence
// similar. Method "none": no estimated history at all.
func (m *Model) Estimate(issue *domain.Issue) domain.Estimate {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.idx.live == 0 {
		return domain.Estimate{Method: MethodNone}
	}
	if m.idx.live < m.opts.MinHistory {
		return insufficient(fmt.Sprintf("too little history: %d estimated issues, at least %d needed", m.idx.live, m.opts.MinHistory))
	}
	q := m.idx.query(issue, m.opts)
	if q.words < m.opts.MinTerms {
		return insufficient("too little text to compare with past issues")
	}
	sc := m.scale()
	v := m.vote(q, issue.Key, len(m.idx.docs), m.basePrior(sc), sc)
	if v.top <= m.opts.MinEvidence {
		return insufficient(fmt.Sprintf("no similar past issue (best match %.0f%% similar)", 100*v.top))
	}
	cal := m.calibration()
	hist := v.mix(cal.prior)
	mi := quantileIndex(hist, cal.quantile)
	lo, hi := quantileIndex(hist, cal.lo), quantileIndex(hist, cal.hi)
	conf := cal.confidence(v.top, near(hist, mi))
	est := domain.Estimate{Points: sc[mi], Low: sc[min(lo, mi)], High: sc[max(hi, mi)], Coverage: cal.coverage,
		Confidence: conf, Method: MethodNeighbours}
	if cal.n >= minCalibration {
		// Words only for a measured confidence; before that the
		// confidence is the vote's raw agreement.
		est.Level = level(conf)
	}
	ev := v.nb[:min(len(v.nb), m.opts.Evidence)]
	est.Neighbours = make([]domain.Neighbour, len(ev))
	for i, c := range ev {
		d := &m.idx.docs[c.doc]
		est.Neighbours[i] = domain.Neighbour{Key: d.key, Summary: d.summary, Points: d.points, Similarity: c.sim}
	}
	return est
}

func insufficient(reason string) domain.Estimate {
	return domain.Estimate{Method: MethodInsufficient, Reason: reason}
}

// level words the calibrated confidence.
func level(conf float64) string {
	switch {
	case conf >= 0.75:
		return "high"
	case conf >= 0.55:
		return "medium"
	}
	return "low"
}

// evidence is what one estimate rests on: the team's recency-weighted
// point distribution and the neighbours' votes, both over the scale.
type evidence struct {
	base  []float64 // sums to 1
	votes []float64
	top   float64 // best neighbour similarity; 0 without neighbours
	nb    []cand
}

// mix is the vote histogram with the prior weighted in.
func (v *evidence) mix(prior float64) []float64 {
	h := make([]float64, len(v.base))
	for i := range h {
		h[i] = prior*v.base[i] + v.votes[i]
	}
	return h
}

// basePrior is the team's current point distribution over sc, summing to 1.
func (m *Model) basePrior(sc scale) []float64 {
	base := make([]float64, len(sc))
	var total float64
	for _, v := range sc {
		total += m.prior[v]
	}
	for i, v := range sc {
		base[i] = m.prior[v] / total
	}
	return base
}

// vote gathers the neighbours of q among the documents before position
// before; recency counts from the newest of them.
func (m *Model) vote(q query, exclude string, before int, base []float64, sc scale) evidence {
	v := evidence{base: base, votes: make([]float64, len(sc))}
	v.nb = m.idx.nearest(q, exclude, m.opts.K, m.opts.MinSimilarity, before)
	for _, c := range v.nb {
		d := &m.idx.docs[c.doc]
		v.votes[sc.index(d.points)] += math.Pow(c.sim, m.opts.SimPower) * decay(before-1-int(c.doc), m.opts.HalfLife)
		v.top = max(v.top, c.sim)
	}
	return v
}

// near is the share of the histogram's weight within one scale step of i.
func near(hist []float64, i int) float64 {
	var tot, in float64
	for j, w := range hist {
		tot += w
		if j >= i-1 && j <= i+1 {
			in += w
		}
	}
	if tot <= 0 {
		return 0
	}
	return min(1, max(0, in/tot))
}

// Add inserts or updates one issue as a webhook delivers it: a new key is
// appended as the newest estimate, a known key is replaced in place (it
// keeps its place in time), and an issue without story points is removed.
// Cost is O(terms of the issue + postings of those terms). Between full
// weightings the IDF table is frozen; once the history has grown or shrunk
// by a tenth since the last one, Add re-weights everything in O(total
// terms) (no re-tokenising), so Add stays amortised cheap and estimates
// stay within rounding of a retrain.
func (m *Model) Add(issue *domain.Issue) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, known := m.idx.byKey[issue.Key]
	known = known && issue.Key != ""
	if !estimated(issue) {
		if known {
			m.removeAt(old)
		}
		return
	}
	d := m.idx.newDoc(issue, m.opts)
	n := len(m.idx.docs)
	if known {
		w := decay(n-1-old, m.opts.PriorHalfLife)
		m.countPoints(m.idx.docs[old].points, -w, -1)
		m.idx.replace(old, d)
		m.countPoints(d.points, w, 1)
	} else {
		f := decay(1, m.opts.PriorHalfLife)
		for v := range m.prior {
			m.prior[v] *= f
		}
		m.idx.append(d)
		m.countPoints(d.points, 1, 1)
	}
	m.maybeReweight()
}

// Remove deletes the issue with key from the history (the issue was
// deleted in Jira). It reports whether the key was known.
func (m *Model) Remove(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.idx.byKey[key]
	if !ok || key == "" {
		return false
	}
	m.removeAt(i)
	return true
}

func (m *Model) removeAt(i int) {
	n := len(m.idx.docs)
	m.countPoints(m.idx.docs[i].points, -decay(n-1-i, m.opts.PriorHalfLife), -1)
	m.idx.remove(i)
	m.maybeReweight()
}

// maybeReweight refreshes IDF once the live count has moved by a tenth.
func (m *Model) maybeReweight() {
	a, b := m.idx.live, m.idx.weightedAt
	if 10*max(a-b, b-a) >= max(b, 10) {
		m.idx.compact()
		m.idx.reweight()
		m.rebuildPrior()
		m.cal.Store(nil)
	}
}
