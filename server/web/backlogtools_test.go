package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
	"github.com/backlogai/backlogai/server/web"
)

// toolsEnv is the app with user impersonation against the emulated demo
// site, with stored results for some of SHOP's open issues.
type toolsEnv struct {
	t      *testing.T
	h      http.Handler
	emu    *jiraemu.Emulator
	jira   *jira.Client // the app's own view of Jira, to read its order
	secret string
	ranked []string // the seeded issues in BacklogAI's order
}

func newToolsEnv(t *testing.T) *toolsEnv {
	t.Helper()
	ctx := context.Background()
	secret := "tools-test-shared-secret-0123456789"
	emu := jiraemu.New(jiraemu.Options{AppKey: appKey, SharedSecret: secret, Logger: slog.New(slog.DiscardHandler)})
	jsrv := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(jsrv.URL)
	t.Cleanup(func() { jsrv.Close(); emu.Close() })
	st := storetest.Open(t, "sqlite", nil)
	tn, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: emu.ClientKey(), BaseURL: jsrv.URL, SharedSecret: secret, OAuthClientID: emu.OAuthClientID()})
	if err != nil {
		t.Fatal(err)
	}
	clients := &jiraclients.Registry{AppKey: appKey, HTTP: jsrv.Client(),
		Impersonator: &connect.Impersonator{AuthServerURL: emu.AuthServerURL(), HTTP: jsrv.Client()}}
	models := &projectmodel.Cache{Store: st}
	keeper := &backlog.Service{Store: st, AppKey: appKey, JiraClients: clients, Models: models}
	cfg := &config.Config{BaseURL: appBase, AppKey: appKey, DataRetentionDays: 30, Driver: "sqlite"}
	srv, err := web.New(web.Deps{Config: cfg, Store: st, Auth: &connect.JWTAuthenticator{Tenants: st},
		LifecycleAuth: &connect.JWTAuthenticator{Tenants: st, AllowDisabled: true}, Backlog: keeper,
		JiraClients: clients, Models: models, Descriptor: backlogai.DescriptorTemplate, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	jc, err := clients.App(tn)
	if err != nil {
		t.Fatal(err)
	}
	e := &toolsEnv{t: t, h: srv.Handler(), emu: emu, jira: jc, secret: secret}
	// Twelve open issues from the middle of Jira's order get scores that
	// rank them in reverse: applying them changes Jira's order.
	order := e.jiraOrder()
	pick := slices.Clone(order[20:32])
	slices.Reverse(pick)
	var in []store.ResultInput
	for i, k := range pick {
		summary := fmt.Sprintf("Issue %d, with \"quotes\"", i)
		if i == 0 {
			summary = "=HYPERLINK(\"http://evil.example\",\"x\")"
		}
		moscow := domain.MoscowShould
		if i%3 == 0 {
			moscow = domain.MoscowMust
		}
		a := &domain.Analysis{IssueKey: k, Score: domain.Score{Total: float64(90 - i), Moscow: moscow}, Check: domain.CheckResult{Quality: 50 + i}}
		in = append(in, store.ResultInput{Issue: domain.Issue{Key: k, Summary: summary, Type: domain.TypeStory, StatusCat: domain.StatusToDo}, Analysis: a, Hash: k})
	}
	if err := st.Tenant(tn).SaveResults(ctx, "SHOP", in); err != nil {
		t.Fatal(err)
	}
	e.ranked = pick
	return e
}

func (e *toolsEnv) jiraOrder() []string {
	e.t.Helper()
	order, err := e.jira.RankOrder(context.Background(), "SHOP")
	if err != nil {
		e.t.Fatal(err)
	}
	return order
}

func (e *toolsEnv) call(account, method, path string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	ctxJSON, _ := json.Marshal(map[string]any{"jira": map[string]any{"project": map[string]string{"key": "SHOP", "id": "10000"}}})
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: e.emu.ClientKey(), Subject: account,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, QSH: connect.ContextQSH, Context: ctxJSON}, e.secret)
	if err != nil {
		e.t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("Authorization", "JWT "+tok)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

type rankAnswer struct {
	Moves []struct {
		Key      string
		From, To int
	} `json:"moves"`
	Changed int `json:"changed"`
}

func TestApplyRankingInJiraAndUndo(t *testing.T) {
	e := newToolsEnv(t)
	before := e.jiraOrder()
	top := e.ranked[:10]

	// The preview shows the moves and changes nothing.
	w := e.call(jiraemu.DemoMemberID, "GET", "/api/projects/SHOP/rank/preview?top=10", nil)
	var p rankAnswer
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &p) != nil || len(p.Moves) != 10 {
		t.Fatalf("preview: %d %s", w.Code, w.Body)
	}
	if m := p.Moves[0]; m.Key != top[0] || m.From != slices.Index(before, top[0])+1 || m.To != 1 {
		t.Errorf("first move %+v, want %s from %d to 1", m, top[0], slices.Index(before, top[0])+1)
	}
	if !slices.Equal(e.jiraOrder(), before) {
		t.Fatal("preview changed Jira's order")
	}

	// A viewer is refused before Jira is asked to move anything.
	w = e.call(jiraemu.DemoViewerID, "POST", "/api/projects/SHOP/rank/apply", map[string]any{"top": 10})
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "Edit issues") {
		t.Errorf("apply as a viewer: %d %s", w.Code, w.Body)
	}
	// Jira's own refusal (Schedule Issues revoked since the check) is
	// reported as such, and the person acts, not the app.
	e.emu.SetUserPermissions(func(_, _, perm string) bool { return perm != "SCHEDULE_ISSUES" })
	w = e.call(jiraemu.DemoMemberID, "POST", "/api/projects/SHOP/rank/apply", map[string]any{"top": 10})
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "rank_forbidden") {
		t.Errorf("apply without SCHEDULE_ISSUES in Jira: %d %s", w.Code, w.Body)
	}
	e.emu.SetUserPermissions(nil)
	if !slices.Equal(e.jiraOrder(), before) {
		t.Fatal("refused applications changed Jira's order")
	}

	w = e.call(jiraemu.DemoMemberID, "POST", "/api/projects/SHOP/rank/apply", map[string]any{"top": 10})
	if w.Code != 200 {
		t.Fatalf("apply: %d %s", w.Code, w.Body)
	}
	if got := e.jiraOrder(); !slices.Equal(got[:10], top) {
		t.Fatalf("Jira's top 10 after apply: %v, want %v", got[:10], top)
	}
	// Jira recorded the moves as the person, not as the app.
	var last map[string]any
	w = e.call(jiraemu.DemoMemberID, "GET", "/api/projects/SHOP/rank/last", nil)
	if json.Unmarshal(w.Body.Bytes(), &last) != nil || last["accountId"] != jiraemu.DemoMemberID || last["undone"] != false {
		t.Errorf("last application: %s", w.Body)
	}

	w = e.call(jiraemu.DemoProjectAdminID, "POST", "/api/projects/SHOP/rank/undo", nil)
	if w.Code != 200 {
		t.Fatalf("undo: %d %s", w.Code, w.Body)
	}
	if !slices.Equal(e.jiraOrder(), before) {
		t.Fatal("undo did not restore Jira's order")
	}
	if w = e.call(jiraemu.DemoMemberID, "POST", "/api/projects/SHOP/rank/undo", nil); w.Code != http.StatusConflict {
		t.Errorf("second undo: %d %s", w.Code, w.Body)
	}

	// Selected issues, in the order given, go to the top.
	sel := []string{e.ranked[11], e.ranked[10]}
	if w = e.call(jiraemu.DemoMemberID, "POST", "/api/projects/SHOP/rank/apply", map[string]any{"keys": sel}); w.Code != 200 {
		t.Fatalf("apply selected: %d %s", w.Code, w.Body)
	}
	if got := e.jiraOrder(); !slices.Equal(got[:2], sel) {
		t.Errorf("Jira's top 2 after applying the selection: %v, want %v", got[:2], sel)
	}

	if w = e.call("", "GET", "/api/projects/SHOP/rank/preview?top=3", nil); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "anonymous") {
		t.Errorf("anonymous preview: %d %s", w.Code, w.Body)
	}

	// Bad requests name the field.
	for _, tc := range []struct {
		body any
		want string
	}{
		{map[string]any{"top": 0}, "top"},
		{map[string]any{"top": 501}, "top"},
		{map[string]any{"keys": []string{"OPS-1"}}, "keys"},
		{map[string]any{"keys": []string{"SHOP-1"}, "top": 3}, "keys and top"},
	} {
		w := e.call(jiraemu.DemoMemberID, "POST", "/api/projects/SHOP/rank/apply", tc.body)
		if w.Code != 400 || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%v: %d %s, want 400 naming %s", tc.body, w.Code, w.Body, tc.want)
		}
	}
}

func TestExportMatchesTheView(t *testing.T) {
	e := newToolsEnv(t)
	const filters = "moscow=Must&sort=quality&dir=asc"
	var view struct {
		Rows []struct {
			Key     string
			Summary string
			Score   int
			Quality int
		} `json:"rows"`
	}
	w := e.call(jiraemu.DemoMemberID, "GET", "/api/projects/SHOP/backlog?"+filters, nil)
	if err := json.Unmarshal(w.Body.Bytes(), &view); err != nil || len(view.Rows) != 4 {
		t.Fatalf("view: %d rows, %v: %s", len(view.Rows), err, w.Body)
	}

	w = e.call(jiraemu.DemoMemberID, "GET", "/api/projects/SHOP/backlog/export?format=csv&"+filters, nil)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Disposition"), `attachment; filename="SHOP-backlog-`) ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 1+len(view.Rows) || recs[0][1] != "key" {
		t.Fatalf("csv records %v %v", recs, err)
	}
	for i, r := range view.Rows {
		got := recs[i+1]
		if got[0] != fmt.Sprint(i+1) || got[1] != r.Key || got[4] != fmt.Sprint(r.Score) || got[6] != fmt.Sprint(r.Quality) {
			t.Errorf("csv row %d = %v, view has %+v", i+1, got, r)
		}
		wantSummary := r.Summary
		if strings.HasPrefix(wantSummary, "=") {
			wantSummary = "'" + wantSummary // formula guard
		}
		if got[2] != wantSummary {
			t.Errorf("csv summary %q, want %q", got[2], wantSummary)
		}
	}
	if !strings.Contains(w.Body.String(), `'=HYPERLINK(`) {
		t.Error("the formula summary was not guarded")
	}

	w = e.call(jiraemu.DemoMemberID, "GET", "/api/projects/SHOP/backlog/export?format=json&"+filters, nil)
	var js struct {
		Filters map[string]string
		Rows    []struct {
			Rank int
			Key  string
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &js); err != nil || len(js.Rows) != len(view.Rows) || js.Filters["moscow"] != "Must" {
		t.Fatalf("json export: %v %s", err, w.Body)
	}
	for i, r := range view.Rows {
		if js.Rows[i].Key != r.Key || js.Rows[i].Rank != i+1 {
			t.Errorf("json row %d = %+v, view has %s", i, js.Rows[i], r.Key)
		}
	}
	if w = e.call(jiraemu.DemoMemberID, "GET", "/api/projects/SHOP/backlog/export?format=xlsx", nil); w.Code != 400 || !strings.Contains(w.Body.String(), "format") {
		t.Errorf("bad format: %d %s", w.Code, w.Body)
	}
}

func TestCSVFormulaGuard(t *testing.T) {
	for _, s := range []string{"=1+1", "+1", "-1", "@SUM(A1)", "\t=1"} {
		if got := web.CSVSafe(s); got != "'"+s {
			t.Errorf("CSVSafe(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"", "plain", "1-2", "a=b"} {
		if got := web.CSVSafe(s); got != s {
			t.Errorf("CSVSafe(%q) = %q, want unchanged", s, got)
		}
	}
}

func TestSavedViewsAPI(t *testing.T) {
	e := newToolsEnv(t)
	alice, bob := jiraemu.DemoMemberID, jiraemu.DemoProjectAdminID
	w := e.call(alice, "POST", "/api/projects/SHOP/views", map[string]string{"name": "Musts by quality", "query": "moscow=Must&sort=quality"})
	var v struct {
		ID    int64
		Name  string
		Query string
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &v) != nil || v.ID == 0 {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	list := func(who string) []string {
		var out struct{ Views []struct{ Name string } }
		w := e.call(who, "GET", "/api/projects/SHOP/views", nil)
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("list: %d %s", w.Code, w.Body)
		}
		var names []string
		for _, x := range out.Views {
			names = append(names, x.Name)
		}
		return names
	}
	if got := list(alice); !slices.Equal(got, []string{"Musts by quality"}) {
		t.Errorf("alice's views %v", got)
	}
	if got := list(bob); len(got) != 0 {
		t.Errorf("bob sees %v", got)
	}
	if w := e.call(bob, "DELETE", fmt.Sprintf("/api/projects/SHOP/views/%d", v.ID), nil); w.Code != 404 {
		t.Errorf("bob deletes alice's view: %d", w.Code)
	}
	if w := e.call(alice, "POST", "/api/projects/SHOP/views", map[string]string{"name": " ", "query": ""}); w.Code != 400 || !strings.Contains(w.Body.String(), "name") {
		t.Errorf("empty name: %d %s", w.Code, w.Body)
	}
	if w := e.call("", "GET", "/api/projects/SHOP/views", nil); w.Code != 403 {
		t.Errorf("anonymous: %d", w.Code)
	}
	if w := e.call(alice, "DELETE", fmt.Sprintf("/api/projects/SHOP/views/%d", v.ID), nil); w.Code != 204 {
		t.Errorf("delete: %d %s", w.Code, w.Body)
	}
	if got := list(alice); len(got) != 0 {
		t.Errorf("after delete %v", got)
	}
}
