package jiraemu

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jqlFixture is a tiny project with known values for JQL tests.
func jqlFixture() *Fixture {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	pts := func(f float64) *float64 { return &f }
	prop := func(s string) map[string]json.RawMessage {
		return map[string]json.RawMessage{"backlogai": json.RawMessage(s)}
	}
	return &Fixture{
		Now: t0,
		Project: FixtureProject{Key: "JQ", Name: "JQL test", Components: []FixtureComponent{{Name: "Checkout"}, {Name: "Search"}},
			Versions: []FixtureVersion{{Name: "1.0", ReleaseDate: "2026-04-01"}}},
		Users: []FixtureUser{{AccountID: "u1", DisplayName: "One"}},
		Issues: []FixtureIssue{
			{Key: "JQ-1", Type: "Epic", Status: "In Progress", Summary: "Checkout epic", Created: t0, Updated: t0},
			{Key: "JQ-2", Type: "Story", Status: "To Do", Priority: "High", Summary: "Pay with PayPal", Parent: "JQ-1",
				Labels: []string{"revenue"}, Components: []string{"Checkout"}, Created: t0.Add(time.Hour), Updated: t0.AddDate(0, 0, 10),
				Properties: prop(`{"score": 82, "moscow": "Must", "quality": 70}`), Votes: 5},
			{Key: "JQ-3", Type: "Story", Status: "Done", Priority: "Medium", Summary: "Search by SKU", StoryPoints: pts(3),
				Components: []string{"Search"}, Created: t0.Add(2 * time.Hour), Updated: t0.AddDate(0, 0, 20),
				Properties: prop(`{"score": 55.5, "moscow": "Could", "quality": 90}`)},
			{Key: "JQ-4", Type: "Bug", Status: "In Review", Priority: "Highest", Summary: "Checkout crashes", Parent: "JQ-1",
				Labels: []string{"customer", "revenue"}, Created: t0.Add(3 * time.Hour), Updated: t0.AddDate(0, 0, 25),
				Properties: prop(`{"score": 91, "moscow": "Must"}`), DueDate: "2026-03-30", FixVersions: []string{"1.0"}},
			{Key: "JQ-5", Type: "Task", Status: "To Do", Priority: "Low", Summary: "Upgrade database", Created: t0.Add(4 * time.Hour),
				Updated: t0.Add(4 * time.Hour), StoryPoints: pts(5)},
		},
	}
}

func TestJQLSubset(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)}
	s := newSite(t, Options{Fixtures: []*Fixture{jqlFixture()}, Now: clock.Now})
	cases := []struct {
		jql  string
		want string // keys in result order
	}{
		{"project = JQ ORDER BY key ASC", "JQ-1 JQ-2 JQ-3 JQ-4 JQ-5"},
		{"project = JQ", "JQ-5 JQ-4 JQ-3 JQ-2 JQ-1"}, // default: key descending
		{"project in (JQ) AND issuetype = Story ORDER BY key", "JQ-2 JQ-3"},
		{"issuetype in (Bug, Task) ORDER BY key", "JQ-4 JQ-5"},
		{"type = story order by key asc", "JQ-2 JQ-3"},
		{"key in (JQ-3, JQ-1) ORDER BY key DESC", "JQ-3 JQ-1"},
		{"issuekey = JQ-2", "JQ-2"},
		{"statusCategory = Done", "JQ-3"},
		{"project = JQ AND statusCategory != Done ORDER BY key", "JQ-1 JQ-2 JQ-4 JQ-5"},
		{`statusCategory = "In Progress" ORDER BY key`, "JQ-1 JQ-4"},
		{"statusCategory in (new, indeterminate) ORDER BY key", "JQ-1 JQ-2 JQ-4 JQ-5"},
		{`status = "In Review"`, "JQ-4"},
		{`updated >= "2026-03-20 00:00" ORDER BY key`, "JQ-3 JQ-4"},
		{`updated >= "2026-03-22 00:00" ORDER BY key`, "JQ-4"},
		{`updated >= 2026-03-11 AND updated < "2026/03/25" ORDER BY key`, "JQ-2 JQ-3"},
		{"updated >= -10d ORDER BY key", "JQ-3 JQ-4"},
		{"updated >= -4d", "JQ-4"},
		{"updated <= -20d ORDER BY key", "JQ-1 JQ-5"},
		{"created >= startOfDay(-27d) ORDER BY key", "JQ-1 JQ-2 JQ-3 JQ-4 JQ-5"},
		{"project = JQ AND (issuetype = Bug OR labels = revenue) ORDER BY key", "JQ-2 JQ-4"},
		{"project = JQ AND NOT issuetype = Story ORDER BY key", "JQ-1 JQ-4 JQ-5"},
		{"project = JQ AND labels != revenue ORDER BY key", ""}, // != never matches an empty field
		{"project = JQ AND labels is EMPTY ORDER BY key", "JQ-1 JQ-3 JQ-5"},
		{"project = JQ AND labels is not empty ORDER BY key", "JQ-2 JQ-4"},
		{"component = Checkout", "JQ-2"},
		{"fixVersion = 1.0", "JQ-4"},
		{"parent = JQ-1 ORDER BY key", "JQ-2 JQ-4"},
		{"priority > Medium ORDER BY key", "JQ-2 JQ-4"},
		{"project = JQ ORDER BY priority DESC", "JQ-4 JQ-2 JQ-3 JQ-1 JQ-5"},
		{`summary ~ "checkout" ORDER BY key`, "JQ-1 JQ-4"},
		{`summary ~ "check*" ORDER BY key`, "JQ-1 JQ-4"},
		{"votes >= 1", "JQ-2"},
		{`"Story point estimate" > 3`, "JQ-5"},
		{"cf[10016] is not EMPTY ORDER BY key", "JQ-3 JQ-5"},
		{"due <= 2026-03-31", "JQ-4"},
		{"backlogScore >= 80 ORDER BY backlogScore DESC", "JQ-4 JQ-2"},
		{"project = JQ ORDER BY backlogScore DESC", "JQ-5 JQ-1 JQ-4 JQ-2 JQ-3"}, // empty values sort as the greatest
		{"project = JQ ORDER BY backlogScore ASC, key ASC", "JQ-3 JQ-2 JQ-4 JQ-1 JQ-5"},
		{"backlogScore < 60", "JQ-3"},
		{"backlogScore = 91", "JQ-4"},
		{"backlogScore > 55.5 AND backlogScore <= 82", "JQ-2"},
		{`backlogMoscow = "Must" ORDER BY key`, "JQ-2 JQ-4"},
		{`backlogMoscow in (Could, "Won't")`, "JQ-3"},
		{"backlogQuality >= 80", "JQ-3"},
		{"project = JQ AND backlogQuality is EMPTY ORDER BY key", "JQ-1 JQ-4 JQ-5"},
		{"issue.property[backlogai].score > 90", "JQ-4"},
		{"project = JQ AND backlogMoscow = Must ORDER BY backlogQuality DESC", "JQ-4 JQ-2"},
		{"project = JQ && issuetype = Bug || key = JQ-5 ORDER BY key", "JQ-4 JQ-5"},
	}
	for _, c := range cases {
		t.Run(c.jql, func(t *testing.T) {
			keys, _ := s.searchAll(c.jql, 100, []string{"key"})
			if diff := cmp.Diff(c.want, strings.Join(keys, " ")); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJQLErrors(t *testing.T) {
	s := newSite(t, Options{Fixtures: []*Fixture{jqlFixture()}})
	cases := []struct{ jql, want string }{
		{"project = JQ AND", "Error in the JQL Query: Expecting a field name but reached the end of the query."},
		{"project JQ", "Error in the JQL Query: Expecting operator but got 'JQ'."},
		{"project = JQ ORDER key", "Expecting 'by' but got 'key'"},
		{"project = JQ foo", "Expecting either 'OR' or 'AND' but got 'foo'"},
		{`summary ~ "unterminated`, "The quoted string"},
		{"(project = JQ", "Expecting ')'"},
		{"flavour = vanilla", "Field 'flavour' does not exist or you do not have permission to view it."},
		{"issuetype = Spike", "The value 'Spike' does not exist for the field 'issuetype'."},
		{"statusCategory = Maybe", "The value 'Maybe' does not exist for the field 'statusCategory'."},
		{"key = JQ-404", "An issue with key 'JQ-404' does not exist for field 'key'."},
		{"updated >= yesterday", "Date value 'yesterday' for field 'updated' is invalid."},
		{"backlogScore >= high", "is not a valid number"},
		{"project ~ JQ", "The operator '~' is not supported by the 'project' field."},
		{"project = JQ ORDER BY description", "Not able to sort using field 'description'."},
		{"project = JQ ORDER BY key, created, updated, priority, summary, status, votes, watchers", "maximum of 7 fields"},
		{"updated >= nowish()", "Unable to find JQL function 'nowish()'"},
	}
	for _, c := range cases {
		t.Run(c.jql, func(t *testing.T) {
			var eb errBody
			s.must(400, "POST", "/rest/api/3/search/jql", map[string]any{"jql": c.jql}, &eb)
			if len(eb.ErrorMessages) != 1 || !strings.Contains(eb.ErrorMessages[0], c.want) {
				t.Errorf("errorMessages = %q, want %q", eb.ErrorMessages, c.want)
			}
		})
	}
}

func TestRelativeDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"-1d", -24 * time.Hour, true},
		{"4w 2d", 30 * 24 * time.Hour, true},
		{"+2h", 2 * time.Hour, true},
		{"-30m", -30 * time.Minute, true},
		{"1y", 0, false},
		{"d", 0, false},
	}
	for _, c := range cases {
		got, err := relativeDuration(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("relativeDuration(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestSearchCacheFollowsWrites(t *testing.T) {
	s := newSite(t, Options{Fixtures: []*Fixture{jqlFixture()}, TaskDelay: time.Millisecond})
	keys, _ := s.searchAll("project = JQ ORDER BY backlogScore DESC, key ASC", 100, []string{"key"})
	if got := strings.Join(keys, " "); got != "JQ-1 JQ-5 JQ-4 JQ-2 JQ-3" {
		t.Fatalf("before: %s", got)
	}
	s.must(200, "PUT", "/rest/api/3/issue/JQ-3/properties/backlogai", `{"score": 99}`, nil)
	keys, _ = s.searchAll("project = JQ ORDER BY backlogScore DESC, key ASC", 100, []string{"key"})
	if got := strings.Join(keys, " "); got != "JQ-1 JQ-5 JQ-3 JQ-4 JQ-2" {
		t.Errorf("after a property write the cached order was served: %s", got)
	}
	s.must(201, "POST", "/rest/api/3/issue", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "JQ"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "New"}}, nil)
	keys, _ = s.searchAll("project = JQ ORDER BY backlogScore DESC, key ASC", 100, []string{"key"})
	if len(keys) != 6 {
		t.Errorf("after a create: %v", keys)
	}
}
