package e2e_test

import (
	"testing"
)

// TestNoEvidenceIsNeutralOnSandbox: calibration reads a pillar without
// evidence as neutral (5), not as low value. So an open issue none of
// whose pillars has evidence against it scores at least 50 on each of
// them and is not ranked into Won't's bottom 15 % by calibration; SHOP-64 (a High priority,
// overdue bug) and SHOP-195 are logged for the record.
func TestNoEvidenceIsNeutralOnSandbox(t *testing.T) {
	e := startEnv(t, envOptions{})
	activate(t, e)
	rows := rankedSHOP(t, e)
	checked := 0
	for i, r := range rows {
		var d struct {
			Analysis struct {
				Score struct {
					Pillars []struct {
						Name     string  `json:"name"`
						Value    float64 `json:"value"`
						Evidence []struct {
							Signal string  `json:"signal"`
							Detail string  `json:"detail"`
							Delta  float64 `json:"delta"`
						} `json:"evidence"`
					} `json:"pillars"`
				} `json:"score"`
			} `json:"analysis"`
		}
		if c := e.api("GET", "/api/issues/"+r.Key, nil, &d); c != 200 {
			t.Fatalf("issue %s: %d", r.Key, c)
		}
		against := false
		for _, p := range d.Analysis.Score.Pillars {
			sum := 0.0
			for _, ev := range p.Evidence {
				if ev.Signal != "backlog_relative" {
					sum += ev.Delta
				}
			}
			if sum < -0.005 {
				against = true
			}
			if r.Key == "SHOP-64" || r.Key == "SHOP-195" {
				t.Logf("%s %s %.2f %+v", r.Key, p.Name, p.Value, p.Evidence)
			}
		}
		if r.Key == "SHOP-64" || r.Key == "SHOP-195" {
			t.Logf("%s #%d of %d, score %d, %s", r.Key, i+1, len(rows), r.Score, r.Moscow)
		}
		if against || r.Type == "subtask" {
			continue
		}
		checked++
		for _, p := range d.Analysis.Score.Pillars {
			if p.Value < 5 {
				t.Errorf("%s: %s is %.2f with no evidence against it, want at least the neutral 5", r.Key, p.Name, p.Value)
			}
		}
		// The default shares put the bottom 15 % of the ranking in Won't
		// (overrides and duplicates may put others there).
		if i >= len(rows)*85/100 {
			t.Errorf("%s is #%d of %d (score %d, %s) with no evidence against it", r.Key, i+1, len(rows), r.Score, r.Moscow)
		}
	}
	t.Logf("%d open issues with no evidence against them", checked)
	if checked == 0 {
		t.Fatal("no issue without evidence against it in the demo: the test proves nothing")
	}
}
