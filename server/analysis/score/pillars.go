package score

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// Neutral baselines: a pillar's value before any signal moves it.
const (
	BaselineUserValue       = 3.0
	BaselineCommercial      = 3.0
	BaselineStrategic       = 2.0 // with a vision or objectives to compare with
	BaselineStrategicNoText = 5.0 // without: nothing to judge by
	BaselineCompetitive     = 4.0
	BaselineTechnical       = 5.0
)

// simFloor is the cosine below which issue and strategy share only noise.
const simFloor = 0.05

// pillar accumulates evidence on top of a baseline. All pillars of one
// score append to one shared buffer (one allocation); each pillar's slice
// is capped so that appending to it later copies instead of overwriting
// the next pillar's evidence.
type pillar struct {
	name  domain.PillarName
	base  float64
	buf   *[]domain.Evidence
	start int
}

func newPillar(buf *[]domain.Evidence, n domain.PillarName, base float64) pillar {
	return pillar{name: n, base: base, buf: buf, start: len(*buf)}
}

func (p *pillar) add(signal, detail string, delta float64) {
	if math.Abs(delta) < 0.005 {
		return
	}
	*p.buf = append(*p.buf, domain.Evidence{Signal: signal, Detail: detail, Delta: round2(delta)})
}

// addCount adds a count signal ("12 votes"), formatting it only when n > 0.
func (p *pillar) addCount(signal string, n int, noun string, delta float64) {
	if n > 0 {
		p.add(signal, plural(n, noun), delta)
	}
}

func (p *pillar) done() domain.PillarScore {
	all := *p.buf
	ev := all[p.start:len(all):len(all)]
	v := p.base
	for _, e := range ev {
		v += e.Delta
	}
	if len(ev) == 0 {
		ev = []domain.Evidence{} // JSON [] rather than null
	}
	return domain.PillarScore{Name: p.name, Value: round2(clamp(v, 0, 10)), Evidence: ev}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func (sc *Scorer) userValue(buf *[]domain.Evidence, iss *domain.Issue, in Input, s *signals, now time.Time) domain.PillarScore {
	p := newPillar(buf, domain.PillarUserValue, BaselineUserValue)
	p.addCount("votes", iss.Votes, "vote", sat(iss.Votes, 3, 50))
	p.addCount("watchers", iss.Watchers, "watcher", sat(iss.Watchers, 1.5, 30))
	p.addCount("customer_requests", in.CustomerRequests, "linked customer request", sat(in.CustomerRequests, 2.5, 10))
	if w := s.of(kUsers); len(w) > 0 {
		p.add("users", "it speaks of “"+w[0]+"”", 0.5)
	}
	if w := s.of(kPain); len(w) > 0 {
		p.add("pain", "pain words ("+quoteList(w, 3)+")", geo(len(w), 1.5))
	}
	if valuedAsDefect(iss.Type) {
		defectValue(&p, iss, s, overdueDays(iss, now))
	}
	if s.persona != "" {
		if genericRole(s.persona) {
			p.add("persona", "a generic “"+clip(s.persona, 40)+"” role", 0.3)
		} else {
			p.add("persona", "it names the persona “"+clip(s.persona, 40)+"”", 1)
		}
	}
	return p.done()
}

func (sc *Scorer) commercial(buf *[]domain.Evidence, iss *domain.Issue, s *signals) domain.PillarScore {
	p := newPillar(buf, domain.PillarCommercial, BaselineCommercial)
	var marks []string
	for _, l := range iss.Labels {
		if isCommercial(l, sc.strategy.CommercialLabels) {
			marks = append(marks, l+" label")
		}
	}
	for _, c := range iss.Components {
		if isCommercial(c, sc.strategy.CommercialLabels) {
			marks = append(marks, c+" component")
		}
	}
	if n := len(marks); n > 0 {
		verb := " marks it commercial"
		if n > 1 {
			verb = " mark it commercial"
		}
		p.add("commercial_labels", "the "+joinAnd(marks, 2)+verb, min(2.5+0.5*float64(n-1), 3.5))
	}
	if d, name := priorityDelta(iss.Priority); d != 0 {
		p.add("priority", "priority "+name, d)
	}
	if w := s.of(kDeal); len(w) > 0 {
		p.add("deal_words", "it mentions "+joinAnd(w, 3), geo(len(w), 2.5))
	}
	severeRisk(&p, iss, s, severeCommercial, "is a business risk")
	return p.done()
}

// isCommercial reports whether a label or component, or one of its parts
// split at '-', '_', ' ', '/' or '.', is one of the commercial labels.
func isCommercial(label string, commercial []string) bool {
	for _, c := range commercial {
		if c == "" {
			continue
		}
		if strings.EqualFold(label, c) {
			return true
		}
		rest := label
		for rest != "" {
			k := strings.IndexAny(rest, "-_ /.")
			part := rest
			if k >= 0 {
				part, rest = rest[:k], rest[k+1:]
			} else {
				rest = ""
			}
			if strings.EqualFold(part, c) {
				return true
			}
		}
	}
	return false
}

// priorityDelta maps Jira's priority names (current and legacy schemes).
func priorityDelta(name string) (float64, string) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "highest", "blocker", "critical", "urgent", "p0", "p1":
		return 2.5, name
	case "high", "major", "p2":
		return 1.5, name
	case "low", "minor", "p4":
		return -1, name
	case "lowest", "trivial", "p5":
		return -2, name
	}
	return 0, name
}

func (sc *Scorer) strategic(buf *[]domain.Evidence, iss *domain.Issue, in Input, m match, s *signals) domain.PillarScore {
	if sc.sim.empty() {
		p := newPillar(buf, domain.PillarStrategic, BaselineStrategicNoText)
		if iss.EpicKey != "" {
			p.add("epic", "it is part of epic "+iss.EpicKey, 0.5)
		}
		severeRisk(&p, iss, s, severeStrategic, "undermines trust in the product")
		return p.done()
	}
	p := newPillar(buf, domain.PillarStrategic, BaselineStrategic)
	severeRisk(&p, iss, s, severeStrategic, "undermines trust in the product")
	if m.doc >= 0 && m.sim >= simFloor {
		p.add("strategy_similarity",
			"it matches "+sc.sim.docs[m.doc].label+" (similarity "+strconv.FormatFloat(m.sim, 'f', 2, 64)+")",
			6*min(1, m.sim/0.4))
	}
	if iss.EpicKey != "" {
		p.add("epic", "it is part of epic "+iss.EpicKey, 0.5)
		if in.EpicSummary != "" {
			toks := appendTokens(nil, in.EpicSummary)
			if m := sc.sim.best(toks, len(toks)); m.doc >= 0 && m.sim >= simFloor {
				p.add("epic_alignment", "its epic fits the strategy too", 2*min(1, m.sim/0.4))
			}
		}
	}
	return p.done()
}

func (sc *Scorer) competitive(buf *[]domain.Evidence, in Input, s *signals) domain.PillarScore {
	p := newPillar(buf, domain.PillarCompetitive, BaselineCompetitive)
	catchUp := s.of(kCatch)
	// Naming a competitor counts for market relevance, unless the text only
	// names it to catch up with it ("like Trello has").
	if n := len(s.comps); n > 0 && len(catchUp) == 0 {
		names := make([]string, n)
		for i, c := range s.comps {
			names[i] = sc.competitors[c].name
		}
		word := "competitor "
		if n > 1 {
			word = "competitors "
		}
		p.add("competitors", "it names "+word+joinAnd(names, 3), min(1.5+0.5*float64(n-1), 2.5))
	}
	if w := s.of(kDiff); len(w) > 0 {
		p.add("differentiator", "differentiator words ("+quoteList(w, 3)+")", geo(len(w), 3))
	}
	if len(catchUp) > 0 {
		p.add("catch_up", "catch-up words ("+quoteList(catchUp, 3)+")", -geo(len(catchUp), 2))
	}
	p.addCount("research", in.ResearchSources, "cited research source", geo(in.ResearchSources, 1.5))
	return p.done()
}

func (sc *Scorer) technical(buf *[]domain.Evidence, iss *domain.Issue, in Input, s *signals) domain.PillarScore {
	p := newPillar(buf, domain.PillarTechnical, BaselineTechnical)
	split := sc.strategy.SplitThreshold
	if split <= 0 {
		split = 8
	}
	points, conf, own := 0.0, 1.0, false
	switch {
	case ownPoints(iss):
		points, own = *iss.StoryPoints, true
	case usableEstimate(in.Estimate):
		points, conf = in.Estimate.Points, clamp(in.Estimate.Confidence, 0, 1)
	default:
		points = -1
	}
	if points >= 0 {
		d := clamp(2-1.25*math.Log2(max(points, 0.5)), -3.5, 2.5)
		size := "medium-sized"
		switch {
		case d >= 0.5:
			size = "small"
		case d <= -0.5:
			size = "large"
		}
		detail := size + " (" + plural2(points, "story point") + ")"
		if !own {
			d *= (1 + conf) / 2
			detail = size + " (about " + plural2(points, "story point") + ", suggested)"
		}
		p.add("estimate", detail, d)
		if points > split {
			p.add("too_big", "above the split threshold of "+fmtNum(split)+" points", -1)
		}
	} else if iss.Type != domain.TypeEpic { // an epic is sized by its children, never estimated itself
		p.add("estimate", "not estimated yet", -0.5)
	}
	var blockers []string
	for _, l := range iss.Links {
		if l.Kind == domain.LinkBlockedBy && !l.OtherDone {
			blockers = append(blockers, l.OtherKey)
		}
	}
	if n := len(blockers); n > 0 {
		p.add("blockers", "blocked by "+plural(n, "open issue")+" ("+joinAnd(blockers, 3)+")", -geo(n, 3))
	}
	// Dependency words usually describe the blocking link itself: count
	// them only when there is no open blocker.
	if w := s.of(kDep); len(w) > 0 && len(blockers) == 0 {
		p.add("dependencies", "a dependency in the text ("+quoteList(w, 2)+")", -0.75)
	}
	if in.Quality >= 0 {
		q := min(in.Quality, 100)
		word := "fair"
		switch {
		case q >= 70:
			word = "good"
		case q < 50:
			word = "poor"
		}
		d := clamp(float64(q-60)/20, -3, 2)
		if d > 0 && len(in.FailingLetters) > 0 {
			// "Good quality" would contradict the failing letter.
			d = 0
		}
		if d != 0 {
			p.add("quality", word+" INVEST quality ("+strconv.Itoa(q)+"/100)", d)
		}
	}
	return p.done()
}

// plural formats a count with its noun ("1 vote", "12 votes").
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func plural2(v float64, noun string) string {
	if v == 1 {
		return "1 " + noun
	}
	return fmtNum(v) + " " + noun + "s"
}

// fmtNum prints whole numbers without decimals and others with one.
func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// quoteList quotes up to n words: “slow”, “crash”.
func quoteList(words []string, n int) string {
	var b strings.Builder
	for i, w := range words {
		if i == n {
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("“" + w + "”")
	}
	return b.String()
}

// joinAnd joins up to n items as "a, b and c", then "and k more".
func joinAnd(items []string, n int) string {
	shown := items
	more := 0
	if len(items) > n {
		shown, more = items[:n], len(items)-n
	}
	switch {
	case more > 0:
		return strings.Join(shown, ", ") + " and " + strconv.Itoa(more) + " more"
	case len(shown) == 1:
		return shown[0]
	}
	return strings.Join(shown[:len(shown)-1], ", ") + " and " + shown[len(shown)-1]
}
