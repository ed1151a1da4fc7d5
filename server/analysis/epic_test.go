package analysis

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// TestEpicTakesItsOpenChildrensMean: an epic with open children takes the
// mean of their totals, so its class lies between its children's lowest
// and highest, after a ranking and when it is analysed again between
// rankings, and says so; an epic without open children keeps its own score.
func TestEpicTakesItsOpenChildrensMean(t *testing.T) {
	issues := synthetic(80)
	issues = append(issues,
		domain.Issue{Key: "P-900", Type: domain.TypeEpic, Summary: "Order tools", StatusCat: domain.StatusToDo, Created: now, Updated: now},
		domain.Issue{Key: "P-901", Type: domain.TypeEpic, Summary: "Empty epic", StatusCat: domain.StatusToDo, Created: now, Updated: now})
	var kids []string
	for i := range issues {
		if issues[i].Type == domain.TypeStory && issues[i].StatusCat != domain.StatusDone && len(kids) < 6 {
			issues[i].EpicKey = "P-900"
			kids = append(kids, issues[i].Key)
		}
	}
	p := NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	open := rescore(p)
	byKey := map[string]domain.Analysis{}
	for _, a := range open {
		byKey[a.IssueKey] = a
	}
	rank := map[domain.Moscow]int{domain.MoscowMust: 0, domain.MoscowShould: 1, domain.MoscowCould: 2, domain.MoscowWont: 3}
	var sum float64
	hi, lo := 3, 0
	for _, k := range kids {
		sum += byKey[k].Score.Total
		hi, lo = min(hi, rank[byKey[k].Score.Moscow]), max(lo, rank[byKey[k].Score.Moscow])
	}
	mean := sum / float64(len(kids))
	epic := byKey["P-900"]
	if math.Abs(epic.Score.Total-mean) > 1e-9 || rank[epic.Score.Moscow] < hi || rank[epic.Score.Moscow] > lo {
		t.Errorf("epic %.1f %s, its children's mean %.1f, classes from %d to %d", epic.Score.Total, epic.Score.Moscow, mean, hi, lo)
	}
	if !strings.Contains(epic.Score.ClassBasis, "From its 6 open children") || !strings.Contains(epic.Score.ClassBasis, "mean score") {
		t.Errorf("epic basis %q", epic.Score.ClassBasis)
	}
	again, _ := p.Analyse("P-900", nil)
	if again.Score.Total != epic.Score.Total || again.Score.Computed != epic.Score.Computed || !strings.Contains(again.Score.ClassBasis, "From its 6") {
		t.Errorf("epic analysed again: %.1f %s %q, after the ranking %.1f %s", again.Score.Total, again.Score.Computed, again.Score.ClassBasis, epic.Score.Total, epic.Score.Computed)
	}
	if b := byKey["P-901"].Score.ClassBasis; strings.Contains(b, "children") {
		t.Errorf("epic without children explained by children: %q", b)
	}
}
