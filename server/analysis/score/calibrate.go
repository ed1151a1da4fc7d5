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
// around 50. Calibration rescales each pillar within the project: an
// issue's value becomes its mid-rank percentile among the open backlog's
// raw values of that pillar, on 0-10. It is monotone, so the order within
// a pillar never changes; ties share one value (a pillar nobody's signals
// move sits at 5 for all, neither helping nor hurting anyone); and it
// needs no tuning constant. The step is recorded as evidence, so that
// baseline plus deltas still add up to the value shown.

// calibrationSignal names the evidence that records the rescaling.
const calibrationSignal = "backlog_relative"

// MinCalibrated is the smallest backlog whose percentiles mean something;
// smaller backlogs keep raw values.
const MinCalibrated = 10

// Calibration holds the sorted raw pillar values of one backlog.
type Calibration struct {
	sorted [5][]float64
}

// RawPillars returns s's pillar values before any calibration, in
// domain.Pillars order.
func RawPillars(s domain.Score) [5]float64 {
	var raw [5]float64
	for _, p := range s.Pillars {
		if k := pillarIndex(p.Name); k >= 0 {
			raw[k] = p.Value
			for _, e := range p.Evidence {
				if e.Signal == calibrationSignal {
					raw[k] = round2(p.Value - e.Delta)
				}
			}
		}
	}
	return raw
}

// NewCalibration builds the calibration of a backlog from its open
// issues' raw pillar values; it returns nil below MinCalibrated issues.
func NewCalibration(raw [][5]float64) *Calibration {
	if len(raw) < MinCalibrated {
		return nil
	}
	c := &Calibration{}
	for k := range c.sorted {
		v := make([]float64, len(raw))
		for i, r := range raw {
			v[i] = r[k]
		}
		slices.Sort(v)
		c.sorted[k] = v
	}
	return c
}

// percentile is the mid-rank share of values below v: (below + equal/2)/n.
func (c *Calibration) percentile(k int, v float64) float64 {
	s := c.sorted[k]
	below := sort.SearchFloat64s(s, v)
	upTo := sort.Search(len(s), func(i int) bool { return s[i] > v })
	return (float64(below) + float64(upTo-below)/2) / float64(len(s))
}

// Apply replaces s's pillar values by their calibrated values (a nil
// calibration restores the raw ones), records the step as evidence and
// recomputes the total with weights. Classes are left alone.
func (c *Calibration) Apply(s *domain.Score, weights [5]float64) {
	raw := RawPillars(*s)
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
		p.Value = raw[k]
		if c != nil {
			pct := c.percentile(k, raw[k])
			v := round2(10 * pct)
			if d := v - raw[k]; math.Abs(d) >= 0.005 {
				p.Evidence = append(p.Evidence, domain.Evidence{Signal: calibrationSignal,
					Detail: "relative to this backlog: " + fmtNum(raw[k]) + " before scaling, percentile " +
						strconv.Itoa(int(math.Round(100*pct))) + " of its open issues", Delta: round2(d)})
			}
			p.Value = v
		}
		pillars[i] = p
	}
	s.Pillars = pillars
	s.Total = total(Base(pillars, weights), s.UrgencyBonus)
}
