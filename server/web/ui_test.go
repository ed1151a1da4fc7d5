package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
	"github.com/backlogai/backlogai/server/web"
)

// uiEnv is the app's handler on a real SQLite store with one installed
// tenant (seeded directly) whose results the tests write.
type uiEnv struct {
	t  testing.TB
	h  http.Handler
	st *store.Store
	ts *store.TenantStore
	tn *domain.Tenant
}

const uiSecret = "ui-test-shared-secret"

func newUIEnv(t testing.TB, sandbox bool) *uiEnv {
	t.Helper()
	st := storetest.Open(t, "sqlite", nil)
	tn, err := st.SaveInstallation(context.Background(), &domain.Tenant{ClientKey: clientKey, BaseURL: jiraBase, DisplayURL: jiraBase, SharedSecret: uiSecret})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{BaseURL: appBase, AppKey: appKey, DataRetentionDays: 30, Sandbox: sandbox, Driver: "sqlite"}
	srv, err := web.New(web.Deps{
		Config:        cfg,
		Store:         st,
		Auth:          &connect.JWTAuthenticator{Tenants: st},
		LifecycleAuth: &connect.JWTAuthenticator{Tenants: st, AllowDisabled: true},
		Descriptor:    backlogai.DescriptorTemplate,
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &uiEnv{t: t, h: srv.Handler(), st: st, ts: st.Tenant(tn), tn: tn}
}

// page requests a module page as Jira loads it: the URL signed with a qsh
// of itself.
func (u *uiEnv) page(target string) *httptest.ResponseRecorder {
	tok := hsTokenTB(u.t, uiSecret, "GET", target, "")
	w := httptest.NewRecorder()
	u.h.ServeHTTP(w, httptest.NewRequest("GET", target+"&jwt="+tok, nil))
	return w
}

// api calls the app API with a context token issued for a page of project
// (and issue, for the glance).
func (u *uiEnv) api(method, path, project, issue string, body any) *httptest.ResponseRecorder {
	jc := map[string]any{"project": map[string]string{"key": project, "id": "10000"}}
	if issue != "" {
		jc = map[string]any{"issue": map[string]string{"key": issue}}
	}
	ctxJSON, _ := json.Marshal(map[string]any{"jira": jc})
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: clientKey, Subject: "557058:pm",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, QSH: connect.ContextQSH, Context: ctxJSON}, uiSecret)
	if err != nil {
		u.t.Fatal(err)
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
	u.h.ServeHTTP(w, r)
	return w
}

func hsTokenTB(t testing.TB, secret, method, target, qsh string) string {
	if qsh == "" {
		u, _ := http.NewRequest(method, target, nil)
		var err error
		if qsh, err = connect.QSHForURL(method, u.URL, ""); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: clientKey, Subject: "557058:pm",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, QSH: qsh}, secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (u *uiEnv) activate(project string) {
	u.t.Helper()
	ctx := context.Background()
	if _, err := u.ts.EnsureProject(ctx, project, "10000", project); err != nil {
		u.t.Fatal(err)
	}
	if err := u.ts.SetProjectActive(ctx, project, true); err != nil {
		u.t.Fatal(err)
	}
}

// demoIssues are stories, bugs and tasks of a small shop, with a near
// duplicate pair, vague words, non-ASCII text and estimated history.
func demoIssues(now time.Time) []domain.Issue {
	pts := func(v float64) *float64 { return &v }
	base := []domain.Issue{
		{Key: "SHOP-1", Type: domain.TypeStory, Summary: "As a shopper, I want to filter orders by date so that I find last month's order quickly",
			Description: "Given I am signed in\nWhen I pick a date range\nThen only orders in that range are listed", Votes: 12, Watchers: 4, Labels: []string{"customer"}, Priority: "High"},
		{Key: "SHOP-2", Type: domain.TypeStory, Summary: "As a shopper I want to filter my orders by date so that I find an old order quickly",
			Description: "Orders list needs a date filter. Should be fast and easy etc.", Votes: 2},
		{Key: "SHOP-3", Type: domain.TypeBug, Summary: "Checkout shows a blank page when the cart is empty", Description: "Steps: empty the cart, open checkout.", Priority: "Highest"},
		{Key: "SHOP-4", Type: domain.TypeStory, Summary: "Als Käufer möchte ich schnell 📦 bezahlen können, damit ich Zeit spare",
			Description: "Die Zahlung soll einfach und schnell sein. Ünd noch etwas TBD."},
		{Key: "SHOP-5", Type: domain.TypeTask, Summary: "Upgrade the database driver", Description: "Needed for the new TLS settings.", StoryPoints: pts(3), StatusCat: domain.StatusDone},
		{Key: "SHOP-6", Type: domain.TypeStory, Summary: "As a merchant, I want to export invoices so that finance can close the month", StoryPoints: pts(5), StatusCat: domain.StatusDone},
		{Key: "SHOP-7", Type: domain.TypeStory, Summary: "As a merchant, I want to bulk edit product prices and tags and images so that I save time", Votes: 30},
		{Key: "SHOP-8", Type: domain.TypeStory, Summary: "As a store owner, I want to see stale carts so that I can email shoppers", StoryPoints: pts(2), StatusCat: domain.StatusDone},
	}
	for i := range base {
		base[i].ID = fmt.Sprint(10000 + i)
		base[i].ProjectKey = "SHOP"
		if base[i].StatusCat == "" {
			base[i].StatusCat = domain.StatusToDo
		}
		base[i].Created = now.AddDate(0, -i, -3)
		base[i].Updated = now.AddDate(0, 0, -10*i)
	}
	base[6].Updated = now.AddDate(0, 0, -200) // stale
	// Duplicates are filed close together: SHOP-2 two days after SHOP-1.
	base[1].Created = base[0].Created.Add(48 * time.Hour)
	return base
}

// seedAnalysed runs the real engine over issues and stores the results.
func (u *uiEnv) seedAnalysed(issues []domain.Issue, now time.Time) map[string]domain.Analysis {
	u.t.Helper()
	p := analysis.NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	out := map[string]domain.Analysis{}
	var in []store.ResultInput
	for _, is := range issues {
		a, ok := p.Analyse(is.Key, nil)
		if !ok {
			u.t.Fatalf("analyse %s", is.Key)
		}
		out[is.Key] = a
		in = append(in, store.ResultInput{Issue: is, Analysis: &a, Hash: "h-" + is.Key})
	}
	if err := u.ts.SaveResults(context.Background(), "SHOP", in); err != nil {
		u.t.Fatal(err)
	}
	return out
}

func TestPagesRenderWithHeadersAndLandmarks(t *testing.T) {
	now := time.Now().UTC()
	cases := []struct {
		name    string
		sandbox bool
		setup   func(u *uiEnv)
		target  string
		want    []string
	}{
		{"glance before activation", false, nil, "/glance?issueKey=SHOP-1&projectKey=SHOP",
			[]string{`<main id="glance"`, `data-state="inactive"`, `data-testid="glance-activate"`, `aria-live="polite"`, "not active in SHOP yet"}},
		{"glance before analysis", false, func(u *uiEnv) { u.activate("SHOP") }, "/glance?issueKey=SHOP-1&projectKey=SHOP",
			[]string{`data-state="pending"`, "SHOP-1 is not analysed yet", "refreshes on its own"}},
		{"glance analysed", false, func(u *uiEnv) { u.activate("SHOP"); u.seedAnalysed(demoIssues(now), now) }, "/glance?issueKey=SHOP-1&projectKey=SHOP",
			[]string{`data-state="analysed"`, `data-testid="glance-score"`, "User Value", "Technical Reality", `data-testid="invest-letter"`,
				`data-testid="glance-why-now"`, `data-testid="action-improve"`, `data-testid="action-split"`, `data-testid="action-override"`,
				`data-testid="estimate-none"`, "Not enough signal for a suggestion: too little history"}},
		// Split is offered on stories only: SHOP-3 is a bug.
		{"glance of a bug", false, func(u *uiEnv) { u.activate("SHOP"); u.seedAnalysed(demoIssues(now), now) }, "/glance?issueKey=SHOP-3&projectKey=SHOP",
			[]string{`data-state="analysed"`, `data-testid="action-improve"`, "!" + `data-testid="action-split"`}},
		{"project before activation", false, nil, "/project?projectKey=SHOP&projectId=10000",
			[]string{`<main id="main"`, `role="tablist"`, `role="tabpanel"`, `aria-selected="true"`, `data-testid="scan-status"`, `class="skeleton-row"`,
				`aria-live="polite"`, `id="bai-data"`, `"active":false`}},
		{"project active", false, func(u *uiEnv) { u.activate("SHOP"); u.seedAnalysed(demoIssues(now), now) }, "/project?projectKey=SHOP&projectId=10000",
			[]string{`"key":"SHOP-1"`, `"total":`, `class="skeleton-row"`, `type="module" src="/static/`, `rel="modulepreload"`, "!" + `data-testid="backlog-row"`,
				`aria-sort="descending"`, `"active":true`, `data-testid="weight-user_value"`,
				`<caption class="visually-hidden">Ranked backlog of SHOP</caption>`}},
		{"sandbox project", true, nil, "/project?projectKey=SHOP&projectId=10000", []string{`src="/sandbox/ap-shim.js"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUIEnv(t, tc.sandbox)
			if tc.setup != nil {
				tc.setup(u)
			}
			w := u.page(tc.target)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			h := w.Header()
			if h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
			}
			if csp := h.Get("Content-Security-Policy"); csp != "frame-ancestors "+jiraBase {
				t.Errorf("CSP header %q", csp)
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
			body := w.Body.String()
			if !utf8.ValidString(body) {
				t.Error("page is not valid UTF-8")
			}
			for _, s := range append(tc.want, `<html lang="en">`, `http-equiv="Content-Security-Policy"`, "script-src 'self'", "object-src 'none'") {
				if absent, ok := strings.CutPrefix(s, "!"); ok {
					if strings.Contains(body, absent) {
						t.Errorf("page has %q", absent)
					}
					continue
				}
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			allJS := strings.Contains(body, `src="https://connect-cdn.atl-paas.net/all.js"`)
			if allJS == tc.sandbox {
				t.Errorf("all.js included: %v in sandbox mode %v", allJS, tc.sandbox)
			}
			if !tc.sandbox && strings.Contains(body, "ap-shim") {
				t.Error("the sandbox shim is loaded in production mode")
			}
			// Every static URL is hashed.
			for _, m := range regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(body, -1) {
				if !regexp.MustCompile(`^/static/[0-9a-f]{12}/[a-z.]+$`).MatchString(m[1]) {
					t.Errorf("static URL without hash: %s", m[1])
				}
			}
		})
	}
}

func TestPageRefusals(t *testing.T) {
	u := newUIEnv(t, false)
	for _, target := range []string{
		"/glance?issueKey=OPS-1&projectKey=SHOP",
		"/glance?issueKey=bad%20key&projectKey=SHOP",
		"/project?projectKey=SH%3COP&projectId=1",
		"/project?projectKey=SHOP&projectId=abc",
	} {
		w := u.page(target)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", target, w.Code, w.Header().Get("Content-Type"))
		}
	}
	// Unsigned: 401 with the HTML error page, nothing rendered.
	w := httptest.NewRecorder()
	u.h.ServeHTTP(w, httptest.NewRequest("GET", "/glance?issueKey=SHOP-1&projectKey=SHOP", nil))
	if w.Code != 401 || strings.Contains(w.Body.String(), "glance-panel") {
		t.Errorf("unsigned glance: %d", w.Code)
	}
}

func TestGlanceShowsTheAnalysis(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	got := u.seedAnalysed(demoIssues(now), now)
	a := got["SHOP-2"]
	body := u.page("/glance?issueKey=SHOP-2&projectKey=SHOP").Body.String()
	want := []string{
		fmt.Sprintf(`<span class="visually-hidden">Score </span>%d<span`, int(a.Score.Total)),
		`data-testid="glance-moscow">` + string(a.Score.Moscow) + "<",
	}
	for _, p := range a.Score.Pillars {
		want = append(want, `data-pillar="`+string(p.Name)+`"`)
	}
	for _, l := range []string{"I", "N", "V", "E", "S", "T"} {
		st := a.Check.Letters[l]
		if st == "" {
			st = "pass"
		}
		want = append(want, fmt.Sprintf(`data-letter="%s" data-state="%s"`, l, st))
	}
	marks := 0
	for _, f := range a.Check.Findings {
		want = append(want, `data-code="`+f.Code+`"`)
		if f.Span != nil && f.Span.End > f.Span.Start {
			marks++
		}
	}
	if marks == 0 {
		t.Fatalf("SHOP-2 has no finding with a span: %+v", a.Check.Findings)
	}
	if len(a.Duplicates) == 0 || a.Duplicates[0].Key != "SHOP-1" {
		t.Fatalf("SHOP-2's duplicates: %+v", a.Duplicates)
	}
	want = append(want, `data-other="SHOP-1"`, fmt.Sprintf("%d%% similar", int(a.Duplicates[0].Similarity*100+0.5)))
	done := 0
	for _, d := range a.Duplicates {
		if d.Band != "" {
			want = append(want, `data-testid="duplicate-band">`+d.Band+"<")
		}
		if d.Done {
			done++
		}
	}
	if strings.Count(body, `data-testid="duplicate-done"`) != done { // a done related candidate: TestGlanceListsOnlyBandedDuplicates
		t.Errorf("glance marks %d candidates already done, want %d (%+v)", strings.Count(body, `data-testid="duplicate-done"`), done, a.Duplicates)
	}
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("glance lacks %q", s)
		}
	}
	if n := strings.Count(body, `data-testid="finding-mark"`); n != marks {
		t.Errorf("%d marked spans, want %d", n, marks)
	}
	// The panel endpoint renders the same content.
	w := u.api("GET", "/api/issues/SHOP-2/panel", "", "SHOP-2", nil)
	var p struct{ State, HTML string }
	json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != 200 || p.State != "analysed" || !strings.Contains(p.HTML, `data-other="SHOP-1"`) {
		t.Errorf("panel: %d %s", w.Code, p.State)
	}
	if w := u.api("GET", "/api/issues/OPS-2/panel", "", "SHOP-2", nil); w.Code != 403 {
		t.Errorf("panel of another issue: %d", w.Code)
	}
}

// TestSpanHighlightingByteOffsets: spans are UTF-8 byte offsets; the
// glance marks exactly the words, also after umlauts and emoji, and
// never splits a character.
func TestSpanHighlightingByteOffsets(t *testing.T) {
	summary := "Als Käufer möchte ich schnell 📦 bezahlen können"
	desc := strings.Repeat("Vorher viel Text über Größen – ", 8) + "Die Zahlung soll einfach sein. " + strings.Repeat("Danach noch mehr Text 🚚 ", 8)
	at := func(text, word string) (int, int) {
		i := strings.Index(text, word)
		if i < 0 {
			t.Fatalf("%q not in text", word)
		}
		return i, i + len(word)
	}
	cases := []struct {
		name       string
		field      domain.Field
		start, end int
		mark       string
		pre, post  string // the text right around the mark
	}{
		{"after umlauts and before emoji", domain.FieldSummary, 0, 0, "schnell", "möchte ich ", " 📦 bezahlen"},
		{"emoji", domain.FieldSummary, 0, 0, "📦", "schnell ", " bezahlen"},
		{"in a long description", domain.FieldDescription, 0, 0, "einfach", "Zahlung soll ", " sein."},
		{"start inside a character", domain.FieldSummary, 6, 10, "äufer", "Als K", " möchte"},
		{"end past the text", domain.FieldSummary, len(summary) - 6, len(summary) + 40, "önnen", "bezahlen k", "</p>"},
	}
	cases[0].start, cases[0].end = at(summary, "schnell")
	cases[1].start, cases[1].end = at(summary, "📦")
	cases[2].start, cases[2].end = at(desc, "einfach")
	cases[3].start, cases[3].end = 6, 11 // "ä" is bytes 5-6: 6 is inside it
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUIEnv(t, false)
			u.activate("SHOP")
			is := domain.Issue{Key: "SHOP-9", ProjectKey: "SHOP", Type: domain.TypeStory, Summary: summary, Description: desc, StatusCat: domain.StatusToDo}
			a := domain.Analysis{IssueKey: "SHOP-9", Score: domain.Score{Total: 50, Moscow: domain.MoscowCould},
				Check: domain.CheckResult{Quality: 60, Findings: []domain.Finding{{Code: "vague", Letter: "E", Severity: domain.SeverityWarning,
					Message: "Vague word", Span: &domain.Span{Field: tc.field, Start: tc.start, End: tc.end}, Fix: "Say how fast."}}}}
			if err := u.ts.SaveResults(context.Background(), "SHOP", []store.ResultInput{{Issue: is, Analysis: &a, Hash: "x"}}); err != nil {
				t.Fatal(err)
			}
			body := u.page("/glance?issueKey=SHOP-9&projectKey=SHOP").Body.String()
			if !utf8.ValidString(body) {
				t.Fatal("invalid UTF-8 in the page")
			}
			m := regexp.MustCompile(`(?s)<p class="excerpt"[^>]*>(.*?)</p>`).FindStringSubmatch(body)
			if m == nil {
				t.Fatal("no excerpt")
			}
			ex := m[1] + "</p>"
			want := tc.pre + `<mark data-testid="finding-mark">` + tc.mark + `</mark>` + tc.post
			if !strings.Contains(ex, want) {
				t.Errorf("excerpt %q\nwant it to contain %q", ex, want)
			}
			if tc.field == domain.FieldDescription && (!strings.Contains(ex, "…") || len(ex) > 600) {
				t.Errorf("long description not cut around the span: %q", ex)
			}
		})
	}
}

// projectPageData is the state a project page embeds for its script
// (#bai-data), as raw JSON.
func projectPageData(t *testing.T, page string) json.RawMessage {
	t.Helper()
	_, rest, ok := strings.Cut(page, `id="bai-data">`)
	end := strings.Index(rest, "</script>")
	if !ok || end < 0 {
		t.Fatal("the project page carries no #bai-data")
	}
	return json.RawMessage(rest[:end])
}

// drawBacklogRows draws the first backlog page that a project page
// carries with the page's own row renderer (frontend/static/backlog.js)
// in node, and returns each row's HTML by issue key; nil (the test goes
// on without it) when node is not installed.
func drawBacklogRows(t *testing.T, page string) map[string]string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("node not installed: the rows are not drawn")
		return nil
	}
	var data struct {
		JiraURL string `json:"jiraUrl"`
		Backlog struct {
			Rows []json.RawMessage `json:"rows"`
		} `json:"backlog"`
	}
	if err := json.Unmarshal(projectPageData(t, page), &data); err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(map[string]any{"jiraUrl": data.JiraURL, "rows": data.Backlog.Rows})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "renderrows.mjs"), filepath.Join("..", "..", "frontend", "static"))
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stderr = bytes.NewReader(in), &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.Bytes())
	}
	rows := map[string]string{}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return rows
}

// TestMarkSpanInJavaScript checks BAI.markSpan (used for spans in the
// improve and split previews) with node, when node is installed.
func TestMarkSpanInJavaScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	src, err := filepath.Abs(filepath.Join("..", "..", "frontend", "static", "common.js"))
	if err != nil {
		t.Fatal(err)
	}
	text := "Als Käufer möchte ich schnell 📦 bezahlen"
	i := strings.Index(text, "schnell")
	j := strings.Index(text, "📦")
	script := fmt.Sprintf(`globalThis.window = globalThis; globalThis.location = {pathname: '/glance'};
require(%q);
const t = %q;
console.log(JSON.stringify([BAI.markSpan(t, %d, %d), BAI.markSpan(t, %d, %d), BAI.markSpan(t, 6, 11), BAI.markSpan(t, 24, 26), BAI.markSpan(t, -3, 999)]));`,
		src, text, i, i+len("schnell"), j, j+len("📦"))
	out, err := exec.Command(node, "-e", script).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v: %s", err, out)
	}
	var got []struct{ Pre, Mark, Post string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := []struct{ Pre, Mark, Post string }{
		{"Als Käufer möchte ich ", "schnell", " 📦 bezahlen"},
		{"Als Käufer möchte ich schnell ", "📦", " bezahlen"},
		{"Als K", "äufer", " möchte ich schnell 📦 bezahlen"},
		{"Als Käufer möchte ich ", "sc", "hnell 📦 bezahlen"},
		{"", text, ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("markSpan (-want +got):\n%s", d)
	}
}

func TestHealthEndpoint(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	res := u.seedAnalysed(demoIssues(now), now)
	w := u.api("GET", "/api/projects/SHOP/health", "SHOP", "", nil)
	if w.Code != 200 {
		t.Fatalf("health: %d %s", w.Code, w.Body)
	}
	var h struct {
		Open            int                `json:"open"`
		ScoreHistogram  []int              `json:"scoreHistogram"`
		Moscow          map[string]int     `json:"moscow"`
		InvestPassRate  map[string]float64 `json:"investPassRate"`
		QualityOverTime []struct {
			Period     string  `json:"period"`
			AvgQuality float64 `json:"avgQuality"`
			N          int     `json:"n"`
		} `json:"qualityOverTime"`
		DuplicateClusters []struct {
			Keys       []string `json:"keys"`
			Similarity float64  `json:"similarity"`
		} `json:"duplicateClusters"`
		Stale []struct {
			Key             string `json:"key"`
			DaysSinceUpdate int    `json:"daysSinceUpdate"`
		} `json:"stale"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	// Expected values computed from the analyses.
	open, hist, moscow, pass, seen, months := 0, make([]int, 10), map[string]int{"Must": 0, "Should": 0, "Could": 0, "Won't": 0}, map[string]int{}, map[string]int{}, map[string]int{}
	var stale []string
	notStory := 0
	for _, is := range demoIssues(now) {
		a := res[is.Key]
		// Issues without an applicable story check (bugs, tasks) have no
		// quality and their N, V, T letters are not applicable: both are
		// left out, not counted as passes or as 100.
		if a.Check.Quality >= 0 {
			months[is.Created.Format("2006-01")]++
		} else {
			notStory++
		}
		if !is.Open() {
			continue
		}
		open++
		hist[min(9, int(a.Score.Total)/10)]++
		moscow[string(a.Score.Moscow)]++
		for l, st := range a.Check.Letters {
			if st == domain.LetterNotApplicable {
				continue
			}
			seen[l]++
			if st == "pass" {
				pass[l]++
			}
		}
		for _, f := range a.Flags {
			if f == domain.FlagStale {
				stale = append(stale, is.Key)
			}
		}
	}
	if h.Open != open || !cmp.Equal(h.ScoreHistogram, hist) || !cmp.Equal(h.Moscow, moscow) {
		t.Errorf("open %d hist %v moscow %v; want %d %v %v", h.Open, h.ScoreHistogram, h.Moscow, open, hist, moscow)
	}
	for l, n := range seen {
		if want := float64(pass[l]) / float64(n); h.InvestPassRate[l] < want-0.001 || h.InvestPassRate[l] > want+0.001 {
			t.Errorf("pass rate %s = %v, want %v", l, h.InvestPassRate[l], want)
		}
	}
	if notStory == 0 {
		t.Fatal("the demo issues hold no bug or task: the not-applicable case is untested")
	}
	if len(h.QualityOverTime) != len(months) {
		t.Errorf("quality periods %+v, want %d months", h.QualityOverTime, len(months))
	}
	for i := 1; i < len(h.QualityOverTime); i++ {
		if h.QualityOverTime[i-1].Period >= h.QualityOverTime[i].Period {
			t.Errorf("periods not in order: %+v", h.QualityOverTime)
		}
	}
	if len(h.DuplicateClusters) != 1 || !cmp.Equal(h.DuplicateClusters[0].Keys, []string{"SHOP-1", "SHOP-2"}) {
		t.Errorf("clusters %+v", h.DuplicateClusters)
	}
	if len(stale) != 1 || len(h.Stale) != 1 || h.Stale[0].Key != stale[0] || h.Stale[0].DaysSinceUpdate < 199 {
		t.Errorf("stale %+v, want %v", h.Stale, stale)
	}
	if w := u.api("GET", "/api/projects/OPS/health", "SHOP", "", nil); w.Code != 403 {
		t.Errorf("another project's health: %d", w.Code)
	}
}

type rerankResponse struct {
	Rows []struct {
		Key          string `json:"key"`
		Score        int    `json:"score"`
		Moscow       string `json:"moscow"`
		Rank         int    `json:"rank"`
		PreviousRank int    `json:"previousRank"`
	} `json:"rows"`
	Total int `json:"total"`
}

func TestRerankEndpoint(t *testing.T) {
	ctx := context.Background()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	mk := func(key string, pillars [5]float64) store.ResultInput {
		var ps []domain.PillarScore
		for i, n := range domain.Pillars {
			ps = append(ps, domain.PillarScore{Name: n, Value: pillars[i], Weight: 1})
		}
		sum := 0.0
		for _, v := range pillars {
			sum += v
		}
		a := &domain.Analysis{IssueKey: key, Score: domain.Score{Total: 2 * sum, Pillars: ps, Moscow: domain.MoscowCould}, Check: domain.CheckResult{Quality: 70}}
		return store.ResultInput{Issue: domain.Issue{Key: key, Summary: key, Type: domain.TypeStory, StatusCat: domain.StatusToDo}, Analysis: a, Hash: key}
	}
	in := []store.ResultInput{
		mk("SHOP-1", [5]float64{9, 1, 1, 1, 1}), // user value
		mk("SHOP-2", [5]float64{1, 1, 1, 1, 9}), // technical reality
		mk("SHOP-3", [5]float64{5, 5, 5, 5, 5}), // balanced: first with equal weights
	}
	if err := u.ts.SaveResults(ctx, "SHOP", in); err != nil {
		t.Fatal(err)
	}
	order := func(w *httptest.ResponseRecorder) ([]string, rerankResponse) {
		t.Helper()
		if w.Code != 200 {
			t.Fatalf("rerank: %d %s", w.Code, w.Body)
		}
		var r rerankResponse
		json.Unmarshal(w.Body.Bytes(), &r)
		var keys []string
		for _, row := range r.Rows {
			keys = append(keys, row.Key)
		}
		return keys, r
	}
	cases := []struct {
		body any
		want []string
	}{
		{map[string]any{"weights": []float64{1, 1, 1, 1, 1}}, []string{"SHOP-3", "SHOP-1", "SHOP-2"}},
		{map[string]any{"weights": []float64{10, 0, 0, 0, 0}}, []string{"SHOP-1", "SHOP-3", "SHOP-2"}},
		{map[string]any{"weights": []float64{0, 0, 0, 0, 10}}, []string{"SHOP-2", "SHOP-3", "SHOP-1"}},
		{map[string]any{"weights": []float64{0, 0, 0, 0, 10}, "limit": 1}, []string{"SHOP-2"}},
	}
	for _, tc := range cases {
		got, _ := order(u.api("POST", "/api/projects/SHOP/rerank", "SHOP", "", tc.body))
		if !cmp.Equal(got, tc.want) {
			t.Errorf("%v: order %v, want %v", tc.body, got, tc.want)
		}
	}
	_, r := order(u.api("POST", "/api/projects/SHOP/rerank", "SHOP", "", map[string]any{"weights": []float64{10, 0, 0, 0, 0}, "thresholds": []float64{85, 60, 20}}))
	if r.Total != 3 || r.Rows[0].Score != 90 || r.Rows[0].Moscow != "Must" || r.Rows[0].PreviousRank != 2 || r.Rows[0].Rank != 1 {
		t.Errorf("first row %+v (total %d)", r.Rows[0], r.Total)
	}
	// A change stored meanwhile shows in the next call (the cache catches up).
	if err := u.ts.SaveResults(ctx, "SHOP", []store.ResultInput{mk("SHOP-4", [5]float64{10, 0, 0, 0, 0})}); err != nil {
		t.Fatal(err)
	}
	if got, _ := order(u.api("POST", "/api/projects/SHOP/rerank", "SHOP", "", map[string]any{"weights": []float64{10, 0, 0, 0, 0}})); got[0] != "SHOP-4" {
		t.Errorf("after a new issue: %v", got)
	}
	if _, err := u.ts.MarkDeleted(ctx, "SHOP-4"); err != nil {
		t.Fatal(err)
	}
	if got, _ := order(u.api("POST", "/api/projects/SHOP/rerank", "SHOP", "", map[string]any{"weights": []float64{10, 0, 0, 0, 0}})); len(got) != 3 || got[0] != "SHOP-1" {
		t.Errorf("after a deletion: %v", got)
	}
	for _, bad := range []any{
		map[string]any{},
		map[string]any{"weights": []float64{0, 0, 0, 0, 0}},
		map[string]any{"weights": []float64{-1, 1, 1, 1, 1}},
		map[string]any{"weights": []float64{1, 1, 1, 1, 1}, "thresholds": []float64{20, 60, 80}},
		map[string]any{"weights": []float64{1, 1, 1, 1, 1}, "extra": true},
		map[string]any{"weights": []float64{1, 1, 1, 1, 1}, "mode": "relative", "shares": []float64{50, 40, 30}},
		map[string]any{"weights": []float64{1, 1, 1, 1, 1}, "mode": "bogus"},
		map[string]any{"weights": []float64{1, 1, 1, 1, 1}, "mode": "capacity", "capacity": -5},
	} {
		if w := u.api("POST", "/api/projects/SHOP/rerank", "SHOP", "", bad); w.Code != 400 {
			t.Errorf("%v: %d", bad, w.Code)
		}
	}
	if w := u.api("POST", "/api/projects/OPS/rerank", "SHOP", "", cases[0].body); w.Code != 403 {
		t.Errorf("another project: %d", w.Code)
	}
}

func TestLinkDuplicateRefusals(t *testing.T) {
	u := newUIEnv(t, false)
	cases := []struct {
		name  string
		path  string
		issue string // the glance's issue ("" for a project page token)
		other string
		want  int
	}{
		{"another project's issue", "/api/issues/SHOP-1/link-duplicate", "SHOP-1", "OPS-7", 403},
		{"issue of another page", "/api/issues/OPS-1/link-duplicate", "SHOP-1", "OPS-7", 403},
		{"itself", "/api/issues/SHOP-1/link-duplicate", "SHOP-1", "SHOP-1", 400},
		{"not a key", "/api/issues/SHOP-1/link-duplicate", "SHOP-1", "SHOP 2", 400},
		{"no sync service in this server", "/api/issues/SHOP-1/link-duplicate", "SHOP-1", "SHOP-2", 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := u.api("POST", tc.path, "SHOP", tc.issue, map[string]string{"other": tc.other})
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if !strings.Contains(w.Body.String(), `"message"`) {
				t.Errorf("no error message: %s", w.Body)
			}
		})
	}
}

func TestStaticFiles(t *testing.T) {
	u := newUIEnv(t, false)
	body := u.page("/glance?issueKey=SHOP-1&projectKey=SHOP").Body.String()
	css := regexp.MustCompile(`href="(/static/[0-9a-f]+/app\.css)"`).FindStringSubmatch(body)
	if css == nil {
		t.Fatal("no stylesheet link")
	}
	get := func(target string, hdr map[string]string) *httptest.ResponseRecorder {
		r2 := httptest.NewRequest("GET", target, nil)
		for k, v := range hdr {
			r2.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		u.h.ServeHTTP(w, r2)
		return w
	}
	w := get(css[1], nil)
	if w.Code != 200 || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") || w.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("hashed css: %d %v", w.Code, w.Header())
	}
	if !strings.Contains(w.Body.String(), "--ds-text, #172B4D") || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("css body or nosniff missing")
	}
	etag := w.Header().Get("ETag")
	if w := get(css[1], map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d", w.Code)
	}
	gz := get(css[1], map[string]string{"Accept-Encoding": "gzip, br"})
	zr, err := gzip.NewReader(gz.Body)
	if err != nil || gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %v %v", err, gz.Header())
	}
	if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, w.Body.Bytes()) {
		t.Error("gzipped body differs")
	}
	for _, p := range []string{"/static/app.css", "/static/0123456789ab/app.css", "/static/icon.svg"} {
		w := get(p, nil)
		if w.Code != 200 || w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %q", p, w.Code, w.Header().Get("Cache-Control"))
		}
	}
	if w := get("/static/icon.svg", nil); w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("icon type %q", w.Header().Get("Content-Type"))
	}
	// The browser asks for /favicon.ico on its own: the app icon, not a 404.
	if w := get("/favicon.ico", nil); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(w.Body.String(), "<svg") {
		t.Errorf("favicon: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for _, p := range []string{
		"/static/../go.mod", "/static/%2e%2e/go.mod", "/static/..%2fgo.mod", "/static/%2e%2e%2fgo.mod", "/static/%2E%2E/%2E%2E/go.mod",
		"/static/x/../../go.mod", "/static/app.css/../../go.mod", "/static/templates/glance.html", "/static/../templates/glance.html",
		"/static/embed.go", "/static/", "/static/%2fetc%2fpasswd", "/static/..\\go.mod", "/static/a/b/app.css", "/static/.%2e/frontend/embed.go",
	} {
		w := get(p, nil)
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, w.Code)
		}
		if b := w.Body.String(); strings.Contains(b, "module ") || strings.Contains(b, "package ") || strings.Contains(b, "{{define") {
			t.Errorf("%s leaked a file", p)
		}
	}
}

// TestAssetBudget: everything the two pages load from us (CSS, JS,
// icon) stays under 150 KB gzipped. Atlassian's all.js is not ours.
func TestAssetBudget(t *testing.T) {
	const budget = 150 << 10
	u := newUIEnv(t, false)
	u.activate("SHOP")
	seen := map[string]bool{}
	total, raw := 0, 0
	var lines []string
	for _, target := range []string{"/glance?issueKey=SHOP-1&projectKey=SHOP", "/project?projectKey=SHOP&projectId=10000"} {
		body := u.page(target).Body.String()
		for _, m := range regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				continue
			}
			seen[m[1]] = true
			r := httptest.NewRequest("GET", m[1], nil)
			r.Header.Set("Accept-Encoding", "gzip")
			w := httptest.NewRecorder()
			u.h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("%s: %d", m[1], w.Code)
			}
			zr, _ := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
			plain, _ := io.ReadAll(zr)
			total += w.Body.Len()
			raw += len(plain)
			lines = append(lines, fmt.Sprintf("%-40s %6d B raw %6d B gzip", m[1], len(plain), w.Body.Len()))
		}
	}
	if len(seen) < 4 {
		t.Fatalf("pages load only %v", seen)
	}
	sort.Strings(lines)
	t.Logf("assets:\n%s\ntotal %d B raw, %d B gzipped (budget %d)", strings.Join(lines, "\n"), raw, total, budget)
	if total > budget {
		t.Errorf("pages load %d B gzipped, over the %d B budget", total, budget)
	}
}

// Benchmarks: glance server time and the project page's first render.

// samplesPerOp is how many requests one benchmark op makes: enough for
// a p95 even with -benchtime=1x.
const samplesPerOp = 100

func reportLatency(b *testing.B, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(q(1), "max-ms")
}

func benchPages(b *testing.B, u *uiEnv, targets []string) {
	// Signed URLs are made before timing: Jira signs them, not us.
	type signed struct{ url string }
	var urls []signed
	for _, t := range targets {
		urls = append(urls, signed{t + "&jwt=" + hsTokenTB(b, uiSecret, "GET", t, "")})
	}
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < samplesPerOp; k++ {
			r := httptest.NewRequest("GET", urls[k%len(urls)].url, nil)
			w := httptest.NewRecorder()
			start := time.Now()
			u.h.ServeHTTP(w, r)
			d = append(d, time.Since(start))
			if w.Code != 200 {
				b.Fatalf("%d: %s", w.Code, w.Body)
			}
		}
	}
	b.StopTimer()
	reportLatency(b, d)
}

// BenchmarkGlancePage: the glance of real analyses (engine output for
// a 10k-issue project), server time per request.
func BenchmarkGlancePage(b *testing.B) {
	u := newUIEnv(b, false)
	keys := seedLargeProject(b, u, 10000)
	var targets []string
	for i := 0; i < 20; i++ {
		targets = append(targets, "/glance?issueKey="+keys[i*(len(keys)/20)]+"&projectKey=SHOP")
	}
	benchPages(b, u, targets)
}

// BenchmarkProjectPage10k: the project page's first render (shell, first
// backlog page, strategy) for a project of 10,000 analysed issues.
func BenchmarkProjectPage10k(b *testing.B) {
	u := newUIEnv(b, false)
	seedLargeProject(b, u, 10000)
	benchPages(b, u, []string{"/project?projectKey=SHOP&projectId=10000"})
}

// BenchmarkRerank10k: one slider move on a 10k-issue project (warm cache).
func BenchmarkRerank10k(b *testing.B) {
	u := newUIEnv(b, false)
	seedLargeProject(b, u, 10000)
	body := map[string]any{"weights": []float64{3, 1, 1, 1, 1}, "limit": 10}
	start := time.Now()
	if w := u.api("POST", "/api/projects/SHOP/rerank", "SHOP", "", body); w.Code != 200 {
		b.Fatal(w.Code)
	}
	cold := time.Since(start)
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < 20; k++ {
			s := time.Now()
			if w := u.api("POST", "/api/projects/SHOP/rerank", "SHOP", "", body); w.Code != 200 {
				b.Fatal(w.Code)
			}
			d = append(d, time.Since(s))
		}
	}
	b.StopTimer()
	reportLatency(b, d)
	b.ReportMetric(float64(cold.Microseconds())/1000, "cold-ms")
}

// BenchmarkHealth10k: the health charts' data for 10k issues (warm cache).
func BenchmarkHealth10k(b *testing.B) {
	u := newUIEnv(b, false)
	seedLargeProject(b, u, 10000)
	u.api("GET", "/api/projects/SHOP/health", "SHOP", "", nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if w := u.api("GET", "/api/projects/SHOP/health", "SHOP", "", nil); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// seedLargeProject stores n analysed issues: the real engine analyses a
// few hundred varied issues, and their analyses are reused for the rest
// under new keys (the pages read rows, they do not re-analyse).
func seedLargeProject(b testing.TB, u *uiEnv, n int) []string {
	b.Helper()
	now := time.Now().UTC()
	u.activate("SHOP")
	roles := []string{"shopper", "merchant", "store owner", "finance admin", "support agent", "warehouse manager"}
	actions := []string{"filter", "export", "search", "bulk edit", "schedule", "compare", "archive", "share", "track", "import"}
	objects := []string{"orders", "products", "discount codes", "invoices", "gift cards", "return requests", "tax reports", "email campaigns"}
	benefits := []string{"I save time every week", "I can answer customers faster", "fewer orders ship late", "I can plan stock", "customers trust our store"}
	const distinct = 400
	var issues []domain.Issue
	for i := 0; i < distinct; i++ {
		is := domain.Issue{Key: fmt.Sprintf("SHOP-%d", i+1), ID: fmt.Sprint(10000 + i), ProjectKey: "SHOP", Type: domain.TypeStory,
			Summary:     fmt.Sprintf("As a %s, I want to %s %s so that %s", roles[i%len(roles)], actions[i%len(actions)], objects[(i/3)%len(objects)], benefits[(i/7)%len(benefits)]),
			Description: "Given I am signed in\nWhen I open the list\nThen it loads fast and the totals match etc.",
			Votes:       i % 17, Watchers: i % 5, StatusCat: domain.StatusToDo, Created: now.AddDate(0, 0, -i), Updated: now.AddDate(0, 0, -(i % 120))}
		if i%4 == 0 {
			p := float64([]int{1, 2, 3, 5, 8, 13}[i%6])
			is.StoryPoints, is.StatusCat = &p, domain.StatusDone
		}
		issues = append(issues, is)
	}
	p := analysis.NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	analyses := make([]domain.Analysis, distinct)
	for i, is := range issues {
		analyses[i], _ = p.Analyse(is.Key, nil)
	}
	keys := make([]string, 0, n)
	batch := make([]store.ResultInput, 0, 1000)
	flush := func() {
		if err := u.ts.SaveResults(context.Background(), "SHOP", batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := 0; i < n; i++ {
		is, a := issues[i%distinct], analyses[i%distinct]
		key := fmt.Sprintf("SHOP-%d", i+1)
		is.Key, is.ID, a.IssueKey = key, fmt.Sprint(10000+i), key
		keys = append(keys, key)
		batch = append(batch, store.ResultInput{Issue: is, Analysis: &a, Hash: key})
		if len(batch) == cap(batch) {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return keys
}

// TestGlanceNotApplicable: a bug's story-form letters read "Not
// applicable" and its quality "–", never a pass or 100; a hint is labelled
// as a hint.
func TestGlanceNotApplicable(t *testing.T) {
	u := newUIEnv(t, false)
	u.activate("SHOP")
	is := domain.Issue{Key: "SHOP-9", ProjectKey: "SHOP", Type: domain.TypeBug, Summary: "Checkout crashes", StatusCat: domain.StatusToDo}
	a := domain.Analysis{IssueKey: "SHOP-9", Score: domain.Score{Total: 50, Moscow: domain.MoscowCould},
		Check: domain.CheckResult{Quality: domain.QualityNotApplicable,
			Letters: map[string]string{"I": "pass", "N": "na", "V": "na", "E": "pass", "S": "pass", "T": "na"},
			Findings: []domain.Finding{{Code: "conjunction", Letter: "S", Severity: domain.SeverityInfo, Hint: true,
				Message: "Named items likely scope one feature.", Fix: "Keep it as one story."}}}}
	if err := u.ts.SaveResults(context.Background(), "SHOP", []store.ResultInput{{Issue: is, Analysis: &a, Hash: "x"}}); err != nil {
		t.Fatal(err)
	}
	body := u.page("/glance?issueKey=SHOP-9&projectKey=SHOP").Body.String()
	for _, want := range []string{
		`data-letter="N" data-state="na"`, `data-letter="T" data-state="na"`, `data-letter="I" data-state="pass"`,
		"Not applicable", "Quality – (no story checks apply)", `data-testid="glance-not-story"`, ">Hint</span>", `data-testid="finding-hint-note"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("glance lacks %q", want)
		}
	}
	if strings.Contains(body, "Quality -1") || strings.Contains(body, "/100</div>") {
		t.Error("glance shows a quality number for an issue with no story checks")
	}
}

// TestGlanceKnownDuplicates: an issue already linked as a duplicate is not
// proposed again; the glance lists it as a known duplicate, "already done"
// when it is resolved.
func TestGlanceKnownDuplicates(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	issues := demoIssues(now)
	// SHOP-2 duplicates SHOP-1, which is done.
	issues[0].StatusCat = domain.StatusDone
	issues[1].Links = []domain.Link{{Kind: domain.LinkDuplicates, OtherKey: "SHOP-1", OtherDone: true, OtherTitle: issues[0].Summary}}
	issues[0].Links = []domain.Link{{Kind: domain.LinkDuplicatedBy, OtherKey: "SHOP-2", OtherTitle: issues[1].Summary}}
	got := u.seedAnalysed(issues, now)
	for _, d := range got["SHOP-2"].Duplicates {
		if d.Key == "SHOP-1" {
			t.Errorf("SHOP-2 proposes SHOP-1, to which it is linked: %+v", got["SHOP-2"].Duplicates)
		}
	}
	body := u.page("/glance?issueKey=SHOP-2&projectKey=SHOP").Body.String()
	if !regexp.MustCompile(`data-key="SHOP-1" data-testid="known-duplicate">(?s:.)*?data-testid="duplicate-linked"(?s:.)*?data-testid="duplicate-done">already done<`).MatchString(body) {
		t.Errorf("glance does not list SHOP-1 as a known, already done duplicate:\n%s", body)
	}
}

func TestGlanceMarksTheSuggestion(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	pts := func(v float64) *float64 { return &v }
	issues := demoIssues(now)
	// A history of resolved, estimated issues like SHOP-1, so that it gets
	// a suggestion; SHOP-9 is open and carries its own points.
	for i := range 40 {
		issues = append(issues, domain.Issue{Key: fmt.Sprintf("SHOP-%d", 100+i), ID: fmt.Sprint(20000 + i), ProjectKey: "SHOP", Type: domain.TypeStory,
			Summary:     fmt.Sprintf("As a shopper, I want to filter orders by date and %c%c so that I find last month's order quickly", 'a'+i%26, 'a'+i/26),
			StoryPoints: pts(3), StatusCat: domain.StatusDone, Created: now.AddDate(-1, 0, i)})
	}
	issues = append(issues, domain.Issue{Key: "SHOP-9", ID: "10009", ProjectKey: "SHOP", Type: domain.TypeStory, StatusCat: domain.StatusToDo,
		Summary: "As a shopper, I want to filter orders by status so that I find an open order quickly", StoryPoints: pts(8), Created: now})
	got := u.seedAnalysed(issues, now)
	if e := got["SHOP-1"].Estimate; e.Method != "neighbours" {
		t.Fatalf("precondition: SHOP-1 estimate %+v, want a suggestion", e)
	}
	body := u.page("/glance?issueKey=SHOP-1&projectKey=SHOP").Body.String()
	for _, s := range []string{`data-testid="estimate-suggested">Suggestion<`, `data-testid="estimate-points">~3 (suggested`, `data-testid="estimate-confidence">`} {
		if !strings.Contains(body, s) {
			t.Errorf("SHOP-1 glance lacks %q", s)
		}
	}
	if strings.Contains(body, `data-testid="estimate-own"`) {
		t.Error("SHOP-1 has no points of its own, yet the glance shows some")
	}
	// The backlog's first page, as the page's script draws it from the
	// data the page carries, marks the suggestion and shows own points plainly.
	if rows := drawBacklogRows(t, u.page("/project?projectKey=SHOP&projectId=10000").Body.String()); rows != nil {
		if r := rows["SHOP-1"]; !regexp.MustCompile(`data-testid="backlog-estimate"><span class="subtle suggested" title="suggested[^>]*><span class="visually-hidden">suggested </span>~3( \(\d+-\d+\))?</span>`).MatchString(r) {
			t.Errorf("SHOP-1 backlog row does not mark its suggestion: %s", r)
		}
		if r := rows["SHOP-9"]; !strings.Contains(r, `data-testid="backlog-estimate">8</td>`) {
			t.Errorf("SHOP-9 backlog row does not show its own 8 plainly: %s", r)
		}
	}
	// Own points read plainly, and the suggestion beside them says it is not them.
	body = u.page("/glance?issueKey=SHOP-9&projectKey=SHOP").Body.String()
	for _, s := range []string{`data-testid="estimate-own">Story points: <strong>8</strong>`, "not the issue's points", "confidence not measured yet"} {
		if !strings.Contains(body, s) {
			t.Errorf("SHOP-9 glance lacks %q", s)
		}
	}
}

// TestGlanceListsOnlyBandedDuplicates: a candidate below the related band
// is not shown (also from a result stored before that rule); with none
// left the glance says so. An epic's estimate says why it has none.
func TestGlanceListsOnlyBandedDuplicates(t *testing.T) {
	u := newUIEnv(t, false)
	u.activate("SHOP")
	save := func(is domain.Issue, a domain.Analysis) {
		t.Helper()
		if err := u.ts.SaveResults(context.Background(), "SHOP", []store.ResultInput{{Issue: is, Analysis: &a, Hash: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	story := domain.Issue{Key: "SHOP-9", ProjectKey: "SHOP", Type: domain.TypeStory, Summary: "Checkout in one step", StatusCat: domain.StatusToDo}
	save(story, domain.Analysis{IssueKey: "SHOP-9", Score: domain.Score{Total: 50, Moscow: domain.MoscowCould},
		Duplicates: []domain.Candidate{
			{Key: "SHOP-20", Summary: "One-step checkout", Similarity: 0.41, Band: domain.BandRelated, Done: true},
			{Key: "SHOP-23", Summary: "Old checkout", Similarity: 0.11, Done: true},
			{Key: "SHOP-21", Summary: "Checkout frontend", Similarity: 0.12},
		}})
	body := u.page("/glance?issueKey=SHOP-9&projectKey=SHOP").Body.String()
	if !strings.Contains(body, `data-other="SHOP-20"`) || !strings.Contains(body, `data-testid="duplicate-band">`+domain.BandRelated+"<") {
		t.Error("glance lacks the related candidate SHOP-20 with its band")
	}
	if n := strings.Count(body, `data-testid="duplicate-done"`); n != 1 {
		t.Errorf("glance marks %d candidates already done, want 1 (SHOP-20)", n)
	}
	if strings.Contains(body, `data-other="SHOP-21"`) {
		t.Error("glance lists SHOP-21, 12 % similar, below the related band")
	}

	epic := domain.Issue{Key: "SHOP-10", ProjectKey: "SHOP", Type: domain.TypeEpic, Summary: "Faster checkout", StatusCat: domain.StatusToDo}
	save(epic, domain.Analysis{IssueKey: "SHOP-10", Score: domain.Score{Total: 40, Moscow: domain.MoscowCould},
		Duplicates: []domain.Candidate{{Key: "SHOP-22", Summary: "Checkout", Similarity: 0.2}},
		Estimate:   domain.Estimate{Method: "none", Reason: analysis.EpicEstimateReason}})
	body = u.page("/glance?issueKey=SHOP-10&projectKey=SHOP").Body.String()
	for _, want := range []string{`data-testid="duplicates-empty">No likely duplicates`, `data-testid="estimate-none">Epics are not estimated; their children are.<`} {
		if !strings.Contains(body, want) {
			t.Errorf("epic glance lacks %q", want)
		}
	}
	if strings.Contains(body, "no resolved issues with story points") {
		t.Error("epic glance blames a missing history")
	}
}

// The Settings tab shows the app's MCP endpoint from the base URL: under
// Forge the page's own origin is Custom UI's, not the app's.
func TestProjectPageNamesTheMCPEndpoint(t *testing.T) {
	u := newUIEnv(t, false)
	u.activate("SHOP")
	var data struct {
		MCPURL string `json:"mcpUrl"`
	}
	if err := json.Unmarshal(projectPageData(t, u.page("/project?projectKey=SHOP&projectId=10000").Body.String()), &data); err != nil {
		t.Fatal(err)
	}
	if data.MCPURL != appBase+"/mcp" {
		t.Fatalf("mcpUrl %q, want %q", data.MCPURL, appBase+"/mcp")
	}
}
