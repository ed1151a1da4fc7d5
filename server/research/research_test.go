package research

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
)

// fakeSerp answers /search.json in SerpAPI's format. answer picks the
// status and body for a query.
type fakeSerp struct {
	mu      sync.Mutex
	queries []string
	answer  func(q string) (int, string)
	srv     *httptest.Server
}

func newFakeSerp(t *testing.T, answer func(q string) (int, string)) *fakeSerp {
	f := &fakeSerp{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/search.json" || q.Get("engine") != "google" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"Unsupported engine."}`))
			return
		}
		if q.Get("api_key") != "serp-key" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"Invalid API key. Your API key should be here: https://serpapi.com/manage-api-key"}`))
			return
		}
		f.mu.Lock()
		f.queries = append(f.queries, q.Get("q"))
		f.mu.Unlock()
		status, body := f.answer(q.Get("q"))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSerp) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queries)
}

func testdata(t *testing.T, name string) string {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSerpAPISearchParsesGoogleJSON(t *testing.T) {
	body := testdata(t, "checkout.json")
	f := newFakeSerp(t, func(string) (int, string) { return 200, body })
	s := &SerpAPI{BaseURL: f.srv.URL, APIKey: "serp-key"}
	res, err := s.Search(context.Background(), "mobile checkout abandonment")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Organic) != 5 || len(res.Questions) != 2 {
		t.Fatalf("%d organic, %d questions", len(res.Organic), len(res.Questions))
	}
	want := Organic{Position: 2, Title: "Shopify Checkout now supports one-tap Shop Pay on every theme",
		Link: "https://www.shopify.com/news/shop-pay-everywhere", Date: "Mar 12, 2026", Source: "Shopify",
		Snippet: "Shopify now offers one-tap Shop Pay checkout for returning buyers across all themes, which it says lifts mobile conversion by up to 50%."}
	if diff := cmp.Diff(want, res.Organic[1]); diff != "" {
		t.Errorf("organic result (-want +got):\n%s", diff)
	}
	if f.queries[0] != "mobile checkout abandonment" {
		t.Errorf("query sent %q", f.queries[0])
	}
}

func TestSerpAPIErrors(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		status int
		body   string
		is     error
		empty  bool
	}{
		{name: "bad key", key: "wrong", is: domain.ErrUnauthorized},
		{name: "out of searches", status: 429, body: `{"error":"Your account has run out of searches."}`, is: domain.ErrRateLimited},
		{name: "server error", status: 503, body: `<html>Service Unavailable</html>`, is: domain.ErrUnavailable},
		{name: "not JSON", status: 200, body: `<html>hi</html>`, is: domain.ErrUnavailable},
		{name: "no results", status: 200, empty: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if tc.empty {
				body = testdata(t, "empty.json")
			}
			f := newFakeSerp(t, func(string) (int, string) { return tc.status, body })
			key := tc.key
			if key == "" {
				key = "serp-key"
			}
			res, err := (&SerpAPI{BaseURL: f.srv.URL, APIKey: key}).Search(context.Background(), "q")
			if tc.empty {
				if err != nil || !res.Empty() {
					t.Fatalf("no results: %+v %v", res, err)
				}
				return
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error leaks the API key: %v", err)
			}
		})
	}
}

func TestExtractFindings(t *testing.T) {
	f := newFakeSerp(t, func(string) (int, string) { return 200, testdata(t, "checkout.json") })
	res, err := (&SerpAPI{BaseURL: f.srv.URL, APIKey: "serp-key"}).Search(context.Background(), "q")
	if err != nil {
		t.Fatal(err)
	}
	got := Extract([]string{"Shopify", "BigCommerce", "Wix"}, res)
	if len(got.Sources) != 6 || got.Sources[0].Date != "Jan 8, 2026" || got.Sources[0].URL != "https://baymard.com/lists/cart-abandonment-rate" {
		t.Errorf("sources %+v", got.Sources)
	}
	contains := func(list []Signal, sub string) bool {
		for _, s := range list {
			if strings.Contains(s.Text, sub) && s.Source >= 0 && s.Source < len(got.Sources) {
				return true
			}
		}
		return false
	}
	checks := []struct {
		kind string
		list []Signal
		sub  string
	}{
		{"trend", got.Trends, "Mobile now accounts for 73% of ecommerce traffic"},
		{"trend", got.Trends, "Wallet payments are expected to reach half"},
		{"pain", got.PainPoints, "People ask: Why do shoppers abandon checkout on mobile?"},
		{"pain", got.PainPoints, "Merchants complain that buyers give up"},
		{"differentiator", got.Differentiators, "None of the big platforms lets small stores save a cart"},
	}
	for _, c := range checks {
		if !contains(c.list, c.sub) {
			t.Errorf("%s %q not found in %+v", c.kind, c.sub, c.list)
		}
	}
	comps := map[string]bool{}
	for _, cf := range got.CompetitorFeatures {
		comps[cf.Competitor] = true
	}
	if !comps["Shopify"] || !comps["BigCommerce"] || comps["Wix"] {
		t.Errorf("competitor features %+v", got.CompetitorFeatures)
	}
}

func TestQueries(t *testing.T) {
	now := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	got := Queries(Request{Objective: "Reduce checkout abandonment on mobile for returning buyers", Persona: "mobile shopper",
		Segment: "small merchants", Competitors: []string{"Shopify", " ", "BigCommerce", "Wix"}}, 3, now)
	want := []string{
		"reduce checkout abandonment mobile returning buyers small merchants trends 2026",
		"mobile shopper reduce checkout abandonment mobile returning buyers problems",
		"Shopify vs BigCommerce reduce checkout abandonment mobile returning buyers features",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	if q := Queries(Request{Objective: "the and of"}, 3, now); q != nil {
		t.Errorf("queries from stop words only: %v", q)
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// memCache is Cache in memory on the test's clock.
type memCache struct {
	now func() time.Time
	m   map[string]cachedAnswer
}

type cachedAnswer struct {
	raw json.RawMessage
	at  time.Time
	ttl time.Duration
}

func (c *memCache) CachedResearch(_ context.Context, provider, query string) (json.RawMessage, time.Time, bool, error) {
	e, ok := c.m[provider+"\x00"+query]
	if !ok || !c.now().Before(e.at.Add(e.ttl)) {
		return nil, time.Time{}, false, nil
	}
	return e.raw, e.at, true, nil
}

func (c *memCache) CacheResearch(_ context.Context, provider, query string, raw json.RawMessage, ttl time.Duration) error {
	if c.m == nil {
		c.m = map[string]cachedAnswer{}
	}
	c.m[provider+"\x00"+query] = cachedAnswer{raw: raw, at: c.now(), ttl: ttl}
	return nil
}

// memQuota counts searches per month in memory.
type memQuota struct{ used map[string]int }

func month(t time.Time) string { return t.UTC().Format("2006-01") }

func (q *memQuota) TakeSearch(_ context.Context, now time.Time, limit int) (bool, error) {
	if q.used == nil {
		q.used = map[string]int{}
	}
	if q.used[month(now)] >= limit {
		return false, nil
	}
	q.used[month(now)]++
	return true, nil
}

func (q *memQuota) ReturnSearch(_ context.Context, now time.Time) error {
	q.used[month(now)]--
	return nil
}

func TestWebResearchCacheAndQuota(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	cache, quota := &memCache{now: c.now}, &memQuota{}
	checkout := testdata(t, "checkout.json")
	var mu sync.Mutex
	failing := map[string]bool{}
	f := newFakeSerp(t, func(q string) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case failing[q]:
			return 500, `{"error":"Internal error."}`
		case strings.Contains(q, "problems"):
			return 200, testdata(t, "empty.json")
		}
		return 200, checkout
	})
	req := Request{Objective: "Reduce checkout abandonment on mobile", Persona: "shopper", Competitors: []string{"Shopify"}}
	w := &Web{Serp: &SerpAPI{BaseURL: f.srv.URL, APIKey: "serp-key"}, Cache: cache, Quota: quota, Limit: 5, TTL: time.Hour, Now: c.now}

	got, err := w.Research(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Searches != 3 || got.Cached != 0 || len(got.Sources) == 0 || len(got.Notices) != 0 {
		t.Fatalf("first research: %+v", got)
	}
	// Again: two answers come from the cache; the empty one was not cached.
	got, _ = w.Research(ctx, req)
	if got.Searches != 1 || got.Cached != 2 || f.count() != 4 {
		t.Errorf("second research: searches=%d cached=%d requests=%d", got.Searches, got.Cached, f.count())
	}
	if n := quota.used["2026-05"]; n != 4 {
		t.Errorf("quota counter %d, want 4", n)
	}
	// A failure is neither charged nor cached; the next query is not tried.
	c.t = c.t.Add(2 * time.Hour) // cache expired
	mu.Lock()
	for _, q := range got.Queries {
		failing[q] = true
	}
	mu.Unlock()
	got, _ = w.Research(ctx, req)
	if got.Searches != 0 || len(got.Notices) != 1 || !strings.Contains(got.Notices[0], "failed") {
		t.Errorf("failing research: %+v", got)
	}
	if n := quota.used["2026-05"]; n != 4 {
		t.Errorf("a failed search was charged: %d", n)
	}
	if _, _, ok, _ := cache.CachedResearch(ctx, ProviderSerpAPI, got.Queries[0]); ok {
		t.Error("a failure was cached")
	}
	// Quota: one search left this month.
	mu.Lock()
	clear(failing)
	mu.Unlock()
	before := f.count()
	got, _ = w.Research(ctx, req)
	if got.Searches != 1 || f.count() != before+1 || len(got.Notices) != 1 || !strings.Contains(got.Notices[0], "quota (5 searches) is used up") {
		t.Errorf("quota: searches=%d requests=%d notices=%v", got.Searches, f.count()-before, got.Notices)
	}
}

func TestSimilarIssuesFromTheProject(t *testing.T) {
	now := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	issues := []domain.Issue{
		{Key: "SHOP-1", Type: domain.TypeStory, Summary: "Save the cart across devices for returning shoppers", Votes: 14, Status: "To Do", StatusCat: domain.StatusToDo,
			Description: "As a returning shopper, I want my cart saved across devices, so that I can finish checkout on my phone."},
		{Key: "SHOP-2", Type: domain.TypeBug, Summary: "Invoice PDF shows the wrong VAT number", Status: "Done", StatusCat: domain.StatusDone},
		{Key: "SHOP-3", Type: domain.TypeStory, Summary: "Guest checkout without creating an account", Votes: 3, Status: "Done", StatusCat: domain.StatusDone,
			Description: "As a first-time shopper, I want to check out as a guest, so that I do not have to create an account."},
	}
	p := analysis.NewProject(domain.DefaultStrategy(), issues, func() time.Time { return now })
	got := Similar(p, Request{Objective: "Keep a shopper's cart saved across devices", Context: "Returning shoppers start on desktop and finish checkout on their phone."}, 3)
	if len(got) == 0 || got[0].Key != "SHOP-1" || got[0].Votes != 14 || got[0].Similarity <= 0 {
		t.Fatalf("similar %+v", got)
	}
	for _, s := range got {
		if s.Key == "SHOP-2" {
			t.Errorf("unrelated bug listed: %+v", s)
		}
	}
	if Similar(nil, Request{}, 3) != nil {
		t.Error("nil project")
	}
}
