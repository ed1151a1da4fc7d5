package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
)

const testSecret = "emulator-shared-secret-for-tests"

// emuEnv is an emulated Jira site behind httptest, with Atlassian's
// OpenAPI checks on every request, and a client signing with Connect JWT.
type emuEnv struct {
	emu    *jiraemu.Emulator
	srv    *httptest.Server
	clock  *fakeClock
	val    *requestValidator
	client *Client

	mu  sync.Mutex
	log []exchange
}

// exchange is one request the client sent and the answer it got.
type exchange struct {
	Method, Path string
	At           time.Time
	Status       int
	Reason       string
}

// recorder sits between the client's transport and the signer.
type recorder struct {
	env  *emuEnv
	next Doer
}

func (r recorder) Do(req *http.Request) (*http.Response, error) {
	at := r.env.clock.Now()
	resp, err := r.next.Do(req)
	x := exchange{Method: req.Method, Path: req.URL.Path, At: at}
	if resp != nil {
		x.Status, x.Reason = resp.StatusCode, resp.Header.Get("RateLimit-Reason")
	}
	r.env.mu.Lock()
	r.env.log = append(r.env.log, x)
	r.env.mu.Unlock()
	return resp, err
}

// requireValidated fails unless each route had a request checked against
// Atlassian's description.
func (env *emuEnv) requireValidated(t *testing.T, routes ...string) {
	t.Helper()
	checked := env.val.validated()
	for _, r := range routes {
		if checked[r] == 0 {
			t.Errorf("no validated request for %s (validated: %v)", r, checked)
		}
	}
}

func (env *emuEnv) exchanges() []exchange {
	env.mu.Lock()
	defer env.mu.Unlock()
	return append([]exchange(nil), env.log...)
}

// newEmuEnv starts the site. validate adds the OpenAPI request checks
// (slow on big scans, so benchmarks leave them out).
func newEmuEnv(t testing.TB, fixtures []*jiraemu.Fixture, opts Options, validate bool) *emuEnv {
	t.Helper()
	clock := newFakeClock()
	emu := jiraemu.New(jiraemu.Options{
		SharedSecret: testSecret,
		Fixtures:     fixtures,
		Now:          clock.Now,
		TaskDelay:    time.Millisecond,
	})
	env := &emuEnv{emu: emu, clock: clock}
	var h http.Handler = emu.Handler()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	if validate {
		env.val = newRequestValidator(t, srv.URL)
		h = env.val.wrap(h)
	}
	srv.Config.Handler = h
	emu.SetBaseURL(srv.URL)
	env.srv = srv
	t.Cleanup(func() {
		srv.Close()
		emu.Close()
		if env.val != nil {
			env.val.check(t)
		}
	})
	env.client = env.newClient(t, emu.AppKey(), testSecret, opts)
	return env
}

func (env *emuEnv) newClient(t testing.TB, appKey, secret string, opts Options) *Client {
	t.Helper()
	signer := &connect.SigningClient{
		HTTP: env.srv.Client(), AppKey: appKey, BaseURL: env.srv.URL, Secret: secret,
		UserAgent: "backlogai-test", Now: env.clock.Now,
	}
	opts.Now = env.clock.Now
	// Fake waits, but each also yields a little real time: the emulator
	// runs bulk property tasks on real timers.
	opts.Sleep = func(ctx context.Context, d time.Duration) error {
		time.Sleep(min(d, time.Millisecond))
		return env.clock.Sleep(ctx, d)
	}
	if opts.TaskTimeout == 0 {
		opts.TaskTimeout = time.Hour // of fake time
	}
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0.5 }
	}
	c, err := New(recorder{env: env, next: signer}, env.srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// appFixture is a small project: an epic with stories, a bug, a done task.
func appFixture() *jiraemu.Fixture {
	at := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	desc, _ := json.Marshal(adf.NewDoc(
		adf.Paragraph(adf.Text("As a shopper I want to save my cart so that I can buy later.")),
		adf.Heading(3, adf.Text("Acceptance criteria")),
		adf.BulletList(adf.Item(adf.Text("cart survives logout")), adf.Item(adf.Text("cart syncs across devices"))),
	))
	five := 5.0
	issue := func(key, typ, status, summary string) jiraemu.FixtureIssue {
		return jiraemu.FixtureIssue{Key: key, Type: typ, Status: status, Priority: "Medium", Summary: summary, Created: at, Updated: at}
	}
	epic := issue("APP-1", "Epic", "In Progress", "Checkout")
	story := issue("APP-2", "Story", "To Do", "Save the cart")
	story.Parent, story.Description, story.Labels, story.StoryPoints = "APP-1", desc, []string{"customer"}, &five
	story.Votes, story.Watches, story.DueDate = 4, 2, "2026-06-30"
	story2 := issue("APP-3", "Story", "To Do", "Share the cart")
	story2.Parent = "APP-1"
	bug := issue("APP-4", "Bug", "In Progress", "Cart loses items")
	task := issue("APP-5", "Task", "Done", "Upgrade driver")
	return &jiraemu.Fixture{
		Now:     at,
		Project: jiraemu.FixtureProject{ID: "10100", Key: "APP", Name: "App", BoardID: 3},
		Issues:  []jiraemu.FixtureIssue{epic, story, story2, bug, task},
	}
}

func scanAll(t testing.TB, c *Client, project string, pageSizes *[]int) []domain.Issue {
	t.Helper()
	var all []domain.Issue
	err := c.IterateIssues(context.Background(), project, "", nil, func(page []domain.Issue) error {
		if pageSizes != nil {
			*pageSizes = append(*pageSizes, len(page))
		}
		all = append(all, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("IterateIssues: %v", err)
	}
	return all
}

func TestScanMapsTheProject(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, true)
	issues := scanAll(t, env.client, "APP", nil)
	byKey := map[string]domain.Issue{}
	for _, is := range issues {
		byKey[is.Key] = is
	}
	if len(byKey) != 5 {
		t.Fatalf("scanned %d issues, want 5: %v", len(byKey), slices.Collect(func(yield func(string) bool) {
			for k := range byKey {
				yield(k)
			}
		}))
	}
	got := byKey["APP-2"]
	if got.Type != domain.TypeStory || got.EpicKey != "APP-1" || got.Summary != "Save the cart" ||
		got.StoryPoints == nil || *got.StoryPoints != 5 || got.Votes != 4 || got.Watchers != 2 ||
		got.StatusCat != domain.StatusToDo || got.ProjectKey != "APP" || got.DueDate == nil {
		t.Errorf("APP-2 = %+v", got)
	}
	wantDesc := "As a shopper I want to save my cart so that I can buy later.\n\nAcceptance criteria\n\n- cart survives logout\n- cart syncs across devices"
	if got.Description != wantDesc {
		t.Errorf("APP-2 description = %q, want %q", got.Description, wantDesc)
	}
	if byKey["APP-5"].StatusCat != domain.StatusDone || byKey["APP-4"].Type != domain.TypeBug || byKey["APP-1"].EpicKey != "" {
		t.Errorf("APP-5 %+v / APP-4 %+v / APP-1 %+v", byKey["APP-5"], byKey["APP-4"], byKey["APP-1"])
	}
	if env.client.StoryPointsField() != jiraemu.DefaultStoryPointsField {
		t.Errorf("story points field = %q, want %q (not the decoy %q)", env.client.StoryPointsField(), jiraemu.DefaultStoryPointsField, jiraemu.DecoyStoryPointsField)
	}
	n, err := env.client.ApproximateCount(context.Background(), `project = "APP"`)
	if err != nil || n != 5 {
		t.Errorf("ApproximateCount = %d, %v; want 5", n, err)
	}
	env.requireValidated(t, "POST /rest/api/3/search/jql", "POST /rest/api/3/search/approximate-count")
}

func TestScanPaging(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		pageSize int
		want     []int // page sizes
	}{
		{"exact pages", 300, 100, []int{100, 100, 100}},
		{"short last page", 1050, 0, append(slices.Repeat([]int{100}, 10), 50)},
		{"server caps the page size", 250, 500, []int{100, 100, 50}},
		{"small pages", 23, 5, []int{5, 5, 5, 5, 3}},
		{"one page", 7, 0, []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEmuEnv(t, []*jiraemu.Fixture{jiraemu.Generate(tt.n, 1)}, Options{PageSize: tt.pageSize}, tt.n <= 300)
			var sizes []int
			issues := scanAll(t, env.client, jiraemu.SyntheticKey, &sizes)
			if diff := cmp.Diff(tt.want, sizes); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			seen := map[string]bool{}
			for _, is := range issues {
				if seen[is.Key] {
					t.Fatalf("%s returned twice", is.Key)
				}
				seen[is.Key] = true
			}
			if len(seen) != tt.n {
				t.Errorf("scanned %d distinct issues, want %d", len(seen), tt.n)
			}
			stats := env.emu.Stats()
			if got := stats.Requests("POST /rest/api/3/search/jql"); got != len(tt.want) {
				t.Errorf("search requests = %d, want %d", got, len(tt.want))
			}
			if got := stats.Requests("/rest/api/3/search"); got != 0 {
				t.Errorf("the client called the removed /search endpoint %d times", got)
			}
			if env.val != nil {
				env.requireValidated(t, "POST /rest/api/3/search/jql", "GET /rest/api/3/field")
			}
		})
	}
}

func TestScanStopsOnCallbackError(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{jiraemu.Generate(250, 1)}, Options{}, false)
	stop := errors.New("enough")
	pages := 0
	err := env.client.IterateIssues(context.Background(), jiraemu.SyntheticKey, "", nil, func([]domain.Issue) error {
		pages++
		return stop
	})
	if !errors.Is(err, stop) || pages != 1 {
		t.Errorf("err = %v after %d pages, want the callback's error after 1", err, pages)
	}
}

func TestScanWithJQLAndProperties(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, true)
	ctx := context.Background()
	if err := env.client.SetProperty(ctx, "APP-2", "backlogai", map[string]any{"score": 81, "moscow": "Must"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	var props []map[string]json.RawMessage
	err := env.client.Scan(ctx, "APP", ScanOptions{JQLExtra: "issuetype = Story", Properties: []string{"backlogai"}}, func(p Page) error {
		for i, is := range p.Issues {
			got = append(got, is.Key)
			props = append(props, p.Properties[i])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"APP-2", "APP-3"}, got); diff != "" {
		t.Errorf("stories (-want +got):\n%s", diff)
	}
	found := false
	for _, p := range props {
		if raw, ok := p["backlogai"]; ok {
			found = true
			var v struct {
				Score  int    `json:"score"`
				Moscow string `json:"moscow"`
			}
			if err := json.Unmarshal(raw, &v); err != nil || v.Score != 81 || v.Moscow != "Must" {
				t.Errorf("property = %s (%v)", raw, err)
			}
		}
	}
	if !found {
		t.Error("the backlogai property was not returned")
	}
	env.requireValidated(t, "PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}")
	if err := env.client.Scan(ctx, "APP", ScanOptions{Properties: []string{"a", "b", "c", "d", "e", "f"}}, func(Page) error { return nil }); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("six properties: err = %v, want ErrInvalid", err)
	}
}

func TestOldSearchAnswersGone(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, false)
	err := env.client.do(context.Background(), "GET", "rest/api/3/search?jql=project%20%3D%20APP", nil, nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusGone {
		t.Fatalf("err = %v, want a 410", err)
	}
	if !strings.Contains(apiErr.Detail(), "/search/jql") {
		t.Errorf("410 message %q does not point to /search/jql", apiErr.Detail())
	}
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("410 does not wrap ErrNotFound: %v", err)
	}
}

func TestScanThroughA429Storm(t *testing.T) {
	const n = 3000
	env := newEmuEnv(t, []*jiraemu.Fixture{jiraemu.Generate(n, 7)}, Options{MaxRetries: 8}, false)
	quotaEnd := env.clock.Now().Add(45 * time.Second)
	pages := (n + 99) / 100
	// Hourly points for the scan itself (1 per call + 1 per issue, the
	// field discovery, the retries) but not for a client that over-polls.
	points := n + 4*pages + 10
	env.emu.SetFaults(jiraemu.Faults{
		QuotaExhaustedUntil: quotaEnd,
		QuotaReason:         jiraemu.ReasonTenantQuota,
		Throttle: []jiraemu.ThrottleRule{
			{Endpoint: "POST /rest/api/3/search/jql", Probability: 0.4, RetryAfter: 3},
		},
		Errors:       []jiraemu.ErrorRule{{Endpoint: "POST /rest/api/3/search/jql", Probability: 0.1, Status: 503}},
		HourlyPoints: points,
		Burst:        true,
	})
	issues := scanAll(t, env.client, jiraemu.SyntheticKey, nil)
	seen := map[string]bool{}
	for _, is := range issues {
		seen[is.Key] = true
	}
	if len(seen) != n || len(issues) != n {
		t.Fatalf("scanned %d issues (%d distinct), want %d", len(issues), len(seen), n)
	}
	var ok, throttled, failed, quota int
	for _, x := range env.exchanges() {
		switch {
		case x.Status == http.StatusTooManyRequests && x.Reason == jiraemu.ReasonTenantQuota:
			quota++
			if !x.At.Before(quotaEnd) {
				t.Errorf("the hourly points ran out at %v: the scan cost more than planned", x.At)
			}
		case x.Status == http.StatusTooManyRequests:
			throttled++
		case x.Status >= 500:
			failed++
		case x.Status == http.StatusOK:
			ok++
			if x.At.Before(quotaEnd) {
				t.Errorf("%s %s sent at %v, while the tenant was paused until %v", x.Method, x.Path, x.At, quotaEnd)
			}
		}
	}
	t.Logf("%d pages: %d ok, %d throttled, %d failed, %d quota; fake time %v",
		pages, ok, throttled, failed, quota, env.clock.Now().Sub(quotaEnd.Add(-45*time.Second)))
	if quota != 1 {
		t.Errorf("%d calls hit the exhausted tenant quota, want 1 (then pause until reset)", quota)
	}
	if throttled == 0 || failed == 0 {
		t.Fatalf("the storm did not happen: %d throttled, %d failed", throttled, failed)
	}
	// One successful call per page, plus the field discovery: no page was
	// read twice.
	if ok != pages+1 {
		t.Errorf("successful calls = %d, want %d", ok, pages+1)
	}
}

func TestRetryOn5xx(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{jiraemu.Generate(120, 3)}, Options{}, false)
	env.emu.SetFaults(jiraemu.Faults{Errors: []jiraemu.ErrorRule{
		{Endpoint: "POST /rest/api/3/search/jql", Count: 3, Status: 503},
		{Endpoint: "GET /rest/api/3/issue/{issueIdOrKey}", Count: 2, Status: 502},
	}})
	if got := len(scanAll(t, env.client, jiraemu.SyntheticKey, nil)); got != 120 {
		t.Errorf("scanned %d issues, want 120", got)
	}
	if _, err := env.client.GetIssue(context.Background(), jiraemu.SyntheticKey+"-1", false); err != nil {
		t.Errorf("GetIssue through two 502s: %v", err)
	}
	stats := env.emu.Stats()
	if got := stats.ByEndpoint["POST /rest/api/3/search/jql"].ByStatus[503]; got != 3 {
		t.Errorf("503s = %d, want 3", got)
	}
	// A non-idempotent call is not retried.
	env.emu.SetFaults(jiraemu.Faults{Errors: []jiraemu.ErrorRule{{Endpoint: "POST /rest/api/3/issueLink", Count: 1, Status: 503}}})
	err := env.client.CreateLink(context.Background(), "Relates", jiraemu.SyntheticKey+"-1", jiraemu.SyntheticKey+"-2")
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("CreateLink through a 503: err = %v, want ErrUnavailable", err)
	}
	if got := env.emu.Stats().Requests("POST /rest/api/3/issueLink"); got != 1 {
		t.Errorf("issueLink requests = %d, want 1 (no retry of a POST)", got)
	}
}

func TestBulkCreateWithPartialFailure(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, true)
	ctx := context.Background()
	three := 3.0
	var in []NewIssue
	for i := range 60 {
		in = append(in, NewIssue{
			ProjectKey: "APP", IssueType: "Story", Summary: fmt.Sprintf("Generated story %d", i),
			Description: ptr(adf.NewDoc(adf.Paragraph(adf.Text(fmt.Sprintf("As a shopper I want feature %d.", i))),
				adf.BulletList(adf.Item(adf.Text("it works"))))),
			ParentKey: "APP-1", Labels: []string{"backlogai"}, StoryPoints: &three,
		})
	}
	in[3].IssueType = "Nonsense" // Jira rejects the element
	in[55].ParentKey = "APP-999" // in the second chunk
	in[10].Summary = ""          // refused before sending
	results, err := env.client.CreateIssues(ctx, in)
	if err != nil {
		t.Fatalf("CreateIssues: %v", err)
	}
	if len(results) != len(in) {
		t.Fatalf("%d results for %d issues", len(results), len(in))
	}
	var keys []string
	for i, r := range results {
		if r.Index != i {
			t.Errorf("result %d has index %d", i, r.Index)
		}
		switch i {
		case 3, 55:
			var ie *ItemError
			if !errors.As(r.Err, &ie) || !errors.Is(r.Err, domain.ErrInvalid) || r.Key != "" {
				t.Errorf("item %d: %+v, want a Jira item error", i, r)
			} else if ie.Detail() == "" {
				t.Errorf("item %d: error without Jira's reason", i)
			}
		case 10:
			if !errors.Is(r.Err, domain.ErrInvalid) || r.Key != "" {
				t.Errorf("item 10: %+v, want ErrInvalid", r)
			}
		default:
			if r.Err != nil || r.Key == "" {
				t.Errorf("item %d: %+v, want created", i, r)
			}
			keys = append(keys, r.Key)
		}
	}
	if got := env.emu.Stats().Requests("POST /rest/api/3/issue/bulk"); got != 2 {
		t.Errorf("bulk create requests = %d, want 2 (50 + 10)", got)
	}
	env.requireValidated(t, "POST /rest/api/3/issue/bulk")
	created, err := env.client.BulkFetch(ctx, keys, nil)
	if err != nil {
		t.Fatalf("BulkFetch: %v", err)
	}
	if len(created) != 57 {
		t.Fatalf("fetched %d created issues, want 57", len(created))
	}
	byKey := map[string]domain.Issue{}
	for _, is := range created {
		byKey[is.Key] = is
	}
	first := byKey[results[0].Key]
	if first.Summary != "Generated story 0" || first.EpicKey != "APP-1" || first.StoryPoints == nil || *first.StoryPoints != 3 ||
		!slices.Equal(first.Labels, []string{"backlogai"}) || first.Description != "As a shopper I want feature 0.\n\n- it works" {
		t.Errorf("created issue reads back as %+v", first)
	}
}

func ptr[T any](v T) *T { return &v }

func TestBulkFetchSplitsAndSkipsMissing(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{jiraemu.Generate(250, 5)}, Options{}, true)
	var keys []string
	for i := 1; i <= 250; i++ {
		keys = append(keys, fmt.Sprintf("%s-%d", jiraemu.SyntheticKey, i))
	}
	keys = append(keys, jiraemu.SyntheticKey+"-9999")
	got, err := env.client.BulkFetch(context.Background(), keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Errorf("fetched %d issues, want 250", len(got))
	}
	if n := env.emu.Stats().Requests("POST /rest/api/3/issue/bulkfetch"); n != 3 {
		t.Errorf("bulkfetch requests = %d, want 3", n)
	}
	env.requireValidated(t, "POST /rest/api/3/issue/bulkfetch")
}

func TestBulkPropertiesTaskFlow(t *testing.T) {
	const n = 250
	env := newEmuEnv(t, []*jiraemu.Fixture{jiraemu.Generate(n, 9)}, Options{}, true)
	ctx := context.Background()
	issues := scanAll(t, env.client, jiraemu.SyntheticKey, nil)
	values := map[string]json.RawMessage{}
	for _, is := range issues {
		values[is.ID] = json.RawMessage(fmt.Sprintf(`{"score":%d,"moscow":"Should"}`, len(is.Key)))
	}
	if err := env.client.SetPropertiesBulk(ctx, "backlogai", values); err != nil {
		t.Fatalf("SetPropertiesBulk: %v", err)
	}
	stats := env.emu.Stats()
	if got := stats.Requests("POST /rest/api/3/issue/properties/multi"); got != 3 {
		t.Errorf("multi requests = %d, want 3", got)
	}
	if got := stats.ByEndpoint["POST /rest/api/3/issue/properties/multi"].ByStatus[http.StatusSeeOther]; got != 3 {
		t.Errorf("303 answers = %d, want 3", got)
	}
	if got := stats.Requests("GET /rest/api/3/task/{taskId}"); got < 3 {
		t.Errorf("task requests = %d, want ≥ 3 (each task followed)", got)
	}
	got := 0
	err := env.client.Scan(ctx, jiraemu.SyntheticKey, ScanOptions{Properties: []string{"backlogai"}}, func(p Page) error {
		for i, is := range p.Issues {
			if string(p.Properties[i]["backlogai"]) != string(values[is.ID]) {
				var want, have any
				_ = json.Unmarshal(values[is.ID], &want)
				_ = json.Unmarshal(p.Properties[i]["backlogai"], &have)
				if !cmp.Equal(want, have) {
					t.Errorf("%s property = %s, want %s", is.Key, p.Properties[i]["backlogai"], values[is.ID])
				}
			}
			got++
		}
		return nil
	})
	if err != nil || got != n {
		t.Errorf("read back %d issues: %v", got, err)
	}
	env.requireValidated(t, "POST /rest/api/3/issue/properties/multi", "GET /rest/api/3/task/{taskId}")
	bad := map[string]json.RawMessage{"abc": json.RawMessage(`1`)}
	if err := env.client.SetPropertiesBulk(ctx, "backlogai", bad); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("non-numeric id: err = %v, want ErrInvalid", err)
	}
	big := map[string]json.RawMessage{issues[0].ID: json.RawMessage(`"` + strings.Repeat("x", maxPropertyChars) + `"`)}
	if err := env.client.SetPropertiesBulk(ctx, "backlogai", big); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("oversized value: err = %v, want ErrInvalid", err)
	}
}

func TestLinkDirection(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, true)
	ctx := context.Background()
	if err := env.client.CreateLink(ctx, "Blocks", "APP-4", "APP-2"); err != nil { // APP-4 blocks APP-2
		t.Fatal(err)
	}
	if err := env.client.CreateLink(ctx, "Duplicate", "APP-3", "APP-2"); err != nil { // APP-3 duplicates APP-2
		t.Fatal(err)
	}
	links := func(key string) []domain.Link {
		d, err := env.client.GetIssue(ctx, key, false)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(d.Links, func(a, b domain.Link) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
		return d.Links
	}
	tests := []struct {
		key  string
		want []domain.Link
	}{
		{"APP-4", []domain.Link{{Kind: domain.LinkBlocks, OtherKey: "APP-2", OtherTitle: "Save the cart"}}},
		{"APP-3", []domain.Link{{Kind: domain.LinkDuplicates, OtherKey: "APP-2", OtherTitle: "Save the cart"}}},
		{"APP-2", []domain.Link{
			{Kind: domain.LinkBlockedBy, OtherKey: "APP-4", OtherTitle: "Cart loses items"},
			{Kind: domain.LinkDuplicatedBy, OtherKey: "APP-3", OtherTitle: "Share the cart"},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, links(tt.key)); diff != "" {
			t.Errorf("%s links (-want +got):\n%s", tt.key, diff)
		}
	}
	types, err := env.client.LinkTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, lt := range types {
		names = append(names, lt.Name)
	}
	for _, want := range []string{"Blocks", "Duplicate", "Relates"} {
		if !slices.Contains(names, want) {
			t.Errorf("link types %v lack %s", names, want)
		}
	}
	env.requireValidated(t, "POST /rest/api/3/issueLink", "GET /rest/api/3/issueLinkType")
}

func TestJWTRejectedWhenWrong(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, false)
	tests := []struct {
		name           string
		appKey, secret string
		skew           time.Duration
	}{
		{"wrong secret", env.emu.AppKey(), "not-the-secret", 0},
		{"clientKey as issuer", env.emu.ClientKey(), testSecret, 0},
		{"expired token", env.emu.AppKey(), testSecret, -10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer := &connect.SigningClient{
				HTTP: env.srv.Client(), AppKey: tt.appKey, BaseURL: env.srv.URL, Secret: tt.secret,
				Now: func() time.Time { return env.clock.Now().Add(tt.skew) },
			}
			c, err := New(signer, env.srv.URL, Options{Now: env.clock.Now, Sleep: env.clock.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetProject(context.Background(), "APP")
			if !errors.Is(err, domain.ErrUnauthorized) {
				t.Errorf("err = %v, want ErrUnauthorized", err)
			}
		})
	}
	if _, err := env.client.GetProject(context.Background(), "APP"); err != nil {
		t.Errorf("the right token was refused: %v", err)
	}
}

func TestSiteCalls(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, true)
	ctx := context.Background()
	p, err := env.client.GetProject(ctx, "APP")
	if err != nil || p.Key != "APP" || p.Name != "App" {
		t.Errorf("GetProject = %+v, %v", p, err)
	}
	if _, err := env.client.GetProject(ctx, "NOPE"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetProject(NOPE) err = %v, want ErrNotFound", err)
	}
	cloud, err := env.client.TenantInfo(ctx)
	if err != nil || cloud != jiraemu.DefaultCloudID {
		t.Errorf("TenantInfo = %q, %v", cloud, err)
	}
	sp, err := env.client.DiscoverStoryPointsField(ctx, 3)
	if err != nil || sp != jiraemu.DefaultStoryPointsField {
		t.Errorf("DiscoverStoryPointsField = %q, %v", sp, err)
	}

	summary, eight := "Save the cart for 30 days", 8.0
	edit := IssueEdit{
		Summary:     &summary,
		Description: ptr(adf.NewDoc(adf.Paragraph(adf.Text("Updated by BacklogAI.")))),
		Labels:      []string{"customer", "backlogai"},
		StoryPoints: &eight,
	}
	if err := env.client.EditIssue(ctx, "APP-2", edit); err != nil {
		t.Fatalf("EditIssue: %v", err)
	}
	d, err := env.client.GetIssue(ctx, "APP-2", true)
	if err != nil {
		t.Fatal(err)
	}
	if d.Summary != summary || d.Description != "Updated by BacklogAI." || d.StoryPoints == nil || *d.StoryPoints != 8 ||
		!slices.Equal(d.Labels, []string{"customer", "backlogai"}) {
		t.Errorf("after edit: %+v", d.Issue)
	}
	if len(d.Changelog) == 0 {
		t.Error("no changelog after an edit")
	} else {
		var fields []string
		for _, h := range d.Changelog {
			for _, it := range h.Items {
				fields = append(fields, it.Field)
			}
		}
		if !slices.Contains(fields, "summary") {
			t.Errorf("changelog fields %v lack summary", fields)
		}
	}
	if err := env.client.EditIssue(ctx, "APP-3", IssueEdit{ParentKey: ptr("")}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("empty parent key: err = %v, want ErrInvalid", err)
	}
	if err := env.client.EditIssue(ctx, "APP-4", IssueEdit{ParentKey: ptr("APP-1"), Description: ptr(adf.NewDoc())}); err != nil {
		t.Errorf("move under the epic and clear the description: %v", err)
	}
	if d, err := env.client.GetIssue(ctx, "APP-4", false); err != nil || d.EpicKey != "APP-1" || d.Description != "" {
		t.Errorf("APP-4 after the edit: epic %q, description %q, %v", d.EpicKey, d.Description, err)
	}
	if _, err := env.client.GetIssue(ctx, "APP-404", false); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetIssue(APP-404) err = %v, want ErrNotFound", err)
	}

	id, err := env.client.AddComment(ctx, "APP-2", adf.NewDoc(adf.Paragraph(adf.Strong("BacklogAI"), adf.Text(" suggests splitting this story."))))
	if err != nil || id == "" {
		t.Errorf("AddComment = %q, %v", id, err)
	}
	if _, err := env.client.AddComment(ctx, "APP-2", adf.NewDoc()); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("empty comment: err = %v, want ErrInvalid", err)
	}
	if err := env.client.SetProperty(ctx, "APP-2", "backlogai", map[string]string{"x": strings.Repeat("y", maxPropertyChars)}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("oversized property: err = %v, want ErrInvalid", err)
	}

	env.requireValidated(t, "GET /rest/api/3/project/{projectIdOrKey}", "GET /rest/api/3/field",
		"PUT /rest/api/3/issue/{issueIdOrKey}", "GET /rest/api/3/issue/{issueIdOrKey}",
		"POST /rest/api/3/issue/{issueIdOrKey}/comment")
}
