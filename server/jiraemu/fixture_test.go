package jiraemu

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/adf"
)

// TestDemoFixtureIsGenerated fails when fixtures/shop.json and the
// building blocks disagree: run `go generate ./server/jiraemu/`.
func TestDemoFixtureIsGenerated(t *testing.T) {
	want, err := json.MarshalIndent(BuildDemo(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(want, '\n'), shopJSON) {
		t.Fatal("fixtures/shop.json is out of date with demo.go/demo_data.go: run go generate ./server/jiraemu/")
	}
}

func TestDemoFixtureContent(t *testing.T) {
	f, err := DemoFixture()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Issues) < 300 {
		t.Fatalf("%d issues, want at least 300", len(f.Issues))
	}
	count := map[string]int{}
	for _, is := range f.Issues {
		count["type:"+is.Type]++
		count["status:"+is.Status]++
		if is.Description != nil {
			if err := adf.Validate(is.Description); err != nil {
				t.Errorf("%s description: %v", is.Key, err)
			}
			compact := string(compactJSON(is.Description))
			if strings.Contains(compact, `"text":"Given `) || strings.Contains(compact, `"text":"Given"`) {
				count["gwt"]++
			}
			if strings.Contains(compact, `"type":"table"`) {
				count["table"]++
			}
		}
		for _, c := range is.Comments {
			if err := adf.Validate(c.Body); err != nil {
				t.Errorf("%s comment: %v", is.Key, err)
			}
			count["comments"]++
		}
		if is.Status == "Done" && is.StoryPoints != nil {
			count["done with points"]++
		}
		if is.Type == "Story" && !strings.Contains(strings.ToLower(is.Summary+string(is.Description)), "so that") {
			count["story without benefit"]++
		}
		if is.Votes > 0 {
			count["voted"]++
		}
		if is.DueDate != "" {
			count["due"]++
		}
		if len(is.FixVersions) > 0 {
			count["fix version"]++
		}
		if len(is.Labels) > 0 {
			count["labelled"]++
		}
		if len(is.Changelog) > 0 {
			count["with history"]++
		}
		if is.Parent != "" {
			count["with parent"]++
		}
	}
	for _, l := range f.Links {
		count["link:"+l.Type]++
	}
	mins := map[string]int{
		"type:Epic": 10, "type:Story": 150, "type:Bug": 40, "type:Task": 25, "type:Subtask": 20,
		"status:Done": 60, "status:In Progress": 15, "status:To Do": 100,
		"gwt": 60, "table": 10, "comments": 80, "done with points": 50, "story without benefit": 8,
		"voted": 100, "due": 10, "fix version": 100, "labelled": 100, "with history": 100, "with parent": 150,
		"link:Blocks": 20, "link:Duplicate": 5, "link:Relates": 3,
	}
	for k, min := range mins {
		if count[k] < min {
			t.Errorf("%s: %d, want at least %d", k, count[k], min)
		}
	}
	if len(f.Project.Versions) < 5 || f.Project.Versions[0].ReleaseDate == "" {
		t.Errorf("versions %+v", f.Project.Versions)
	}
	// It loads into an emulator.
	if _, err := ReadFixture(bytes.NewReader(shopJSON)); err != nil {
		t.Fatal(err)
	}
	e := New(Options{})
	defer e.Close()
	if n := e.IssueCount("SHOP"); n != len(f.Issues) {
		t.Errorf("emulator holds %d of %d issues", n, len(f.Issues))
	}
}

func TestRebaseTimes(t *testing.T) {
	clock := &fakeClock{t: demoNow.AddDate(0, 6, 0)}
	s := newSite(t, Options{RebaseTimes: true, Now: clock.Now})
	var c struct{ Count int }
	// Shifted by six months, recent activity is recent again.
	s.must(200, "POST", "/rest/api/3/search/approximate-count", map[string]any{"jql": "project = SHOP AND updated >= -30d"}, &c)
	if c.Count == 0 {
		t.Error("no issue updated in the last 30 days after rebasing")
	}
}

func TestGenerate(t *testing.T) {
	a, b := Generate(2000, 3), Generate(2000, 3)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("Generate is not deterministic")
	}
	if c := Generate(2000, 4); c.Issues[10].Summary == a.Issues[10].Summary && c.Issues[11].Summary == a.Issues[11].Summary && c.Issues[12].Summary == a.Issues[12].Summary {
		t.Error("different seeds give the same project")
	}
	types := map[string]int{}
	for _, is := range a.Issues {
		types[is.Type]++
		if is.Description != nil {
			t.Fatal("descriptions should be lazy")
		}
	}
	if types["Epic"] != 40 || types["Story"] < 1000 || types["Bug"] < 200 || types["Task"] < 100 {
		t.Errorf("types %v", types)
	}
	for _, k := range []int{0, 1, 5, 17} {
		var d json.RawMessage
		if err := json.Unmarshal(mustMarshal(t, a.Issues[k]), &struct {
			Description *json.RawMessage `json:"description"`
		}{&d}); err != nil || adf.Validate(d) != nil {
			t.Errorf("issue %d description invalid: %v %s", k, err, d)
		}
	}
	e := New(Options{Fixtures: []*Fixture{a}})
	defer e.Close()
	if e.IssueCount(SyntheticKey) != 2000 {
		t.Errorf("loaded %d", e.IssueCount(SyntheticKey))
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkGenerate100k measures building and loading a 100k-issue site.
func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		e := New(Options{Fixtures: []*Fixture{Generate(100_000, 1)}})
		e.Close()
	}
}

// BenchmarkLoadedSiteMemory reports the heap a loaded 100k-issue site holds.
func BenchmarkLoadedSiteMemory(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e := New(Options{Fixtures: []*Fixture{Generate(100_000, 1)}})
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/100_000, "heapB/issue")
		runtime.KeepAlive(e)
		e.Close()
	}
}
