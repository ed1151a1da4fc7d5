package estimate

import "math"

// calibration is what the team's own recent history says about the
// model's votes: which quantiles of the vote bound an interval that holds
// Coverage of true values, and how often an estimate whose best past
// issue was so similar landed within one scale step. It is measured by
// predicting each of the newest CalibrationSize estimated issues from the
// issues before it, exactly as a new issue is predicted, so it reflects
// this team's scale, its drift and how much its text says.
type calibration struct {
	// prior and quantile are the shrinkage and vote quantile in use:
	// Options' own, or with Options.Adapt the pair that did best on the
	// calibration issues.
	prior, quantile float64
	lo, hi          float64 // vote quantiles bounding the interval
	coverage        float64 // share of calibration issues the interval held
	// within[b] is the calibrated within-one-step rate for estimates whose
	// best neighbour's similarity falls in bin b (see bin).
	within [confBins]float64
	n      int
}

const confBins = 5

// simEdges are the lower similarity bounds of bins 1..confBins-1. The
// confidence is per issue and follows its evidence: on the validation
// splits, estimates resting on a past issue more than 50 % similar landed
// within one step 78 % of the time, those resting on one 20-30 % similar
// 73 % (server/eval). The vote's agreement, used before, was nearly the
// same for every issue, and so was the confidence.
var simEdges = [confBins - 1]float64{0.3, 0.4, 0.5, 0.6}

// Defaults before there is enough history to measure: a central interval
// of the vote and the raw agreement as confidence.
const minCalibration = 30

// confidence is the calibrated chance of landing within one step for an
// estimate whose best neighbour is top similar; raw is the vote's
// agreement, the answer before there is a calibration.
func (c *calibration) confidence(top, raw float64) float64 {
	if c.n < minCalibration {
		return min(1, max(0, raw))
	}
	return c.within[bin(top)]
}

// bin is the similarity bin of a best-neighbour similarity.
func bin(top float64) int {
	b := 0
	for b < len(simEdges) && top >= simEdges[b] {
		b++
	}
	return b
}

// calibration returns the model's calibration, computing it on first use.
// The caller holds m.mu for reading.
func (m *Model) calibration() *calibration {
	if c := m.cal.Load(); c != nil {
		return c
	}
	m.calMu.Lock()
	defer m.calMu.Unlock()
	if c := m.cal.Load(); c != nil {
		return c
	}
	c := m.calibrate()
	m.cal.Store(c)
	return c
}

// calItem is one calibration issue: its vote and true scale position.
type calItem struct {
	ev    evidence
	hist  []float64
	truth int
	raw   float64 // agreement near() of the estimate
	est   int
}

func (m *Model) calibrate() *calibration {
	o := m.opts
	tail := (1 - o.Coverage) / 2
	c := &calibration{prior: o.Prior, quantile: o.Quantile, lo: tail, hi: 1 - tail}
	items := m.calItems()
	c.n = len(items)
	if c.n < minCalibration {
		return c
	}
	if o.Adapt {
		m.adapt(c, items)
	}
	// The interval's two ends are set separately so that each misses at
	// most its tail's share: teams drift, so the vote is rarely symmetric
	// around the truth.
	c.lo = bestLevel(items, tail, func(it calItem, a float64) bool { return it.truth < quantileIndex(it.hist, a) }, true)
	c.hi = bestLevel(items, tail, func(it calItem, a float64) bool { return it.truth > quantileIndex(it.hist, a) }, false)
	in := 0
	var hits [confBins]int
	var counts [confBins]int
	all := 0
	for _, it := range items {
		lo, hi := quantileIndex(it.hist, c.lo), quantileIndex(it.hist, c.hi)
		if it.truth >= min(lo, it.est) && it.truth <= max(hi, it.est) {
			in++
		}
		b := bin(it.ev.top)
		counts[b]++
		if abs(it.truth-it.est) <= 1 {
			hits[b]++
			all++
		}
	}
	c.coverage = float64(in) / float64(c.n)
	// Each bin is shrunk towards the overall rate, so that a bin holding a
	// handful of issues does not claim 0 % or 100 %; then the rates are
	// made non-decreasing in similarity (pooling adjacent violators).
	overall := float64(all) / float64(c.n)
	const k = 10
	var rate [confBins]float64
	var weight [confBins]float64
	for b := range rate {
		rate[b] = (float64(hits[b]) + k*overall) / float64(counts[b]+k)
		weight[b] = float64(counts[b] + k)
	}
	c.within = monotone(rate, weight)
	return c
}

// bestLevel picks the vote quantile for one end of the interval: the
// level whose share of misses on that side is closest to tail (ties: the
// wider). On a scale of a few values no level misses exactly tail, and
// always erring wide would state 80 % and deliver 90 %. The candidates run
// from the median outwards in steps of 0.01.
func bestLevel(items []calItem, tail float64, miss func(calItem, float64) bool, lower bool) float64 {
	best, bestGap := 0.5, math.Inf(1)
	for step := 0; step <= 50; step++ {
		a := 0.5 - 0.01*float64(step)
		if !lower {
			a = 0.5 + 0.01*float64(step)
		}
		n := 0
		for _, it := range items {
			if miss(it, a) {
				n++
			}
		}
		if gap := math.Abs(float64(n)/float64(len(items)) - tail); gap <= bestGap {
			best, bestGap = a, gap
		}
	}
	return best
}

// calItems predicts each of the newest CalibrationSize live issues from the
// live issues before it, with the same options as Estimate. Issues the
// model would answer with "not enough signal" are left out: their
// interval is never shown. IDF is the current one (it uses no labels).
func (m *Model) calItems() []calItem {
	o := m.opts
	sc := m.scale()
	n := len(m.idx.docs)
	first := n
	for left := o.CalibrationSize; first > 0 && left > 0; {
		first--
		if !m.idx.docs[first].dead {
			left--
		}
	}
	// prior holds the decayed point counts of docs[:i], relative to i-1.
	prior := make([]float64, len(sc))
	live := 0
	f := decay(1, o.PriorHalfLife)
	var items []calItem
	for i := 0; i < n; i++ {
		d := &m.idx.docs[i]
		if d.dead {
			continue
		}
		if i >= first && live >= o.MinHistory && d.words >= o.MinTerms {
			if it, ok := m.calItem(i, prior, sc); ok {
				items = append(items, it)
			}
		}
		// Advance the prior past doc i: it becomes the newest.
		for j := range prior {
			prior[j] *= f // one slot older
		}
		prior[sc.index(d.points)]++
		live++
	}
	return items
}

func (m *Model) calItem(i int, prior []float64, sc scale) (calItem, bool) {
	o := m.opts
	var total float64
	for _, w := range prior {
		total += w
	}
	if total <= 0 {
		return calItem{}, false
	}
	base := make([]float64, len(prior))
	for j, w := range prior {
		base[j] = w / total
	}
	d := &m.idx.docs[i]
	v := m.vote(m.idx.docQuery(i), "", i, base, sc)
	if v.top <= o.MinEvidence {
		return calItem{}, false
	}
	it := calItem{ev: v, truth: sc.index(d.points)}
	it.set(o.Prior, o.Quantile)
	return it, true
}

func (it *calItem) set(prior, quantile float64) {
	it.hist = it.ev.mix(prior)
	it.est = quantileIndex(it.hist, quantile)
	it.raw = near(it.hist, it.est)
}

// adapt picks the shrinkage and quantile with the least absolute error on
// the calibration issues (ties: the configured pair), then re-scores them.
func (m *Model) adapt(c *calibration, items []calItem) {
	sc := m.scale()
	mae := func(prior, q float64) float64 {
		var s float64
		for _, it := range items {
			h := it.ev.mix(prior)
			s += math.Abs(sc[quantileIndex(h, q)] - sc[it.truth])
		}
		return s
	}
	best := mae(c.prior, c.quantile)
	for _, p := range []float64{0.5, 1, 2, 4, 8} {
		for _, q := range []float64{0.35, 0.4, 0.45, 0.5, 0.55} {
			if v := mae(p, q); v < best-1e-9 {
				best, c.prior, c.quantile = v, p, q
			}
		}
	}
	for i := range items {
		items[i].set(c.prior, c.quantile)
	}
}

// monotone returns the weighted isotonic (non-decreasing) fit of r.
func monotone(r, w [confBins]float64) [confBins]float64 {
	type block struct {
		v, w float64
		n    int
	}
	var bs []block
	for i := range r {
		bs = append(bs, block{r[i], w[i], 1})
		for len(bs) > 1 && bs[len(bs)-2].v > bs[len(bs)-1].v {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			bs = bs[:len(bs)-2]
			bs = append(bs, block{(a.v*a.w + b.v*b.w) / (a.w + b.w), a.w + b.w, a.n + b.n})
		}
	}
	var out [confBins]float64
	i := 0
	for _, b := range bs {
		for range b.n {
			out[i] = b.v
			i++
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
