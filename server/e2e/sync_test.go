// Package e2e_test runs the whole app against the emulated Jira: signed
// install, activation, full scans, webhooks, write-back and failures.
package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/jiraemu"
)

const (
	epSearch = "POST /rest/api/3/search/jql"
	epMulti  = "POST /rest/api/3/issue/properties/multi"
	epBulk   = "POST /rest/api/3/issue/bulkfetch"
)

// TestActivationScansDemoProject: opening the project page the first time
// activates it; the full scan analyses every issue and writes the property
// back with the bulk endpoint, so JQL on backlogScore works.
func TestActivationScansDemoProject(t *testing.T) {
	for _, driver := range []string{"sqlite", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			e := startEnv(t, envOptions{driver: driver})
			if s := e.status(); s.Active || s.Scan != nil {
				t.Fatalf("project active before activation: %+v", s)
			}
			if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
				t.Fatalf("activate: %d", c)
			}
			s := e.waitScan(60 * time.Second)
			n := e.emu.IssueCount("SHOP")
			if s.Scan.Total != n || s.Scan.Written == 0 {
				t.Errorf("scan %+v, project has %d issues", s.Scan, n)
			}
			var page struct {
				Rows []struct {
					Key    string   `json:"key"`
					Score  int      `json:"score"`
					Moscow string   `json:"moscow"`
					Flags  []string `json:"flags"`
				} `json:"rows"`
				Total int `json:"total"`
			}
			if c := e.api("GET", "/api/projects/SHOP/backlog?limit=500&all=1&subtasks=1", nil, &page); c != 200 || page.Total != n {
				t.Fatalf("backlog: %d, %d rows of %d", c, page.Total, n)
			}
			for i := 1; i < len(page.Rows); i++ {
				if page.Rows[i].Score > page.Rows[i-1].Score {
					t.Fatalf("backlog not ranked at %d", i)
				}
			}
			for _, r := range page.Rows {
				p, ok := e.property(r.Key)
				if !ok {
					t.Fatalf("%s has no backlogai property in Jira", r.Key)
				}
				if p.Score != r.Score || p.Moscow != r.Moscow || p.Version == "" {
					t.Fatalf("%s: property %+v, backlog row %+v", r.Key, p, r)
				}
				raw, ok := e.emu.IssueProperty(r.Key, "com.atlassian.jira.issue:backlogai:backlogai-glance:status")
				if want := fmt.Sprintf(`"label":"%d · %s"`, r.Score, r.Moscow); !ok || !strings.Contains(string(raw), want) {
					t.Fatalf("%s: glance status %s, want %s", r.Key, raw, want)
				}
			}
			// Requests: about N/100 searches and N/100 bulk property calls.
			want := (n+99)/100 + 2
			if got := e.requests(epSearch); got > want {
				t.Errorf("%d search calls for %d issues (want ≤ %d)", got, n, want)
			}
			if got := e.requests(epMulti); got > want {
				t.Errorf("%d bulk property calls for %d issues (want ≤ %d)", got, n, want)
			}
		})
	}
}

func activate(t testing.TB, e *env) status {
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		t.Fatalf("activate: %d", c)
	}
	return e.waitScan(90 * time.Second)
}

// TestWebhookUpdatesProperty: an edit in Jira reaches the app as a signed
// webhook; the issue is re-analysed and its property updated in Jira.
func TestWebhookUpdatesProperty(t *testing.T) {
	e := startEnv(t, envOptions{})
	activate(t, e)
	key := e.goodStory()
	before, ok := e.property(key)
	if !ok {
		t.Fatal("no property after scan")
	}
	// Vague words alone are hints that lower nothing; the placeholder does.
	vague := "Make it fast and easy, etc. TBD"
	if err := e.emu.UserUpdate(key, map[string]any{"summary": vague}, ""); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "property update after the webhook", func() bool {
		p, _ := e.property(key)
		return p.Version != before.Version
	})
	after, _ := e.property(key)
	if after.Quality >= before.Quality {
		t.Errorf("quality %d → %d after a vague rewrite", before.Quality, after.Quality)
	}
	var detail struct {
		Issue struct {
			Summary string `json:"summary"`
		} `json:"issue"`
	}
	e.api("GET", "/api/issues/"+key, nil, &detail)
	if detail.Issue.Summary != vague {
		t.Errorf("stored summary %q", detail.Issue.Summary)
	}
	// A change that does not matter (assignee) is acknowledged, not analysed.
	bulkBefore := e.requests(epBulk)
	if err := e.emu.UserUpdate(key, map[string]any{"assignee": nil}, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := e.requests(epBulk); got != bulkBefore {
		t.Errorf("an irrelevant change caused %d fetches", got-bulkBefore)
	}
}

// TestOverrideWinsAndIsWrittenBack: a person's class wins over the score
// (on an open issue: a done one shows Done whatever its override).
func TestOverrideWinsAndIsWrittenBack(t *testing.T) {
	e := startEnv(t, envOptions{})
	activate(t, e)
	if c := e.api("PUT", "/api/issues/SHOP-7/override", map[string]string{"moscow": "Won't", "reason": "Out of scope this year"}, nil); c != 200 {
		t.Fatalf("override: %d", c)
	}
	waitUntil(t, 20*time.Second, "override in Jira", func() bool {
		p, _ := e.property("SHOP-7")
		return p.Moscow == "Won't"
	})
	if c := e.api("PUT", "/api/issues/SHOP-7/override", map[string]string{"moscow": "Maybe", "reason": "x"}, nil); c != 400 {
		t.Errorf("bad class: %d", c)
	}
	if c := e.api("PUT", "/api/issues/OTHER-1/override", map[string]string{"moscow": "Must", "reason": "x"}, nil); c != 403 {
		t.Errorf("issue of another project: %d", c)
	}
}

// TestRestartMidScanResumes: a scan interrupted by a restart continues
// where it stopped instead of starting over.
func TestRestartMidScanResumes(t *testing.T) {
	o := envOptions{start: cli.StartOptions{PageBudget: 1, AnalyseChunk: 50}}
	e := startEnv(t, o)
	e.emu.SetFaults(jiraemu.Faults{Slow: []jiraemu.SlowRule{{Endpoint: epSearch, Delay: 150 * time.Millisecond}}})
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		t.Fatalf("activate: %d", c)
	}
	waitUntil(t, 30*time.Second, "two pages fetched", func() bool {
		s := e.status()
		return s.Scan != nil && s.Scan.Done >= 200
	})
	dsn := e.cfg.DSN
	// Stop the app only; Jira (the emulator) stays up.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	e.sb.App.Close(ctx)
	cancel()
	fetchedBefore := e.requests(epSearch)
	// Same database, same Jira: a new process picks the scan up.
	e2 := restart(t, e, dsn, o)
	s := e2.waitScan(90 * time.Second)
	n := e.emu.IssueCount("SHOP")
	if s.Scan.Total != n {
		t.Errorf("total %d, want %d", s.Scan.Total, n)
	}
	pages := (n + 99) / 100
	if got := e.requests(epSearch); got > pages+2 {
		t.Errorf("%d searches in all (%d before the restart) for %d pages: the scan started over", got, fetchedBefore, pages)
	}
}

// restart starts a new app process on the same database and emulator.
func restart(t *testing.T, old *env, dsn string, o envOptions) *env {
	cfg := *old.cfg
	cfg.DSN = dsn
	appURL, _ := url.Parse(old.app)
	l := listenOn(t, appURL.Host)
	app, err := cli.Start(context.Background(), withSandboxURLs(&cfg, old), logger(), cli.StartOptions{Listener: l, PageBudget: o.start.PageBudget, AnalyseChunk: o.start.AnalyseChunk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close(context.Background()) })
	return &env{t: t, emu: old.emu, app: app.URL, cfg: &cfg}
}

// Test429StormDuringScan: the scan completes through a storm of 429s.
func Test429StormDuringScan(t *testing.T) {
	e := startEnv(t, envOptions{})
	e.emu.SetFaults(jiraemu.Faults{Throttle: []jiraemu.ThrottleRule{
		{Endpoint: epSearch, Probability: 0.4, RetryAfter: 1},
		{Endpoint: epMulti, Probability: 0.4, RetryAfter: 1},
	}})
	s := activate(t, e)
	n := e.emu.IssueCount("SHOP")
	if s.Scan.Written < n {
		t.Errorf("written %d of %d", s.Scan.Written, n)
	}
	st := e.emu.Stats().ByEndpoint[epSearch]
	if st.ByStatus[429] == 0 {
		t.Fatal("the storm did not happen")
	}
	for _, key := range []string{"SHOP-1", "SHOP-100", "SHOP-250"} {
		if _, ok := e.property(key); !ok {
			t.Errorf("%s not written", key)
		}
	}
}

// TestUninstallDuringScan: work stops at once and nothing more is written.
func TestUninstallDuringScan(t *testing.T) {
	e := startEnv(t, envOptions{start: cli.StartOptions{PageBudget: 1}})
	e.emu.SetFaults(jiraemu.Faults{Slow: []jiraemu.SlowRule{{Endpoint: epSearch, Delay: 200 * time.Millisecond}}})
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		t.Fatalf("activate: %d", c)
	}
	waitUntil(t, 20*time.Second, "scan under way", func() bool { s := e.status(); return s.Scan != nil && s.Scan.Done > 0 })
	secret := e.emu.SharedSecret()
	if err := e.emu.Uninstall(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	writes := e.requests(epMulti) + e.requests("PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}")
	searches := e.requests(epSearch)
	time.Sleep(1500 * time.Millisecond)
	if got := e.requests(epMulti) + e.requests("PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}"); got != writes {
		t.Errorf("%d writes after uninstall", got-writes)
	}
	if got := e.requests(epSearch); got > searches+1 {
		t.Errorf("%d searches after uninstall", got-searches)
	}
	// The app refuses the uninstalled tenant's tokens.
	e.secret = secret
	if c := e.api("GET", "/api/projects/SHOP/status", nil, nil); c != 401 {
		t.Errorf("status after uninstall: %d", c)
	}
}

// TestDeletionRemovesIssueEverywhere: a deletion in Jira removes the issue
// from the results, the backlog and other issues' duplicate candidates.
func TestDeletionRemovesIssueEverywhere(t *testing.T) {
	e := startEnv(t, envOptions{})
	activate(t, e)
	// An issue that is some other issue's duplicate candidate.
	var victim, neighbour string
	var page struct {
		Rows []struct {
			Key string `json:"key"`
		} `json:"rows"`
	}
	e.api("GET", "/api/projects/SHOP/backlog?type=story&limit=50", nil, &page)
	for _, r := range page.Rows {
		var d struct {
			Analysis struct {
				Duplicates []struct {
					Key string `json:"key"`
				} `json:"duplicates"`
			} `json:"analysis"`
		}
		e.api("GET", "/api/issues/"+r.Key, nil, &d)
		if len(d.Analysis.Duplicates) > 0 {
			neighbour, victim = r.Key, d.Analysis.Duplicates[0].Key
			break
		}
	}
	if victim == "" {
		t.Fatal("no duplicate candidates in the demo project")
	}
	var before struct{ Total int }
	e.api("GET", "/api/projects/SHOP/backlog?all=1&subtasks=1&limit=1", nil, &before)
	// Delete it in Jira as a person would (any client; here signed as the app).
	u, _ := url.Parse(e.emu.BaseURL() + "/rest/api/3/issue/" + victim)
	tok, err := connect.OutgoingToken("backlogai", e.emu.SharedSecret(), "DELETE", u, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("DELETE", u.String(), nil)
	req.Header.Set("Authorization", "JWT "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete in Jira: %v %v", err, resp)
	}
	resp.Body.Close()
	waitUntil(t, 20*time.Second, "deletion processed", func() bool {
		var d struct{ Analysed bool }
		e.api("GET", "/api/issues/"+victim, nil, &d)
		return !d.Analysed
	})
	var after struct{ Total int }
	e.api("GET", "/api/projects/SHOP/backlog?all=1&subtasks=1&limit=1", nil, &after)
	if after.Total != before.Total-1 {
		t.Errorf("backlog total %d → %d", before.Total, after.Total)
	}
	var d struct {
		Analysis struct {
			Duplicates []struct {
				Key string `json:"key"`
			} `json:"duplicates"`
		} `json:"analysis"`
	}
	e.api("GET", "/api/issues/"+neighbour, nil, &d)
	for _, c := range d.Analysis.Duplicates {
		if c.Key == victim {
			t.Errorf("%s still lists deleted %s as a duplicate candidate", neighbour, victim)
		}
	}
}

// TestReconciliationCatchesMissedWebhooks: a change whose webhook never
// came is found by the periodic reconciliation (updated >= last sync).
func TestReconciliationCatchesMissedWebhooks(t *testing.T) {
	e := startEnv(t, envOptions{start: cli.StartOptions{NoReconcile: true}})
	activate(t, e)
	key := e.goodStory()
	before, _ := e.property(key)
	e.emu.SetWebhooks(nil) // Jira loses the webhook
	if err := e.emu.UserUpdate(key, map[string]any{"summary": "Make it fast and easy, etc."}, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if p, _ := e.property(key); p.Version != before.Version {
		t.Fatal("the change arrived although the webhook was dropped")
	}
	searches := e.requests(epSearch)
	if err := e.sb.App.Backlog.ReconcileAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "reconciled property", func() bool {
		p, _ := e.property(key)
		return p.Version != before.Version
	})
	if got := e.requests(epSearch) - searches; got > 2 {
		t.Errorf("reconciliation made %d searches; it should ask only for recent changes", got)
	}
}

// TestGlanceNeverStale: the glance page cache must follow every saved
// change, including one that leaves the score and class as they were (an
// override whose reason is edited).
func TestGlanceNeverStale(t *testing.T) {
	e := startEnv(t, envOptions{})
	activate(t, e)
	key := e.goodStory()
	page := func() string {
		u, err := e.emu.SignedIframeURL("/glance", url.Values{"issueKey": {key}, "projectKey": {"SHOP"}}, "557058:pm")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw)
	}
	page() // rendered and cached
	for _, reason := range []string{"first reason R1", "second reason R2"} {
		if c := e.api("PUT", "/api/issues/"+key+"/override", map[string]string{"moscow": "Must", "reason": reason}, nil); c != 200 {
			t.Fatalf("override: %d", c)
		}
		if p := page(); !strings.Contains(p, reason) {
			t.Fatalf("glance does not show %q after the change", reason)
		}
	}
	if strings.Contains(page(), "first reason R1") {
		t.Error("stale reason served from the cache")
	}
}
