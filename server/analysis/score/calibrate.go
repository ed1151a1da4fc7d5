package score

import (
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/backlogai/backlogai/server/domain"
)

// Pillar signals are sparse: most issues carry none or one, so raw pillar
// values pile up on their baselines (on the demo, Competitive Positioning
// is 4.0 for nine issues in ten) and every total lands in a narrow band
// around 50. Calibration rescales each pillar within the project, anchored
// at its neutral point: a pillar without evidence (its value is the
// baseline, or its signals cancel out) becomes 5, neither helping nor
// hurting; a value above its baseline becomes 5 plus 5 times its mid-rank
// percentile among the open backlog's raw values above their baselines,
// and one below becomes 5 times its percentile among those below. So
// absence of evidence is never read as low value, however many other
// issues carry a positive signal. It is monotone within a pillar (all
// issues of a project share each pillar's baseline), ties share one value,
// and it needs no tuning constant. The step is recorded as evidence, so
// that baseline plus deltas still add up to the value shown.

// calibrationSignal names the evidence that records the rescaling.
const calibrationSignal = "backlog_relative"

// MinCalibrated is the smallest backlog whose percentiles mean something;
// smaller backlogs keep raw values.
const MinCalibrated = 10

// neutral is the calibrated value of a pillar without evidence.
const neutral = 5.0

// Side says where a raw pillar value lies against its baseline.
type Side int8

const (
	Below      Side = -1
	AtBaseline Side = 0
	Above      Side = 1
)

// Sample is one issue's raw pillar values and the side of its baseline
// each lies on, in domain.Pillars order.
type Sample struct {
	Raw  [5]float64
	Side [5]Side
}

// Calibration holds, per pillar, the sorted raw values of one backlog
// above and below their baselines.
type Calibration struct {
	above, below [5][]float64
}

// RawPillars returns s's pillar values before any calibration, in
// domain.Pillars order.
func RawPillars(s domain.Score) [5]float64 {
	return SampleOf(s).Raw
}

// SampleOf returns s's raw pillar values and their sides. A pillar's value
// is its baseline plus its evidence, clamped to 0-10 (see pillar.done), so
// the sign of the evidence's sum is the side of the issue's own baseline
// the raw value lies on, whichever baseline applied (Strategic Horizon's
// depends on the strategy) and even when clamped.
func SampleOf(s domain.Score) Sample {
	var out Sample
	for _, p := range s.Pillars {
		k := pillarIndex(p.Name)
		if k < 0 {
			continue
		}
		out.Raw[k] = p.Value
		sum := 0.0
		for _, e := range p.Evidence {
			if e.Signal == calibrationSignal {
				out.Raw[k] = round2(p.Value - e.Delta)
			} else {
				sum += e.Delta
			}
		}
		switch {
		case sum >= 0.005:
			out.Side[k] = Above
		case sum <= -0.005:
			out.Side[k] = Below
		}
	}
	return out
}

// NewCalibration builds the calibration of a backlog from its open
// issues' samples; it returns nil below MinCalibrated issues.
func NewCalibration(samples []Sample) *Calibration {
	if len(samples) < MinCalibrated {
		return nil
	}
	c := &Calibration{}
	for k := range c.above {
		for _, s := range samples {
			switch s.Side[k] {
			case Above:
				c.above[k] = append(c.above[k], s.Raw[k])
			case Below:
				c.below[k] = append(c.below[k], s.Raw[k])
			}
		}
		slices.Sort(c.above[k])
		slices.Sort(c.below[k])
	}
	return c
}

// percentile is the mid-rank share of sorted values below v:
// (below + equal/2)/n; 0.5 for no values, the middle of its half.
func percentile(sorted []float64, v float64) float64 {
	if len(sorted) == 0 {
		return 0.5
	}
	below := sort.SearchFloat64s(sorted, v)
	upTo := sort.Search(len(sorted), func(i int) bool { return sorted[i] > v })
	return (float64(below) + float64(upTo-below)/2) / float64(len(sorted))
}

// calibrated returns the calibrated value of raw v on side of pillar k and
// the evidence text that explains it.
func (c *Calibration) calibrated(k int, v float64, side Side) (float64, string) {
	pre := "relative to this backlog: " + fmtNum(v) + " before scaling, "
	switch side {
	case Above:
		pct := percentile(c.above[k], v)
		return round2(neutral + (10-neutral)*pct), pre + "percentile " + strconv.Itoa(int(math.Round(100*pct))) +
			" of the " + plural(len(c.above[k]), "open issue") + " above this pillar's baseline"
	case Below:
		pct := percentile(c.below[k], v)
		return round2(neutral * pct), pre + "percentile " + strconv.Itoa(int(math.Round(100*pct))) +
			" of the " + plural(len(c.below[k]), "open issue") + " below this pillar's baseline"
	}
	return neutral, pre + "no evidence either way, so neutral"
}

// Apply replaces s's pillar values by their calibrated values (a nil
// calibration restores the raw ones), records the step as evidence and
// recomputes the total with weights. A forced Must's lift is undone (the
// ranking lifts again). Classes are left alone.
func (c *Calibration) Apply(s *domain.Score, weights [5]float64) {
	unlift(s)
	smp := SampleOf(*s)
	pillars := make([]domain.PillarScore, len(s.Pillars))
	for i, p := range s.Pillars {
		k := pillarIndex(p.Name)
		ev := make([]domain.Evidence, 0, len(p.Evidence)+1)
		for _, e := range p.Evidence {
			if e.Signal != calibrationSignal {
				ev = append(ev, e)
			}
		}
		p.Evidence = ev
		if k < 0 {
			pillars[i] = p
			continue
		}
		raw := smp.Raw[k]
		p.Value = raw
		if c != nil {
			v, detail := c.calibrated(k, raw, smp.Side[k])
			if d := v - raw; math.Abs(d) >= 0.005 {
				p.Evidence = append(p.Evidence, domain.Evidence{Signal: calibrationSignal, Detail: detail, Delta: round2(d)})
			}
			p.Value = v
		}
		pillars[i] = p
	}
	s.Pillars = pillars
	s.Total = total(Base(pillars, weights), s.UrgencyBonus)
}
