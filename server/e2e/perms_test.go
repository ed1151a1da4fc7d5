package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// jiraIssue reads an issue's summary and links from the emulated Jira (as
// the app), to see what a refused write left.
func (e *env) jiraIssue(key string) (summary string, links int) {
	e.t.Helper()
	u, _ := url.Parse(e.emu.BaseURL() + "/rest/api/3/issue/" + key + "?fields=summary,issuelinks")
	tok, err := connect.OutgoingToken("backlogai", e.emu.SharedSecret(), "GET", u, "", time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", u.String(), nil)
	req.Header.Set("Authorization", "JWT "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var is struct {
		Fields struct {
			Summary    string `json:"summary"`
			IssueLinks []any  `json:"issuelinks"`
		} `json:"fields"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &is); err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("read %s in Jira: %d %v", key, resp.StatusCode, err)
	}
	return is.Fields.Summary, len(is.Fields.IssueLinks)
}

// errorCode is the code of the app's JSON error body.
func errorCode(raw []byte) string {
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	json.Unmarshal(raw, &b)
	return b.Error.Code
}

// TestPermissionsOnEveryWrite reproduces finding 1 of issue 11: writes ran
// as the app for anyone. Each write is tried by a person without the Jira
// permission it needs (refused with 403, nothing changed in Jira) and by
// one with it (done).
func TestPermissionsOnEveryWrite(t *testing.T) {
	e := startGenEnv(t, nil) // no LLM: deterministic drafts
	activate(t, e)
	const (
		viewer  = jiraemu.DemoViewerID
		member  = jiraemu.DemoMemberID
		padmin  = jiraemu.DemoProjectAdminID
		sadmin  = jiraemu.DemoSiteAdminID
		victim  = "SHOP-20"
		another = "SHOP-21"
	)
	expect := func(name string, code int, raw []byte, want int, wantCode string) {
		t.Helper()
		if code != want || (wantCode != "" && errorCode(raw) != wantCode) {
			t.Errorf("%s: %d %.300s, want %d %s", name, code, raw, want, wantCode)
		}
	}

	// improve/apply: a viewer may not edit SHOP-20; SHOP-20 is unchanged.
	before, _ := e.jiraIssue(victim)
	apply := map[string]string{"summary": "As a shopper, I want a hijacked summary so that it shows", "description": "Changed by a viewer."}
	c, raw := e.apiAs(viewer, "POST", "/api/issues/"+victim+"/improve/apply", apply)
	expect("improve/apply by a viewer", c, raw, 403, "permission_denied")
	if !strings.Contains(string(raw), "Edit issues") {
		t.Errorf("the refusal does not name the permission: %s", raw)
	}
	if now, _ := e.jiraIssue(victim); now != before {
		t.Errorf("SHOP-20 changed by a viewer: %q -> %q", before, now)
	}
	c, raw = e.apiAs(member, "POST", "/api/issues/"+victim+"/improve/apply", apply)
	expect("improve/apply by a member", c, raw, 200, "")
	if now, _ := e.jiraIssue(victim); now != apply["summary"] {
		t.Errorf("SHOP-20 after the member's apply: %q", now)
	}

	// link-duplicate: a token without sub (an anonymous viewer) is refused.
	_, linksBefore := e.jiraIssue(another)
	link := map[string]string{"other": "SHOP-22"}
	c, raw = e.apiAs("", "POST", "/api/issues/"+another+"/link-duplicate", link)
	expect("link-duplicate without sub", c, raw, 403, "anonymous")
	c, raw = e.apiAs(viewer, "POST", "/api/issues/"+another+"/link-duplicate", link)
	expect("link-duplicate by a viewer", c, raw, 403, "permission_denied")
	if _, n := e.jiraIssue(another); n != linksBefore {
		t.Errorf("links of %s: %d -> %d after refused calls", another, linksBefore, n)
	}
	c, raw = e.apiAs(member, "POST", "/api/issues/"+another+"/link-duplicate", link)
	expect("link-duplicate by a member", c, raw, 201, "")
	if _, n := e.jiraIssue(another); n != linksBefore+1 {
		t.Errorf("links of %s after the member's link: %d, want %d", another, n, linksBefore+1)
	}

	// split/apply creates issues and edits the original.
	count := e.emu.IssueCount("SHOP")
	stories := map[string]any{"stories": []map[string]string{
		{"summary": "As a shopper, I want to save my cart so that I can buy later", "description": "Given a cart\nWhen I leave\nThen it is kept"},
		{"summary": "As a shopper, I want to share my cart so that a friend can pay", "description": "Given a cart\nWhen I share it\nThen a link is made"}}}
	c, raw = e.apiAs(viewer, "POST", "/api/issues/SHOP-23/split/apply", stories)
	expect("split/apply by a viewer", c, raw, 403, "permission_denied")
	if n := e.emu.IssueCount("SHOP"); n != count {
		t.Errorf("a viewer's split created %d issues", n-count)
	}
	c, raw = e.apiAs(member, "POST", "/api/issues/SHOP-23/split/apply", stories)
	expect("split/apply by a member", c, raw, 201, "")

	// Generation and drafts: create permission.
	form := map[string]any{"context": "ShopFlow runs online stores.", "objective": "Fewer abandoned carts", "count": 1, "research": false}
	c, raw = e.apiAs(viewer, "POST", "/api/projects/SHOP/generate", form)
	expect("generate by a viewer", c, raw, 403, "permission_denied")
	draft, _ := e.someDraft(t) // as the harness's user, a member
	draftID, _ := strconv.ParseInt(draft, 10, 64)
	c, raw = e.apiAs(viewer, "PUT", "/api/drafts/"+draft, map[string]any{"title": "Changed by a viewer"})
	expect("edit draft by a viewer", c, raw, 403, "permission_denied")
	count = e.emu.IssueCount("SHOP")
	c, raw = e.apiAs(viewer, "POST", "/api/projects/SHOP/drafts/create", map[string]any{"ids": []int64{draftID}})
	expect("drafts/create by a viewer", c, raw, 403, "permission_denied")
	if n := e.emu.IssueCount("SHOP"); n != count {
		t.Errorf("a viewer's drafts/create created %d issues", n-count)
	}
	c, raw = e.apiAs(member, "POST", "/api/projects/SHOP/drafts/create", map[string]any{"ids": []int64{draftID}})
	expect("drafts/create by a member", c, raw, 200, "")
	if n := e.emu.IssueCount("SHOP"); n != count+1 {
		t.Errorf("the member's drafts/create created %d issues, want 1", n-count)
	}

	// Overrides: edit permission.
	ov := map[string]string{"moscow": "Must", "reason": "Contract signed"}
	c, raw = e.apiAs(viewer, "PUT", "/api/issues/SHOP-24/override", ov)
	expect("override by a viewer", c, raw, 403, "permission_denied")
	c, raw = e.apiAs(viewer, "DELETE", "/api/issues/SHOP-24/override", nil)
	expect("clear override by a viewer", c, raw, 403, "permission_denied")
	c, raw = e.apiAs(member, "PUT", "/api/issues/SHOP-24/override", ov)
	expect("override by a member", c, raw, 200, "")
	c, raw = e.apiAs(member, "DELETE", "/api/issues/SHOP-24/override", nil)
	expect("clear override by a member", c, raw, 200, "")

	// Strategy re-scores and writes back every issue: project admins only.
	st := map[string]any{"vision": "Checkout first", "weights": []float64{5, 1, 1, 1, 1}}
	c, raw = e.apiAs(member, "PUT", "/api/projects/SHOP/strategy", st)
	expect("strategy by a member", c, raw, 403, "permission_denied")
	var saved struct{ Vision string }
	e.api("GET", "/api/projects/SHOP/strategy", nil, &saved)
	if saved.Vision == "Checkout first" {
		t.Error("a member's strategy was saved")
	}
	for _, who := range []string{padmin, sadmin} {
		c, raw = e.apiAs(who, "PUT", "/api/projects/SHOP/strategy", st)
		expect("strategy by "+who, c, raw, 200, "")
	}

	// Reads stay open to the viewer.
	for _, path := range []string{"/api/projects/SHOP/backlog", "/api/projects/SHOP/strategy", "/api/issues/SHOP-20", "/api/projects/SHOP/health"} {
		if c, raw = e.apiAs(viewer, "GET", path, nil); c != 200 {
			t.Errorf("viewer reads %s: %d %s", path, c, raw)
		}
	}
	if c, raw = e.apiAs(viewer, "POST", "/api/projects/SHOP/rerank", map[string]any{"weights": []float64{1, 1, 1, 1, 5}}); c != 200 {
		t.Errorf("viewer previews a re-rank (saves nothing): %d %s", c, raw)
	}
}

// TestPermissionCheckFailsClosed: when Jira does not answer the check, the
// write is refused with 503 (not 403, and not done).
func TestPermissionCheckFailsClosed(t *testing.T) {
	e := startGenEnv(t, nil)
	for _, status := range []int{500, 429, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			rule := jiraemu.Faults{Errors: []jiraemu.ErrorRule{{Endpoint: "/rest/api/3/permissions/check", Status: status}}}
			if status == 429 {
				rule = jiraemu.Faults{Throttle: []jiraemu.ThrottleRule{{Endpoint: "/rest/api/3/permissions/check", Probability: 1}}}
			}
			e.emu.SetFaults(rule)
			defer e.emu.SetFaults(jiraemu.Faults{})
			before, _ := e.jiraIssue("SHOP-30")
			// A fresh account each time: nothing cached.
			who := fmt.Sprintf("557058:fresh-%d", status)
			c, raw := e.apiAs(who, "POST", "/api/issues/SHOP-30/improve/apply", map[string]string{"summary": "Changed while Jira was down", "description": "x"})
			if c != http.StatusServiceUnavailable || errorCode(raw) != "permission_check_unavailable" {
				t.Errorf("Jira %d on the check: %d %s", status, c, raw)
			}
			if now, _ := e.jiraIssue("SHOP-30"); now != before {
				t.Errorf("SHOP-30 changed without a permission check: %q", now)
			}
		})
	}
}

// TestRescanAdminsOnlyAndDebounced reproduces finding 7 of issue 11: 20
// rescans in a row started a scan each. Now only project admins may
// rescan, and a rescan while a scan is queued or running returns it.
func TestRescanAdminsOnlyAndDebounced(t *testing.T) {
	e := startEnv(t, envOptions{})
	activate(t, e)
	type rescanResp struct {
		State   string `json:"state"`
		Started bool   `json:"started"`
		Scan    struct {
			StartedAt string `json:"startedAt"`
		} `json:"scan"`
	}
	rescan := func(who string) (int, rescanResp, []byte) {
		c, raw := e.apiAs(who, "POST", "/api/projects/SHOP/rescan", nil)
		var r rescanResp
		json.Unmarshal(raw, &r)
		return c, r, raw
	}
	if c, _, raw := rescan(jiraemu.DemoMemberID); c != 403 || errorCode(raw) != "permission_denied" {
		t.Errorf("rescan by a member: %d %s", c, raw)
	}
	if c, _, raw := rescan(""); c != 403 || errorCode(raw) != "anonymous" {
		t.Errorf("rescan without sub: %d %s", c, raw)
	}
	// Activating an active project again starts nothing either.
	e.emu.ResetStats()
	if c, raw := e.apiAs(jiraemu.DemoMemberID, "POST", "/api/projects/SHOP/activate", nil); c != 200 {
		t.Errorf("activate again: %d %s", c, raw)
	}

	// One scan, for reference: its number of searches.
	if c, r, raw := rescan(jiraemu.DemoProjectAdminID); c != 202 || !r.Started {
		t.Fatalf("rescan by the project admin: %d %s", c, raw)
	}
	e.waitScan(60 * time.Second)
	one := e.requests(epSearch)
	if one == 0 {
		t.Fatal("a scan made no search")
	}

	// 20 in a row while the searches are slow (the scan is still running).
	e.emu.SetFaults(jiraemu.Faults{Slow: []jiraemu.SlowRule{{Endpoint: "/rest/api/3/search/jql", Delay: 150 * time.Millisecond}}})
	e.emu.ResetStats()
	var first rescanResp
	for i := range 20 {
		c, r, raw := rescan(jiraemu.DemoProjectAdminID)
		if c != 202 || r.State != "running" {
			t.Fatalf("rescan %d: %d %s", i, c, raw)
		}
		if i == 0 {
			first = r
			if !r.Started {
				t.Fatalf("the first rescan started nothing: %s", raw)
			}
		} else if r.Started || r.Scan.StartedAt != first.Scan.StartedAt {
			t.Errorf("rescan %d started another scan: %s", i, raw)
		}
	}
	e.waitScan(60 * time.Second)
	e.emu.SetFaults(jiraemu.Faults{})
	got := e.requests(epSearch)
	t.Logf("one scan: %d searches; 20 rescans in a row: %d", one, got)
	if got != one {
		t.Errorf("20 rescans made %d searches; one scan makes %d", got, one)
	}
}
