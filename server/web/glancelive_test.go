package web_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// TestGlanceVersion: the glance page and panel carry the stored
// analysis's version; the version endpoint answers it from one query and
// changes when a new analysis is stored; it is scoped to the page's
// issue and the caller's tenant.
func TestGlanceVersion(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	issues := demoIssues(now)
	u.seedAnalysed(issues, now)
	version := func() string {
		w := u.api("GET", "/api/issues/SHOP-2/version", "", "SHOP-2", nil)
		var v struct{ Version string }
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &v) != nil {
			t.Fatalf("version: %d %s", w.Code, w.Body)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		return v.Version
	}
	v1 := version()
	if v1 == "" {
		t.Fatal("no version for an analysed issue")
	}
	page := u.page("/glance?issueKey=SHOP-2&projectKey=SHOP").Body.String()
	if m := regexp.MustCompile(`data-version="([^"]*)"`).FindStringSubmatch(page); m == nil || m[1] != v1 {
		t.Fatalf("page data-version %v, endpoint %q", m, v1)
	}
	// A new analysis (the summary was edited) is a new version, on the
	// page (not the cached render) and in the panel.
	time.Sleep(5 * time.Millisecond)
	issues[1].Summary = "As a shopper, I want to filter my orders by date, so that I find an old order"
	p := analysis.NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	a, _ := p.Analyse("SHOP-2", nil)
	if err := u.ts.SaveResults(context.Background(), "SHOP", []store.ResultInput{{Issue: issues[1], Analysis: &a, Hash: "h-SHOP-2-edited"}}); err != nil {
		t.Fatal(err)
	}
	v2 := version()
	if v2 == v1 || v2 == "" {
		t.Fatalf("version after a new analysis: %q (before %q)", v2, v1)
	}
	if page := u.page("/glance?issueKey=SHOP-2&projectKey=SHOP").Body.String(); !strings.Contains(page, `data-version="`+v2+`"`) {
		t.Error("the page still carries the old version")
	}
	w := u.api("GET", "/api/issues/SHOP-2/panel", "", "SHOP-2", nil)
	var pn struct{ Version, HTML string }
	if json.Unmarshal(w.Body.Bytes(), &pn); pn.Version != v2 || !strings.Contains(pn.HTML, `data-testid="glance-score"`) {
		t.Errorf("panel version %q, want %q", pn.Version, v2)
	}
	// Not analysed: no version. Another project's issue: refused.
	if w := u.api("GET", "/api/issues/SHOP-99/version", "", "SHOP-99", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"version":""`) {
		t.Errorf("unknown issue: %d %s", w.Code, w.Body)
	}
	if w := u.api("GET", "/api/issues/OPS-2/version", "", "SHOP-2", nil); w.Code != 403 {
		t.Errorf("version of another project's issue: %d", w.Code)
	}
}

// TestGlanceOffersQuestions: a finding with a question shows it with an
// Answer button naming the finding; hints get one too (vague words).
func TestGlanceOffersQuestions(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	u.seedAnalysed(demoIssues(now), now)
	page := u.page("/glance?issueKey=SHOP-2&projectKey=SHOP").Body.String()
	for _, want := range []string{`data-testid="finding-question"`, `data-action="answer"`, `data-finding-id="vague_term:summary:`,
		`What does &#39;quickly&#39; mean here: a time limit?`, `data-finding-id="missing_acceptance_criteria"`,
		`aria-label="Answer: How will you know it is done: what can the shopper see or do?"`} {
		if !strings.Contains(page, want) {
			t.Errorf("glance lacks %s in %s", want, regexp.MustCompile(`data-finding-id="[^"]*"|finding-question-text">[^<]*`).FindAllString(page, -1))
		}
	}
}

// TestOverrideReasonRefusalsNameTheField: the reason is refused by name
// when missing or over its limit, never cut silently.
func TestOverrideReasonRefusalsNameTheField(t *testing.T) {
	e := newSettingsEnv(t)
	tests := []struct{ reason, want string }{
		{"  ", "reason: give a reason"},
		{strings.Repeat("é", 2001), "reason: at most 2,000 characters (this one has 2,001)"},
	}
	for _, tc := range tests {
		code, body := e.call(shopAdmin, "PUT", "/api/issues/SHOP-2/override", "SHOP", map[string]string{"moscow": "Must", "reason": tc.reason})
		if code != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("reason %.10q: %d %s, want 400 with %q", tc.reason, code, body, tc.want)
		}
	}
}

// TestErrorPageReferenceOnlyOnServerFaults: a refused page request (4xx)
// shows the message without a reference; nothing there to quote to
// support.
func TestErrorPageReferenceOnlyOnServerFaults(t *testing.T) {
	u := newUIEnv(t, false)
	w := u.page("/glance?issueKey=bad!&projectKey=SHOP")
	body := w.Body.String()
	if w.Code != 400 || !strings.Contains(body, "valid issueKey") || strings.Contains(body, "Reference") {
		t.Errorf("%d %s", w.Code, body)
	}
}
