package jiraemu

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

var okDoc = map[string]any{"version": 1, "type": "doc", "content": []any{
	map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "As a shopper, I want to pay with PayPal so that I can check out without a card."}}},
}}

func createBody(summary string, extra map[string]any) map[string]any {
	fields := map[string]any{"project": map[string]string{"key": "SHOP"}, "issuetype": map[string]string{"name": "Story"}, "summary": summary, "description": okDoc}
	for k, v := range extra {
		fields[k] = v
	}
	return map[string]any{"fields": fields}
}

func TestCreateIssue(t *testing.T) {
	s := newSite(t, Options{})
	var created struct{ ID, Key, Self string }
	s.must(201, "POST", "/rest/api/3/issue", createBody("Pay with PayPal", map[string]any{
		"labels": []string{"checkout", "revenue"}, "priority": map[string]string{"name": "High"},
		"customfield_10016": 5, "parent": map[string]string{"key": "SHOP-1"},
	}), &created)
	if !strings.HasPrefix(created.Key, "SHOP-") || created.Self != s.srv.URL+"/rest/api/3/issue/"+created.ID {
		t.Fatalf("created = %+v", created)
	}
	var is struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	s.must(200, "GET", "/rest/api/3/issue/"+created.Key, nil, &is)
	checks := map[string]string{
		"summary":           `"Pay with PayPal"`,
		"customfield_10016": `5`,
		"labels":            `["checkout","revenue"]`,
	}
	for f, want := range checks {
		if got := string(is.Fields[f]); got != want {
			t.Errorf("%s = %s, want %s", f, got, want)
		}
	}
	var parent struct{ Key string }
	json.Unmarshal(is.Fields["parent"], &parent)
	if parent.Key != "SHOP-1" {
		t.Errorf("parent = %s", is.Fields["parent"])
	}
	var st struct {
		Name           string
		StatusCategory struct{ Key string } `json:"statusCategory"`
	}
	json.Unmarshal(is.Fields["status"], &st)
	if st.Name != "To Do" || st.StatusCategory.Key != "new" {
		t.Errorf("status = %s", is.Fields["status"])
	}
	jiraTimeRE := regexp.MustCompile(`^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}"$`)
	if !jiraTimeRE.Match(is.Fields["created"]) {
		t.Errorf("created %s not in Jira's format", is.Fields["created"])
	}
}

func TestCreateRejectsWhatJiraRejects(t *testing.T) {
	s := newSite(t, Options{})
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"plain text description", createBody("x", map[string]any{"description": "As a shopper I want"}), "description"},
		{"invalid ADF node", createBody("x", map[string]any{"description": map[string]any{"version": 1, "type": "doc", "content": []any{map[string]any{"type": "blink"}}}}), "description"},
		{"ADF text without text", createBody("x", map[string]any{"description": map[string]any{"version": 1, "type": "doc", "content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text"}}}}}}), "description"},
		{"no summary", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "SHOP"}, "issuetype": map[string]string{"name": "Story"}}}, "summary"},
		{"unknown project", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "NOPE"}, "issuetype": map[string]string{"name": "Story"}, "summary": "x"}}, "project"},
		{"unknown field", createBody("x", map[string]any{"customfield_99999": 1}), "customfield_99999"},
		{"label with space", createBody("x", map[string]any{"labels": []string{"two words"}}), "labels"},
		{"story points not a number", createBody("x", map[string]any{"customfield_10016": "five"}), "customfield_10016"},
		{"subtask without parent", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "SHOP"}, "issuetype": map[string]string{"name": "Subtask"}, "summary": "x"}}, "parent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var eb errBody
			s.must(400, "POST", "/rest/api/3/issue", c.body, &eb)
			if eb.Errors[c.field] == "" {
				t.Errorf("errors = %v, want an error on %s", eb.Errors, c.field)
			}
		})
	}
}

func TestBulkCreatePartialFailure(t *testing.T) {
	s := newSite(t, Options{})
	before := s.emu.IssueCount("SHOP")
	var out struct {
		Issues []struct{ ID, Key, Self string } `json:"issues"`
		Errors []struct {
			Status              int     `json:"status"`
			FailedElementNumber int     `json:"failedElementNumber"`
			ElementErrors       errBody `json:"elementErrors"`
		} `json:"errors"`
	}
	s.must(201, "POST", "/rest/api/3/issue/bulk", map[string]any{"issueUpdates": []any{
		createBody("First", nil),
		createBody("Second", map[string]any{"description": "plain text"}),
		createBody("Third", nil),
	}}, &out)
	if len(out.Issues) != 2 || len(out.Errors) != 1 {
		t.Fatalf("issues %d errors %d, want 2 and 1", len(out.Issues), len(out.Errors))
	}
	if e := out.Errors[0]; e.FailedElementNumber != 1 || e.Status != 400 || e.ElementErrors.Errors["description"] == "" {
		t.Errorf("error element = %+v", e)
	}
	if got := s.emu.IssueCount("SHOP"); got != before+2 {
		t.Errorf("issue count %d, want %d", got, before+2)
	}
	// All failing: 400 with the same body shape.
	s.must(400, "POST", "/rest/api/3/issue/bulk", map[string]any{"issueUpdates": []any{createBody("", nil)}}, &out)
	if len(out.Issues) != 0 || len(out.Errors) != 1 || out.Errors[0].FailedElementNumber != 0 {
		t.Errorf("all-failed body = %+v", out)
	}
	// More than 50 is refused as a whole.
	many := make([]any, 51)
	for i := range many {
		many[i] = createBody("Many", nil)
	}
	s.must(400, "POST", "/rest/api/3/issue/bulk", map[string]any{"issueUpdates": many}, nil)
	if got := s.emu.IssueCount("SHOP"); got != before+2 {
		t.Errorf("issue count after refused bulk %d, want %d", got, before+2)
	}
}

func TestEditIssue(t *testing.T) {
	s := newSite(t, Options{})
	s.must(204, "PUT", "/rest/api/3/issue/SHOP-2", map[string]any{
		"fields": map[string]any{"summary": "Renamed story", "customfield_10016": 8},
		"update": map[string]any{"labels": []any{map[string]any{"add": "quick-win"}}},
	}, nil)
	var cl struct {
		Values []struct {
			Items []changeItem `json:"items"`
		} `json:"values"`
	}
	s.must(200, "GET", "/rest/api/3/issue/SHOP-2/changelog", nil, &cl)
	last := cl.Values[len(cl.Values)-1].Items
	fields := map[string]bool{}
	for _, it := range last {
		fields[it.Field] = true
	}
	for _, f := range []string{"summary", "labels", "Story point estimate"} {
		if !fields[f] {
			t.Errorf("changelog of the edit lacks %s: %+v", f, last)
		}
	}
	var bean struct {
		Key    string
		Fields map[string]json.RawMessage
	}
	s.must(200, "PUT", "/rest/api/3/issue/SHOP-2?returnIssue=true", map[string]any{"fields": map[string]any{"duedate": "2026-07-01"}}, &bean)
	if bean.Key != "SHOP-2" || string(bean.Fields["duedate"]) != `"2026-07-01"` {
		t.Errorf("returnIssue body: key %s duedate %s", bean.Key, bean.Fields["duedate"])
	}
	var eb errBody
	s.must(400, "PUT", "/rest/api/3/issue/SHOP-2", map[string]any{"fields": map[string]any{"status": map[string]string{"name": "Done"}}}, &eb)
	if eb.Errors["status"] == "" {
		t.Errorf("status edit: %+v", eb)
	}
	s.must(404, "PUT", "/rest/api/3/issue/SHOP-99999", map[string]any{"fields": map[string]any{"summary": "x"}}, nil)
}

func TestGetIssue(t *testing.T) {
	s := newSite(t, Options{})
	var is struct {
		ID        string                     `json:"id"`
		Key       string                     `json:"key"`
		Fields    map[string]json.RawMessage `json:"fields"`
		Names     map[string]string          `json:"names"`
		Changelog *struct {
			Total     int `json:"total"`
			Histories []struct {
				Created string `json:"created"`
			} `json:"histories"`
		} `json:"changelog"`
		RenderedFields map[string]any `json:"renderedFields"`
	}
	s.must(200, "GET", "/rest/api/3/issue/SHOP-1?expand=names,changelog,renderedFields", nil, &is)
	for _, f := range []string{"summary", "description", "issuetype", "status", "priority", "labels", "components",
		"votes", "watches", "issuelinks", "fixVersions", "created", "updated", "customfield_10016", "comment", "project"} {
		if _, ok := is.Fields[f]; !ok {
			t.Errorf("GET issue (fields *all) lacks %s", f)
		}
	}
	var it struct {
		Name           string
		Subtask        bool
		HierarchyLevel *int `json:"hierarchyLevel"`
	}
	json.Unmarshal(is.Fields["issuetype"], &it)
	if it.Name == "" || it.HierarchyLevel == nil {
		t.Errorf("issuetype = %s", is.Fields["issuetype"])
	}
	if is.Names["summary"] != "Summary" {
		t.Errorf("names = %v", is.Names)
	}
	if is.Changelog == nil || len(is.Changelog.Histories) != is.Changelog.Total {
		t.Errorf("changelog expand = %+v", is.Changelog)
	}
	if is.RenderedFields == nil {
		t.Error("renderedFields missing")
	}
	var byID struct{ Key string }
	s.must(200, "GET", "/rest/api/3/issue/"+is.ID+"?fields=summary", nil, &byID)
	if byID.Key != "SHOP-1" {
		t.Errorf("by id: %s", byID.Key)
	}
	var eb errBody
	s.must(404, "GET", "/rest/api/3/issue/SHOP-99999", nil, &eb)
	if len(eb.ErrorMessages) != 1 || eb.Errors == nil {
		t.Errorf("404 body = %+v", eb)
	}
	// A GET with a body is refused, as Jira does.
	req := s.request("GET", "/rest/api/3/issue/SHOP-1", map[string]any{"x": 1})
	if st, _, _ := s.send(req); st != 403 {
		t.Errorf("GET with body: %d, want 403", st)
	}
}

func TestDeleteIssue(t *testing.T) {
	s := newSite(t, Options{})
	var created struct{ Key string }
	s.must(201, "POST", "/rest/api/3/issue", createBody("To delete", nil), &created)
	s.must(201, "POST", "/rest/api/3/issueLink", map[string]any{"type": map[string]string{"name": "Blocks"},
		"inwardIssue": map[string]string{"key": created.Key}, "outwardIssue": map[string]string{"key": "SHOP-1"}}, nil)
	s.must(204, "DELETE", "/rest/api/3/issue/"+created.Key, nil, nil)
	s.must(404, "GET", "/rest/api/3/issue/"+created.Key, nil, nil)
	var is struct {
		Fields struct {
			IssueLinks []map[string]any `json:"issuelinks"`
		} `json:"fields"`
	}
	s.must(200, "GET", "/rest/api/3/issue/SHOP-1?fields=issuelinks", nil, &is)
	for _, l := range is.Fields.IssueLinks {
		if in, ok := l["inwardIssue"].(map[string]any); ok && in["key"] == created.Key {
			t.Error("link to the deleted issue survived")
		}
	}
}

func TestLinkDirection(t *testing.T) {
	s := newSite(t, Options{})
	type linked struct {
		Key string `json:"key"`
	}
	type issueLinks struct {
		Fields struct {
			IssueLinks []struct {
				Type struct {
					Name, Inward, Outward string
				} `json:"type"`
				InwardIssue  *linked `json:"inwardIssue"`
				OutwardIssue *linked `json:"outwardIssue"`
			} `json:"issuelinks"`
		} `json:"fields"`
	}
	var a, b struct{ Key string }
	s.must(201, "POST", "/rest/api/3/issue", createBody("Blocker A", nil), &a)
	s.must(201, "POST", "/rest/api/3/issue", createBody("Blocked B", nil), &b)
	for _, typ := range []string{"Blocks", "Duplicate"} {
		t.Run(typ, func(t *testing.T) {
			body := s.must(201, "POST", "/rest/api/3/issueLink", map[string]any{"type": map[string]string{"name": typ},
				"inwardIssue": map[string]string{"key": a.Key}, "outwardIssue": map[string]string{"key": b.Key}}, nil)
			if len(body) != 0 {
				t.Errorf("link body = %q, want empty", body)
			}
			// Posting it again creates no second link.
			s.must(201, "POST", "/rest/api/3/issueLink", map[string]any{"type": map[string]string{"name": typ},
				"inwardIssue": map[string]string{"key": a.Key}, "outwardIssue": map[string]string{"key": b.Key}}, nil)
			var la, lb issueLinks
			s.must(200, "GET", "/rest/api/3/issue/"+a.Key+"?fields=issuelinks", nil, &la)
			s.must(200, "GET", "/rest/api/3/issue/"+b.Key+"?fields=issuelinks", nil, &lb)
			find := func(il issueLinks) (n int, in, out *linked, outward string) {
				for _, l := range il.Fields.IssueLinks {
					if l.Type.Name == typ {
						n++
						in, out, outward = l.InwardIssue, l.OutwardIssue, l.Type.Outward
					}
				}
				return
			}
			n, in, out, verb := find(la)
			// A blocks (duplicates) B: A's entry points outward to B.
			if n != 1 || in != nil || out == nil || out.Key != b.Key {
				t.Errorf("A's %s links: n=%d inward=%v outward=%v", typ, n, in, out)
			}
			if typ == "Blocks" && verb != "blocks" || typ == "Duplicate" && verb != "duplicates" {
				t.Errorf("outward description %q", verb)
			}
			n, in, out, _ = find(lb)
			if n != 1 || out != nil || in == nil || in.Key != a.Key {
				t.Errorf("B's %s links: n=%d inward=%v outward=%v", typ, n, in, out)
			}
		})
	}
	s.must(404, "POST", "/rest/api/3/issueLink", map[string]any{"type": map[string]string{"name": "Causes"},
		"inwardIssue": map[string]string{"key": a.Key}, "outwardIssue": map[string]string{"key": b.Key}}, nil)
	s.must(404, "POST", "/rest/api/3/issueLink", map[string]any{"type": map[string]string{"name": "Blocks"},
		"inwardIssue": map[string]string{"key": "SHOP-99999"}, "outwardIssue": map[string]string{"key": b.Key}}, nil)
	var lt struct {
		IssueLinkTypes []struct{ Name string } `json:"issueLinkTypes"`
	}
	s.must(200, "GET", "/rest/api/3/issueLinkType", nil, &lt)
	var names []string
	for _, x := range lt.IssueLinkTypes {
		names = append(names, x.Name)
	}
	if strings.Join(names, ",") != "Blocks,Cloners,Duplicate,Relates" {
		t.Errorf("link types = %v", names)
	}
}

func TestPropertiesCRUD(t *testing.T) {
	s := newSite(t, Options{})
	path := "/rest/api/3/issue/SHOP-5/properties/backlogai"
	s.must(404, "GET", path, nil, nil)
	s.must(201, "PUT", path, map[string]any{"score": 10}, nil)
	s.must(200, "PUT", path, map[string]any{"score": 20}, nil)
	var p struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	s.must(200, "GET", path, nil, &p)
	if p.Key != "backlogai" || string(p.Value) != `{"score":20}` {
		t.Errorf("property = %+v", p)
	}
	big := `"` + strings.Repeat("x", 32767) + `"` // 32769 characters
	s.must(400, "PUT", path, big, nil)
	s.must(400, "PUT", path, "{not json", nil)
	s.must(200, "PUT", path, `"`+strings.Repeat("x", 32766)+`"`, nil) // exactly 32768
	var keys struct {
		Keys []struct{ Key string } `json:"keys"`
	}
	s.must(200, "GET", "/rest/api/3/issue/SHOP-5/properties", nil, &keys)
	if len(keys.Keys) != 1 || keys.Keys[0].Key != "backlogai" {
		t.Errorf("keys = %+v", keys)
	}
	s.must(204, "DELETE", path, nil, nil)
	s.must(404, "DELETE", path, nil, nil)
	s.must(404, "PUT", "/rest/api/3/issue/SHOP-99999/properties/x", map[string]int{"a": 1}, nil)
}

func issueIDs(t *testing.T, s *testSite, keys ...string) []int64 {
	t.Helper()
	var ids []int64
	for _, k := range keys {
		var is struct{ ID string }
		s.must(200, "GET", "/rest/api/3/issue/"+k+"?fields=summary", nil, &is)
		var n int64
		json.Unmarshal([]byte(is.ID), &n)
		ids = append(ids, n)
	}
	return ids
}

func TestMultiPropertiesTaskFlow(t *testing.T) {
	s := newSite(t, Options{TaskDelay: 30 * time.Millisecond})
	ids := issueIDs(t, s, "SHOP-1", "SHOP-2")
	body := map[string]any{"issues": []any{
		map[string]any{"issueID": ids[0], "properties": map[string]any{"backlogai": map[string]any{"score": 91, "moscow": "Must"}}},
		map[string]any{"issueID": ids[1], "properties": map[string]any{"backlogai": map[string]any{"score": 12, "moscow": "Won't"}}},
		map[string]any{"issueID": 1, "properties": map[string]any{"backlogai": map[string]any{"score": 1}}}, // unknown: ignored
	}}
	st, h, b := s.do("POST", "/rest/api/3/issue/properties/multi", body)
	if st != 303 || len(b) != 0 {
		t.Fatalf("multi: %d %q, want 303 with no body", st, b)
	}
	loc := mustURL(t, h.Get("Location"))
	if !regexp.MustCompile(`^/rest/api/3/task/\d+$`).MatchString(loc.Path) || loc.Host != mustURL(t, s.srv.URL).Host {
		t.Fatalf("Location = %s", h.Get("Location"))
	}
	if _, ok := s.emu.IssueProperty("SHOP-1", "backlogai"); ok {
		t.Error("property applied synchronously; Jira applies it in a task")
	}
	var task struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Progress int    `json:"progress"`
	}
	s.must(200, "GET", loc.Path, nil, &task)
	if task.Status != TaskEnqueued {
		t.Errorf("fresh task status %s", task.Status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for task.Status != TaskComplete && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		s.must(200, "GET", loc.Path, nil, &task)
	}
	if task.Status != TaskComplete || task.Progress != 100 {
		t.Fatalf("task = %+v", task)
	}
	v, _ := s.emu.IssueProperty("SHOP-1", "backlogai")
	if string(v) != `{"moscow":"Must","score":91}` {
		t.Errorf("SHOP-1 property = %s", v)
	}
	// The alias is searchable once the task is done.
	var p searchPage
	s.must(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": `project = SHOP AND backlogMoscow = "Must"`, "fields": []string{"key"}}, &p)
	if len(p.Issues) != 1 || p.Issues[0].Key != "SHOP-1" {
		t.Errorf("backlogMoscow = Must found %+v", p.Issues)
	}
	s.must(404, "GET", "/rest/api/3/task/1", nil, nil)
}

func TestMultiPropertiesConflictAndLimits(t *testing.T) {
	s := newSite(t, Options{TaskDelay: time.Hour})
	ids := issueIDs(t, s, "SHOP-1", "SHOP-2", "SHOP-3")
	one := func(id int64) map[string]any {
		return map[string]any{"issueID": id, "properties": map[string]any{"backlogai": map[string]int{"score": 1}}}
	}
	s.must(303, "POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": []any{one(ids[0]), one(ids[1])}}, nil)
	var eb errBody
	s.must(409, "POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": []any{one(ids[1])}}, &eb)
	if len(eb.ErrorMessages) == 0 {
		t.Error("409 without errorMessages")
	}
	s.must(303, "POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": []any{one(ids[2])}}, nil)

	many := make([]any, 101)
	for i := range many {
		many[i] = one(int64(900000 + i))
	}
	s.must(400, "POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": many}, nil)
	props := map[string]any{}
	for i := 0; i < 11; i++ {
		props[string(rune('a'+i))] = i
	}
	s.must(400, "POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": []any{map[string]any{"issueID": 5, "properties": props}}}, nil)
	s.must(400, "POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": []any{one(5)}, "extra": true}, nil)
}

func TestCommentsAndChangelog(t *testing.T) {
	s := newSite(t, Options{})
	var c struct {
		ID   string          `json:"id"`
		Body json.RawMessage `json:"body"`
	}
	s.must(201, "POST", "/rest/api/3/issue/SHOP-3/comment", map[string]any{"body": okDoc}, &c)
	if c.ID == "" || !strings.Contains(string(c.Body), "PayPal") {
		t.Errorf("comment = %+v", c)
	}
	var eb errBody
	s.must(400, "POST", "/rest/api/3/issue/SHOP-3/comment", map[string]any{"body": "plain text"}, &eb)
	if eb.Errors["comment"] == "" {
		t.Errorf("plain comment error = %+v", eb)
	}
	var page struct {
		Total    int `json:"total"`
		Comments []struct {
			ID string `json:"id"`
		} `json:"comments"`
	}
	s.must(200, "GET", "/rest/api/3/issue/SHOP-3/comment", nil, &page)
	if page.Total == 0 || page.Comments[len(page.Comments)-1].ID != c.ID {
		t.Errorf("comments = %+v", page)
	}
	for i := 0; i < 3; i++ {
		s.must(204, "PUT", "/rest/api/3/issue/SHOP-3", map[string]any{"fields": map[string]any{"summary": "Edit " + string(rune('A'+i))}}, nil)
	}
	var cl struct {
		Total      int    `json:"total"`
		IsLast     bool   `json:"isLast"`
		NextPage   string `json:"nextPage"`
		MaxResults int    `json:"maxResults"`
		Values     []struct {
			Created string       `json:"created"`
			Items   []changeItem `json:"items"`
		} `json:"values"`
	}
	s.must(200, "GET", "/rest/api/3/issue/SHOP-3/changelog?maxResults=2", nil, &cl)
	if cl.Total < 3 || len(cl.Values) != 2 || cl.IsLast || cl.NextPage == "" {
		t.Fatalf("changelog page = %+v", cl)
	}
	start := cl.Total - 1
	s.must(200, "GET", "/rest/api/3/issue/SHOP-3/changelog?startAt="+itoa(start), nil, &cl)
	if !cl.IsLast || len(cl.Values) != 1 || *cl.Values[0].Items[0].ToString != "Edit C" {
		t.Errorf("last changelog entry = %+v (oldest first expected)", cl.Values)
	}
}

func TestFieldsBoardProjectTenant(t *testing.T) {
	s := newSite(t, Options{StoryPointsField: "customfield_10042", StoryPointsName: "Story Points"})
	var fields []struct {
		ID     string
		Name   string
		Custom bool
		Schema *struct {
			Type   string
			Custom string
		}
	}
	s.must(200, "GET", "/rest/api/3/field", nil, &fields)
	var jsw, named []string
	for _, f := range fields {
		if f.Schema != nil && f.Schema.Custom == "com.pyxis.greenhopper.jira:jsw-story-points" {
			jsw = append(jsw, f.ID)
		}
		if f.Name == "Story Points" {
			named = append(named, f.ID)
		}
	}
	if len(jsw) != 1 || jsw[0] != "customfield_10042" {
		t.Errorf("jsw-story-points fields = %v", jsw)
	}
	if len(named) != 2 {
		t.Errorf("fields named Story Points = %v, want the real one and the decoy", named)
	}
	var board struct {
		Estimation struct {
			Type  string
			Field struct{ FieldID string }
		}
	}
	s.must(200, "GET", "/rest/agile/1.0/board/1/configuration", nil, &board)
	if board.Estimation.Type != "field" || board.Estimation.Field.FieldID != "customfield_10042" {
		t.Errorf("board estimation = %+v", board.Estimation)
	}
	s.must(404, "GET", "/rest/agile/1.0/board/77/configuration", nil, nil)
	var proj struct{ Key, Name string }
	s.must(200, "GET", "/rest/api/3/project/SHOP", nil, &proj)
	if proj.Key != "SHOP" || proj.Name == "" {
		t.Errorf("project = %+v", proj)
	}
	s.must(404, "GET", "/rest/api/3/project/NOPE", nil, nil)
	// tenant_info needs no JWT.
	resp, err := s.srv.Client().Get(s.srv.URL + "/_edge/tenant_info")
	if err != nil {
		t.Fatal(err)
	}
	var ti struct{ CloudID string }
	json.NewDecoder(resp.Body).Decode(&ti)
	resp.Body.Close()
	if ti.CloudID != DefaultCloudID {
		t.Errorf("cloudId = %q", ti.CloudID)
	}
}
