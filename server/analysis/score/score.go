// Package score prioritises issues: five pillars of 0-10, a weighted total of
// 0-100 with a bounded urgency bonus, a MoSCoW class (by share of the ranked
// backlog, the default; fixed thresholds; or DSDM capacity mode, from a
// capacity or the team's measured velocity; a person's override always
// wins) and plain-sentence explanations, all without an LLM. It is pure: no
// I/O, and the clock is a parameter.
//
// Raw pillar values are calibrated within the project when the backlog is
// ranked (see Calibration), anchored at 5 for no evidence: a value above
// (below) its baseline becomes its percentile among the open issues above
// (below) theirs, on 5-10 (0-5), so that sparse signals do not squeeze
// every total around 50 and no evidence never reads as low value.
//
// # Pillars
//
// Each pillar starts at a neutral baseline and every signal adds a bounded,
// saturating Delta (kept as Evidence); the sum is clamped to [0, 10].
// Counts saturate logarithmically, sat(n, cap, full) = cap·min(1,
// ln(1+n)/ln(1+full)), or geometrically, geo(n, cap) = cap·(1−2⁻ⁿ), so no
// single signal can carry a pillar.
//
//   - User Value, baseline 3: votes sat(·,3,50); watchers sat(·,1.5,30);
//     linked customer requests sat(·,2.5,10); people words ("users",
//     "everyone") +0.5; distinct pain words geo(·,1.5); a named persona +1
//     (a generic "user" role +0.3). Bugs, tasks and sub-tasks are valued
//     on their harm instead of a persona (see severity.go): the strongest
//     severity named, security +3.5, data integrity +3, crash or outage
//     +2.5 (+0.5 for a second class); Jira priority Highest +3, High +2,
//     Low −1, Lowest −2; overdue (priority Medium or above) +1. A security
//     or data-integrity defect also adds +1.5 to Commercial Impact and to
//     Strategic Horizon (business risk, trust in the product).
//   - Commercial Impact, baseline 3: labels or components listed in
//     Strategy.CommercialLabels +2.5, +0.5 per further one, at most +3.5;
//     priority Highest/Blocker/Critical +2.5, High/Major +1.5, Low/Minor −1,
//     Lowest/Trivial −2; distinct customer/deal words geo(·,2.5).
//   - Strategic Horizon, baseline 2 (5 when the strategy has no vision or
//     objectives, as there is nothing to compare with): best cosine
//     similarity s to the vision or an objective adds 6·min(1, s/0.4) when
//     s ≥ 0.05; being in an epic +0.5; the epic's own summary matching the
//     strategy adds 2·min(1, s/0.4).
//   - Competitive Positioning, baseline 4: competitors named +1.5, +0.5 per
//     further one, at most +2.5 (not when the text frames them as catch-up);
//     distinct differentiator words geo(·,3);
//     catch-up words ("parity", "like Trello has") −geo(·,2); research sources
//     cited geo(·,1.5).
//   - Technical Reality, baseline 5 (higher is cheaper and readier): story
//     points p add clamp(2 − 1.25·log₂ max(p, 0.5), −3.5, 2.5), scaled by
//     (1+confidence)/2 for a suggested estimate; above the split threshold
//     −1; no estimate at all −0.5 (not for epics, sized by their children); open blockers −geo(n,3); dependency words
//     −0.75 (only without an open blocker, which they usually describe);
//     INVEST quality q adds clamp((q−60)/20, −3, 2), but no bonus while an
//     INVEST letter fails.
//
// Draft pillar proposals (generated stories) are averaged with the
// deterministic value. Text signals read at most MaxTextBytes of the summary
// and of the description.
//
// # Total
//
// Base = 10·Σwᵢpᵢ/Σwᵢ with the strategy's weights (negative weights count as
// 0; all zero means equal weights). Urgency on open issues adds at most
// MaxUrgencyBonus: due date (overdue or ≤7 days +3, ≤14 +2, ≤30 +1), open
// issues it blocks geo(n,2), fix version release (past or ≤14 days +1.5,
// ≤30 +0.75), recent comments sat(·,1,10), ≥3 votes on an issue updated in
// the last 14 days +0.5. Total = clamp(Base+bonus, 0, 100). The one
// exception to the cap: a forced Must (ForcedMust, an overdue issue of
// High priority or above) is raised to just above the ranking's lowest
// Must total, and the raise is added to its bonus as urgency evidence.
package score

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// MaxUrgencyBonus caps the points urgency adds to a total.
const MaxUrgencyBonus = 5.0

// Input is everything scoring needs about one issue beyond the issue itself.
type Input struct {
	Issue *domain.Issue // nil scores as an empty issue
	// Quality is the 0-100 INVEST quality from the checks. Set it to -1
	// when the checks did not run (Technical Reality then ignores it): the
	// zero value means the worst quality.
	Quality int
	// FailingLetters are the INVEST letters whose checks fail ("T"): a
	// story with one earns no bonus for its quality, however high.
	FailingLetters []string
	// Persona is the story's role as the checks parsed it ("finance admin");
	// empty means the scorer looks for "As a …, I …" in the text itself.
	Persona string
	// Estimate is the story point suggestion, used when the issue has no
	// story points of its own. Nil or Method "none" means none.
	Estimate *domain.Estimate
	// CustomerRequests counts linked customer requests (for example Jira
	// Service Management issues): the link itself does not tell.
	CustomerRequests int
	// EpicSummary is the parent epic's summary, if known, for epic alignment.
	EpicSummary string
	// ResearchSources counts research sources cited for a generated story.
	ResearchSources int
	// Proposed are a draft's per-pillar proposals (generated stories).
	Proposed []Proposal
	// Override is a person's class; it wins over the computed one.
	Override *domain.Override
}

// Proposal is an LLM-proposed pillar value with its reason.
type Proposal struct {
	Pillar domain.PillarName
	Value  float64 // 0-10
	Reason string
}

// Result is one issue's score with what capacity planning needs.
type Result struct {
	Key   string       `json:"key"`
	Score domain.Score `json:"score"`
	// Points is the effort capacity mode counts: the issue's story points,
	// else the estimate suggestion; PointsSource says which ("issue",
	// "suggestion"), or is "" when the issue has neither (Rank then counts
	// the backlog's median and sets "median").
	Points       float64 `json:"points"`
	PointsSource string  `json:"pointsSource,omitempty"`
	// Follows marks an item that is classified by the ranking's cutoffs
	// without taking a share or capacity itself (a sub-task: its parent
	// is the unit the backlog ranks).
	Follows bool `json:"-"`
	// Forced is why the item is Must whatever its rank (see ForcedMust),
	// or "". Rank gives it the first Must place (relative) or the first
	// Must points (capacity) and lifts its total to the Must bound.
	Forced string `json:"-"`
}

// Scorer scores issues against one strategy. Build it once per strategy
// (it indexes the vision and objectives); it is safe for concurrent use.
type Scorer struct {
	strategy    domain.Strategy
	weights     [5]float64
	sim         *simIndex
	competitors []competitor
	compFirst   map[string][]int
	// compFirstByte filters tokens before the compFirst lookup.
	compFirstByte [256]bool
	// tokenBufs recycles token slices (*[]string) across calls.
	tokenBufs sync.Pool
}

type competitor struct {
	name  string
	words []string
}

// NewScorer prepares a scorer for s.
func NewScorer(s domain.Strategy) *Scorer {
	s.CommercialLabels = slices.Clone(s.CommercialLabels)
	sc := &Scorer{
		strategy:  s,
		weights:   EffectiveWeights(s.Weights),
		sim:       newSimIndex(s.Vision, s.Objectives),
		compFirst: map[string][]int{},
	}
	for _, name := range s.Competitors {
		words := appendTokens(nil, name)
		if len(words) == 0 {
			continue
		}
		sc.compFirst[words[0]] = append(sc.compFirst[words[0]], len(sc.competitors))
		sc.compFirstByte[words[0][0]] = true
		sc.competitors = append(sc.competitors, competitor{name: strings.TrimSpace(name), words: words})
	}
	return sc
}

// Score scores one issue against s at now. Scoring many issues, build a
// Scorer once instead. In capacity mode the class it assigns is provisional
// (by thresholds): only Rank over the whole backlog can fill capacity.
func Score(in Input, s domain.Strategy, now time.Time) Result {
	return NewScorer(s).Score(in, now)
}

// Score scores one issue at now.
func (sc *Scorer) Score(in Input, now time.Time) Result {
	iss := in.Issue
	if iss == nil {
		iss = &domain.Issue{}
	}
	var acc simAcc
	acc.init(sc.sim)
	tb, _ := sc.tokenBufs.Get().(*[]string)
	if tb == nil {
		tb = new([]string)
	}
	sig := sc.signals(iss, in, &acc, *tb)
	buf := make([]domain.Evidence, 0, 20)
	pillars := make([]domain.PillarScore, 0, len(domain.Pillars))
	pillars = append(pillars,
		sc.userValue(&buf, iss, in, &sig, now),
		sc.commercial(&buf, iss, &sig),
		sc.strategic(&buf, iss, in, acc.best(), &sig),
		sc.competitive(&buf, in, &sig),
		sc.technical(&buf, iss, in, &sig),
	)
	for i := range pillars {
		applyProposal(&pillars[i], in.Proposed)
		pillars[i].Weight = sc.weights[i]
	}
	clear(sig.tokens) // let the issue's text go before recycling the buffer
	*tb = sig.tokens[:0]
	sc.tokenBufs.Put(tb)
	urgency, bonus := urgency(iss, now)

	s := domain.Score{Pillars: pillars, UrgencyBonus: bonus, Urgency: urgency}
	s.Total = total(Base(pillars, sc.weights), bonus)
	s.Computed = Classify(s.Total, sc.strategy)
	s.ClassBasis = thresholdBasis(s.Total, s.Computed, Thresholds(sc.strategy))
	s.Moscow = s.Computed
	ApplyOverride(&s, in.Override)
	s.WhyNow = whyNow(iss, urgency)
	s.WhyThis = whyThis(pillars)
	s.WhyUs = whyUs(pillars, sc.sim.empty())

	r := Result{Key: iss.Key, Score: s}
	switch {
	case ownPoints(iss):
		r.Points, r.PointsSource = *iss.StoryPoints, "issue"
	case usableEstimate(in.Estimate):
		r.Points, r.PointsSource = in.Estimate.Points, "suggestion"
	}
	return r
}

// ownPoints reports whether the issue carries usable story points.
func ownPoints(iss *domain.Issue) bool {
	return iss.StoryPoints != nil && *iss.StoryPoints >= 0 && !math.IsInf(*iss.StoryPoints, 0)
}

func usableEstimate(e *domain.Estimate) bool {
	return e != nil && e.Method != "none" && e.Points > 0 && !math.IsInf(e.Points, 0)
}

// EffectiveWeights returns the weights scoring uses: negative or non-finite
// weights count as 0, and if none is positive all five count equally.
func EffectiveWeights(w [5]float64) [5]float64 {
	var out [5]float64
	positive := false
	for i, v := range w {
		if v > 0 && !math.IsInf(v, 0) {
			out[i] = v
			positive = true
		}
	}
	if !positive {
		return [5]float64{1, 1, 1, 1, 1}
	}
	return out
}

// Base is 10·Σwᵢpᵢ/Σwᵢ over the pillars (matched by name, so stored pillars
// in any order work) with the weights in domain.Pillars order, after
// EffectiveWeights. Missing pillars count as 0.
func Base(pillars []domain.PillarScore, weights [5]float64) float64 {
	w := EffectiveWeights(weights)
	var v [5]float64
	for _, p := range pillars {
		if i := pillarIndex(p.Name); i >= 0 {
			v[i] = p.Value
		}
	}
	var num, den float64
	for i := range w {
		num += w[i] * v[i]
		den += w[i]
	}
	return 10 * num / den
}

func total(base, bonus float64) float64 {
	return clamp(base+bonus, 0, 100)
}

// Rerank reweights every item with the strategy's weights, in place (the
// items' pillar slices are updated, not copied), and ranks and classifies
// the backlog again (see Rank).
func Rerank(items []Result, s domain.Strategy) Summary {
	w := EffectiveWeights(s.Weights)
	for i := range items {
		sc := &items[i].Score
		for k := range sc.Pillars {
			if j := pillarIndex(sc.Pillars[k].Name); j >= 0 {
				sc.Pillars[k].Weight = w[j]
			}
		}
		sc.Total = total(Base(sc.Pillars, w), sc.UrgencyBonus)
	}
	return Rank(items, s)
}

func pillarIndex(n domain.PillarName) int {
	switch n {
	case domain.PillarUserValue:
		return 0
	case domain.PillarCommercial:
		return 1
	case domain.PillarStrategic:
		return 2
	case domain.PillarCompetitive:
		return 3
	case domain.PillarTechnical:
		return 4
	}
	return -1
}

// PillarTitle is a pillar's display name ("User Value").
func PillarTitle(n domain.PillarName) string { return n.Title() }

// applyProposal averages a draft's proposal into the pillar.
func applyProposal(p *domain.PillarScore, props []Proposal) {
	for _, pr := range props {
		if pr.Pillar != p.Name || math.IsNaN(pr.Value) {
			continue
		}
		v := clamp(pr.Value, 0, 10)
		after := (p.Value + v) / 2
		detail := "the draft proposes " + fmtNum(v) + "/10"
		if r := strings.TrimSpace(pr.Reason); r != "" {
			detail += " (" + strings.TrimRight(clip(r, 80), ".") + ")"
		}
		p.Evidence = append(p.Evidence, domain.Evidence{Signal: "draft_proposal", Detail: detail, Delta: after - p.Value})
		p.Value = after
		return
	}
}

func clamp(v, lo, hi float64) float64 {
	if v < lo || math.IsNaN(v) {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// sat is a logarithmic saturation: cap·min(1, ln(1+n)/ln(1+full)).
func sat(n int, cap float64, full int) float64 {
	if n <= 0 {
		return 0
	}
	return cap * min(1, math.Log1p(float64(n))/math.Log1p(float64(full)))
}

// geo is a geometric saturation: cap·(1−2⁻ⁿ).
func geo(n int, cap float64) float64 {
	if n <= 0 {
		return 0
	}
	return cap * (1 - math.Pow(0.5, float64(n)))
}
