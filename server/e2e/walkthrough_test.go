package e2e_test

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestPMWalkthroughReport lists, for a spread of demo issues (top,
// middle, bottom; every type), what a PM sees: class, score, class basis,
// why now, estimate, duplicates and flags. A report, not a check: run it
// with PM_REPORT=1 (and -v) when judging the ranking by hand.
func TestPMWalkthroughReport(t *testing.T) {
	if os.Getenv("PM_REPORT") == "" {
		t.Skip("set PM_REPORT=1 to print the walkthrough")
	}
	e := startEnv(t, envOptions{})
	activate(t, e)
	rows := rankedSHOP(t, e)
	n := len(rows)
	var h struct {
		Open   int            `json:"open"`
		Moscow map[string]int `json:"moscow"`
	}
	e.api("GET", "/api/projects/SHOP/health", nil, &h)
	var listed, subs [4]int
	for i, m := range []string{"Must", "Should", "Could", "Won't"} {
		_, b := e.backlogKeys("limit=1&moscow=" + url.QueryEscape(m))
		_, s := e.backlogKeys("limit=1&type=subtask&moscow=" + url.QueryEscape(m))
		listed[i], subs[i] = b.Total, s.Total
	}
	t.Logf("classes (Must/Should/Could/Won't): backlog %v of %d listed, sub-tasks %v; health %v of %d open", listed, n, subs, h.Moscow, h.Open)
	pick := map[int]bool{}
	for _, i := range []int{0, 1, 2, n / 10, n / 5, n * 3 / 10, n * 2 / 5, n / 2, n * 3 / 5, n * 7 / 10, n * 4 / 5, n * 9 / 10, n - 2, n - 1} {
		pick[i] = true
	}
	seen := map[string]bool{}
	for i, r := range rows { // one of each type at least, and the forced Musts
		if !seen[r.Type] {
			seen[r.Type], pick[i] = true, true
		}
		if r.Key == "SHOP-64" || r.Key == "SHOP-232" {
			pick[i] = true
		}
	}
	for i, r := range rows {
		if !pick[i] {
			continue
		}
		var d struct {
			Issue struct {
				Priority    string   `json:"priority"`
				StoryPoints *float64 `json:"storyPoints"`
				DueDate     *string  `json:"dueDate"`
				Status      string   `json:"status"`
			} `json:"issue"`
			Analysis struct {
				Flags []string `json:"flags"`
				Check struct {
					Quality int `json:"quality"`
				} `json:"check"`
				Score struct {
					Total      float64 `json:"total"`
					Moscow     string  `json:"moscow"`
					ClassBasis string  `json:"classBasis"`
					WhyNow     string  `json:"whyNow"`
					WhyThis    string  `json:"whyThis"`
					WhyUs      string  `json:"whyUs"`
				} `json:"score"`
				Estimate struct {
					Points float64 `json:"points"`
					Low    float64 `json:"low"`
					High   float64 `json:"high"`
					Level  string  `json:"level"`
					Method string  `json:"method"`
					Reason string  `json:"reason"`
				} `json:"estimate"`
				Duplicates []struct {
					Key        string  `json:"key"`
					Summary    string  `json:"summary"`
					Similarity float64 `json:"similarity"`
					Band       string  `json:"band"`
					Done       bool    `json:"done"`
				} `json:"duplicates"`
			} `json:"analysis"`
		}
		if c := e.api("GET", "/api/issues/"+r.Key, nil, &d); c != 200 {
			t.Fatalf("issue %s: %d", r.Key, c)
		}
		a := d.Analysis
		var dup []string
		for _, c := range a.Duplicates {
			dup = append(dup, fmt.Sprintf("%s %.0f%% %s%s %q", c.Key, 100*c.Similarity, c.Band, map[bool]string{true: " (done)"}[c.Done], c.Summary))
		}
		due := ""
		if d.Issue.DueDate != nil {
			due = " due " + (*d.Issue.DueDate)[:10]
		}
		sp := "-"
		if d.Issue.StoryPoints != nil {
			sp = fmt.Sprint(*d.Issue.StoryPoints)
		}
		t.Logf("\n#%d/%d %s [%s, %s, %s%s, points %s] %q\n  %d %s (%.2f): %s\n  now: %s\n  this: %s\n  us: %s\n  estimate: %s %.0f [%.0f-%.0f] %s %s\n  quality %d flags %v\n  duplicates: %s",
			i+1, n, r.Key, r.Type, d.Issue.Status, d.Issue.Priority, due, sp, r.Summary,
			r.Score, a.Score.Moscow, a.Score.Total, a.Score.ClassBasis, a.Score.WhyNow, a.Score.WhyThis, a.Score.WhyUs,
			a.Estimate.Method, a.Estimate.Points, a.Estimate.Low, a.Estimate.High, a.Estimate.Level, a.Estimate.Reason,
			a.Check.Quality, a.Flags, strings.Join(dup, "; "))
	}
}
