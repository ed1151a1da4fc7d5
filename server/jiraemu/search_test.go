package jiraemu

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSearchPagesThroughManyPages(t *testing.T) {
	s := newSite(t, Options{Fixtures: synFixtures(t, 1234)})
	cases := []struct {
		name      string
		max       int
		fields    []string
		wantPages int
	}{
		{"fields cap page size at 100", 1000, []string{"summary", "status"}, 13},
		{"small pages", 250, []string{"summary"}, 13},
		{"id only allows 5000", 5000, []string{"id"}, 1},
		{"key only allows large pages", 500, []string{"key"}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys, pages := s.searchAll("project = SYN ORDER BY key ASC", c.max, c.fields)
			if len(keys) != 1234 {
				t.Fatalf("got %d issues, want 1234", len(keys))
			}
			if pages != c.wantPages {
				t.Errorf("pages = %d, want %d", pages, c.wantPages)
			}
			seen := map[string]bool{}
			for i, k := range keys {
				if c.fields[0] != "id" && k != fmt.Sprintf("SYN-%d", i+1) || c.fields[0] == "id" && k != fmt.Sprint(200000+i+1) {
					t.Fatalf("keys[%d] = %s, want SYN-%d (order)", i, k, i+1)
				}
				if seen[k] {
					t.Fatalf("%s twice", k)
				}
				seen[k] = true
			}
		})
	}
}

func TestSearchDefaultsToIDOnly(t *testing.T) {
	s := newSite(t, Options{})
	var raw struct {
		Issues []map[string]json.RawMessage `json:"issues"`
		IsLast bool                         `json:"isLast"`
	}
	s.must(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = SHOP", "maxResults": 10}, &raw)
	if len(raw.Issues) != 10 {
		t.Fatalf("got %d issues, want 10", len(raw.Issues))
	}
	for _, is := range raw.Issues {
		if len(is) != 1 || is["id"] == nil {
			t.Fatalf("default search issue has keys %v, want only id", keysOf(is))
		}
	}
	// GET takes the same parameters from the query.
	var got searchPage
	s.must(200, "GET", "/rest/api/3/search/jql?jql="+url.QueryEscape("project = SHOP ORDER BY key ASC")+"&fields=summary,status&maxResults=2", nil, &got)
	if len(got.Issues) != 2 || got.Issues[0].Key != "SHOP-1" || got.Issues[0].Fields["summary"] == nil || got.Issues[0].Fields["description"] != nil {
		t.Fatalf("GET search with fields: %+v", got.Issues)
	}
}

func keysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestOldSearchAnswers410(t *testing.T) {
	s := newSite(t, Options{})
	for _, m := range []string{"GET", "POST"} {
		var body any
		path := "/rest/api/3/search?jql=project%20%3D%20SHOP"
		if m == "POST" {
			path, body = "/rest/api/3/search", map[string]any{"jql": "project = SHOP"}
		}
		var eb errBody
		s.must(410, m, path, body, &eb)
		if len(eb.ErrorMessages) != 1 || !strings.Contains(eb.ErrorMessages[0], "/rest/api/3/search/jql") || eb.Errors == nil {
			t.Errorf("%s old search: %+v", m, eb)
		}
	}
}

func TestSearchRejectsBadRequests(t *testing.T) {
	s := newSite(t, Options{})
	cases := []struct {
		name string
		body any
		want string
	}{
		{"unknown body key", map[string]any{"jql": "project = SHOP", "startAt": 0}, "startAt"},
		{"unbounded", map[string]any{"jql": "ORDER BY key DESC"}, "Unbounded JQL"},
		{"empty jql", map[string]any{"jql": ""}, "Unbounded JQL"},
		{"parse error", map[string]any{"jql": "project = SHOP AND AND"}, "Error in the JQL Query"},
		{"unknown field", map[string]any{"jql": "flavour = vanilla"}, "Field 'flavour' does not exist"},
		{"unknown project", map[string]any{"jql": "project = NOPE"}, "The value 'NOPE' does not exist for the field 'project'"},
		{"missing key", map[string]any{"jql": "key in (SHOP-1, SHOP-99999)"}, "An issue with key 'SHOP-99999' does not exist"},
		{"too many properties", map[string]any{"jql": "project = SHOP", "properties": []string{"a", "b", "c", "d", "e", "f"}}, "properties"},
		{"too many reconcile", map[string]any{"jql": "project = SHOP", "reconcileIssues": make([]int, 51)}, "reconciled"},
		{"bad token", map[string]any{"jql": "project = SHOP", "nextPageToken": "garbage"}, "next page token"},
		{"expand must be a string", map[string]any{"jql": "project = SHOP", "expand": []string{"names"}}, "Invalid request payload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var eb errBody
			s.must(400, "POST", "/rest/api/3/search/jql", c.body, &eb)
			if len(eb.ErrorMessages) == 0 || !strings.Contains(eb.ErrorMessages[0], c.want) {
				t.Errorf("errorMessages %q, want one containing %q", eb.ErrorMessages, c.want)
			}
		})
	}
}

func TestSearchTokenBelongsToItsQuery(t *testing.T) {
	s := newSite(t, Options{})
	var p searchPage
	s.must(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = SHOP", "maxResults": 5}, &p)
	if p.NextPageToken == "" {
		t.Fatal("no next page token on the first of many pages")
	}
	s.must(400, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = SHOP AND issuetype = Bug", "nextPageToken": p.NextPageToken}, nil)
}

func TestSearchExpandAndProperties(t *testing.T) {
	s := newSite(t, Options{})
	s.must(201, "PUT", "/rest/api/3/issue/SHOP-2/properties/backlogai", `{"score": 71.5, "moscow": "Should", "quality": 80}`, nil)
	var p searchPage
	raw := s.must(200, "POST", "/rest/api/3/search/jql", map[string]any{
		"jql": "key = SHOP-2", "fields": []string{"summary", "customfield_10016"}, "expand": "names,schema",
		"properties": []string{"backlogai", "other"},
	}, &p)
	if len(p.Issues) != 1 {
		t.Fatalf("got %d issues", len(p.Issues))
	}
	if got := string(p.Issues[0].Properties["backlogai"]); got != `{"score":71.5,"moscow":"Should","quality":80}` {
		t.Errorf("properties.backlogai = %s", got)
	}
	if _, ok := p.Issues[0].Properties["other"]; ok {
		t.Error("absent property returned")
	}
	if p.Names["summary"] != "Summary" || p.Names["customfield_10016"] != "Story point estimate" {
		t.Errorf("names = %v", p.Names)
	}
	if !strings.Contains(string(raw), `"schema":{`) || !strings.Contains(string(raw), `"jsw-story-points"`) && !strings.Contains(string(raw), `com.pyxis.greenhopper.jira:jsw-story-points`) {
		t.Errorf("schema missing: %s", raw)
	}
	var c struct {
		Count int `json:"count"`
	}
	s.must(200, "POST", "/rest/api/3/search/approximate-count", map[string]any{"jql": "project = SHOP"}, &c)
	if c.Count != s.emu.IssueCount("SHOP") {
		t.Errorf("approximate count %d, want %d", c.Count, s.emu.IssueCount("SHOP"))
	}
}

func TestBulkFetch(t *testing.T) {
	s := newSite(t, Options{})
	var out struct {
		Issues []struct {
			Key    string                     `json:"key"`
			Fields map[string]json.RawMessage `json:"fields"`
		} `json:"issues"`
		IssueErrors []any `json:"issueErrors"`
	}
	s.must(200, "POST", "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": []string{"SHOP-3", "SHOP-1", "SHOP-99999"}, "fields": []string{"summary"}}, &out)
	if len(out.Issues) != 2 || out.Issues[0].Key != "SHOP-3" || out.Issues[1].Key != "SHOP-1" {
		t.Fatalf("bulkfetch issues = %+v", out.Issues)
	}
	if out.IssueErrors == nil || len(out.IssueErrors) != 0 {
		t.Errorf("issueErrors = %v, want []", out.IssueErrors)
	}
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = fmt.Sprintf("SHOP-%d", i+1)
	}
	s.must(400, "POST", "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": ids}, nil)
}

// BenchmarkScan100k pages through a 100k-issue project as the app's full
// scan does (100 issues with the fields it reads per page) and reports the
// wall time of one scan and the number of search calls.
func BenchmarkScan100k(b *testing.B) {
	e := New(Options{SharedSecret: testSecret, Fixtures: []*Fixture{Generate(100_000, 1)}})
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	defer e.Close()
	e.SetBaseURL(srv.URL)
	s := &testSite{t: &testing.T{}, emu: e, srv: srv, now: time.Now}
	fields := []string{"summary", "description", "issuetype", "status", "priority", "labels", "components",
		"votes", "watches", "issuelinks", "parent", "duedate", "fixVersions", "created", "updated", "customfield_10016"}
	for b.Loop() {
		e.ResetStats()
		keys, pages := s.searchAll("project = SYN ORDER BY key ASC", 100, fields)
		if len(keys) != 100_000 || pages != 1000 {
			b.Fatalf("scan: %d issues in %d pages", len(keys), pages)
		}
	}
	b.ReportMetric(float64(e.Stats().Requests("POST /rest/api/3/search/jql")), "searches/scan")
}

// TestConcurrentUse runs searches, edits and property writes at once (run
// it with -race).
func TestConcurrentUse(t *testing.T) {
	s := newSite(t, Options{TaskDelay: time.Millisecond, Fixtures: synFixtures(t, 300)})
	ids := issueIDs(t, s, "SYN-1", "SYN-2", "SYN-3", "SYN-4")
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				var st int
				switch (g + i) % 4 {
				case 0:
					st, _, _ = s.do("POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = SYN ORDER BY backlogScore DESC", "fields": []string{"summary"}, "maxResults": 100})
				case 1:
					st, _, _ = s.do("PUT", fmt.Sprintf("/rest/api/3/issue/SYN-%d/properties/backlogai", 10+g), map[string]int{"score": i})
				case 2:
					st, _, _ = s.do("PUT", fmt.Sprintf("/rest/api/3/issue/SYN-%d", 20+g), map[string]any{"fields": map[string]any{"summary": fmt.Sprint("edit ", i)}})
				case 3:
					st, _, _ = s.do("POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": []any{
						map[string]any{"issueID": ids[g%4], "properties": map[string]any{"backlogai": map[string]int{"score": i}}}}})
				}
				if st >= 500 || st == 401 || st == 400 {
					errs <- fmt.Sprint("status ", st)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
