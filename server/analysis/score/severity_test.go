package score

import (
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// TestDefectValue: bugs and tasks are valued on their harm, priority and
// lateness; stories are not read for severity words.
func TestDefectValue(t *testing.T) {
	due := testNow.Add(-15 * 24 * time.Hour)
	cases := []struct {
		name       string
		typ        domain.IssueType
		summary    string
		priority   string
		due        *time.Time
		signal     string
		wantDetail string // "" means the signal is absent
		wantDelta  float64
	}{
		{"security bug", domain.TypeBug, "Staff without refund permission can refund", "", nil, "severity", "a security defect (“permission”)", 3.5},
		{"data bug", domain.TypeBug, "Refund webhook processed twice creates a negative balance", "", nil, "severity", "a data-integrity defect (“twice”)", 3},
		{"crash task", domain.TypeTask, "The app crashes on start", "", nil, "severity", "a crash or outage issue (“crashes”)", 2.5},
		{"harmless double", domain.TypeBug, "Double click opens the menu", "", nil, "severity", "", 0},
		{"story with security words", domain.TypeStory, "As a shopper I want security badges shown", "", nil, "severity", "", 0},
		{"high and overdue", domain.TypeBug, "Guest checkout asks for a password", "High", &due, "defect_priority", "High priority and overdue by 15 days", 3},
		{"low priority", domain.TypeBug, "Typo in footer", "Low", nil, "defect_priority", "Low priority", -1},
		{"low priority overdue adds nothing", domain.TypeBug, "Typo in footer", "Lowest", &due, "defect_priority", "Lowest priority", -2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := &domain.Issue{Key: "PROJ-9", Type: tc.typ, Summary: tc.summary, Priority: tc.priority, DueDate: tc.due, StatusCat: domain.StatusToDo}
			p := pillarOf(t, Score(Input{Issue: is, Quality: -1}, testStrategy(), testNow), domain.PillarUserValue)
			e, ok := evidenceOf(p, tc.signal)
			if tc.wantDetail == "" {
				if ok {
					t.Fatalf("unexpected %s evidence %+v", tc.signal, e)
				}
				return
			}
			if !ok || e.Detail != tc.wantDetail || e.Delta != tc.wantDelta {
				t.Fatalf("%s evidence %+v (found %v), want %q %+.2f", tc.signal, e, ok, tc.wantDetail, tc.wantDelta)
			}
		})
	}
}

// TestSevereDefectOutranksPlainOne: a security bug outscores the same
// bug without the harm, on User Value, Commercial Impact and Strategic
// Horizon, and the glance says why.
func TestSevereDefectOutranksPlainOne(t *testing.T) {
	plain := &domain.Issue{Key: "PROJ-1", Type: domain.TypeBug, Summary: "Refund menu shows the wrong icon", StatusCat: domain.StatusToDo}
	severe := &domain.Issue{Key: "PROJ-2", Type: domain.TypeBug, Summary: "Refund menu bypasses the permission check", StatusCat: domain.StatusToDo}
	a := Score(Input{Issue: plain, Quality: -1}, testStrategy(), testNow)
	b := Score(Input{Issue: severe, Quality: -1}, testStrategy(), testNow)
	for _, n := range []domain.PillarName{domain.PillarUserValue, domain.PillarCommercial, domain.PillarStrategic} {
		if pa, pb := pillarOf(t, a, n).Value, pillarOf(t, b, n).Value; pb <= pa {
			t.Errorf("%s: severe %.2f, plain %.2f", n, pb, pa)
		}
	}
	if !strings.Contains(b.Score.WhyThis, "a security defect") {
		t.Errorf("why this %q does not name the security defect", b.Score.WhyThis)
	}
}

// TestNoQualityBonusWhileALetterFails: "good INVEST quality" is never a
// reason while an INVEST letter fails; a low quality still counts against.
func TestNoQualityBonusWhileALetterFails(t *testing.T) {
	tests := []struct {
		quality int
		failing []string
		want    float64 // the quality delta on Technical Reality
	}{
		{80, nil, 1},
		{80, []string{"T"}, 0},
		{40, []string{"T"}, -1},
	}
	for _, tc := range tests {
		in := Input{Issue: plainIssue(), Quality: tc.quality, FailingLetters: tc.failing}
		r := Score(in, testStrategy(), testNow)
		e, _ := evidenceOf(pillarOf(t, r, domain.PillarTechnical), "quality")
		if e.Delta != tc.want {
			t.Errorf("quality %d failing %v: delta %+.2f, want %+.2f", tc.quality, tc.failing, e.Delta, tc.want)
		}
		if len(tc.failing) > 0 && strings.Contains(r.Score.WhyUs, "good INVEST quality") {
			t.Errorf("why us %q despite failing %v", r.Score.WhyUs, tc.failing)
		}
	}
}
