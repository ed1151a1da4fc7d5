package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
)

const sampleIssue = `{
  "id": "10042", "key": "SHOP-42",
  "fields": {
    "summary": "Save the cart",
    "description": {"version":1,"type":"doc","content":[
      {"type":"paragraph","content":[{"type":"text","text":"As a shopper I want my cart saved."}]},
      {"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"survives logout"}]}]}]}]},
    "issuetype": {"name": "Story", "subtask": false, "hierarchyLevel": 0},
    "project": {"key": "SHOP"},
    "labels": ["customer", "checkout"],
    "components": [{"id": "1", "name": "Web"}, {"id": "2", "name": "API"}],
    "priority": {"name": "High"},
    "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
    "votes": {"votes": 7, "hasVoted": false},
    "watches": {"watchCount": 3, "isWatching": false},
    "issuelinks": [
      {"type": {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
       "outwardIssue": {"key": "SHOP-50", "fields": {"summary": "Checkout v2", "status": {"statusCategory": {"key": "new"}}}}},
      {"type": {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
       "inwardIssue": {"key": "SHOP-7", "fields": {"summary": "Sessions", "status": {"statusCategory": {"key": "done"}}}}},
      {"type": {"name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
       "outwardIssue": {"key": "SHOP-3", "fields": {"summary": "Keep cart"}}},
      {"type": {"name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
       "inwardIssue": {"key": "SHOP-99", "fields": {"summary": "Persist cart"}}},
      {"type": {"name": "Relates", "inward": "relates to", "outward": "relates to"},
       "outwardIssue": {"key": "SHOP-5", "fields": {"summary": "Wishlist"}}}
    ],
    "parent": {"key": "SHOP-1", "fields": {"summary": "Checkout", "issuetype": {"name": "Epic", "hierarchyLevel": 1}}},
    "customfield_10016": 5,
    "customfield_10028": 99,
    "created": "2026-01-10T09:30:00.000+0100",
    "updated": "2026-02-01T12:00:00.000+0000",
    "duedate": "2026-04-01",
    "fixVersions": [{"name": "2.1", "releaseDate": "2026-05-01"}, {"name": "2.0", "releaseDate": "2026-03-15"}, {"name": "later"}]
  }
}`

func TestIssueMapping(t *testing.T) {
	var raw rawIssue
	if err := json.Unmarshal([]byte(sampleIssue), &raw); err != nil {
		t.Fatal(err)
	}
	got := raw.toDomain("customfield_10016", nil)
	pts := 5.0
	due := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	release := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	want := domain.Issue{
		ID: "10042", Key: "SHOP-42", ProjectKey: "SHOP", Type: domain.TypeStory,
		Summary:     "Save the cart",
		Description: "As a shopper I want my cart saved.\n\n- survives logout",
		Labels:      []string{"customer", "checkout"},
		Components:  []string{"Web", "API"},
		Priority:    "High", Status: "In Progress", StatusCat: domain.StatusInProgress,
		Votes: 7, Watchers: 3,
		Links: []domain.Link{
			{Kind: domain.LinkBlocks, OtherKey: "SHOP-50", OtherTitle: "Checkout v2"},
			{Kind: domain.LinkBlockedBy, OtherKey: "SHOP-7", OtherTitle: "Sessions", OtherDone: true},
			{Kind: domain.LinkDuplicates, OtherKey: "SHOP-3", OtherTitle: "Keep cart"},
			{Kind: domain.LinkDuplicatedBy, OtherKey: "SHOP-99", OtherTitle: "Persist cart"},
			{Kind: domain.LinkRelates, OtherKey: "SHOP-5", OtherTitle: "Wishlist"},
		},
		EpicKey:           "SHOP-1",
		StoryPoints:       &pts,
		Created:           time.Date(2026, 1, 10, 8, 30, 0, 0, time.UTC),
		Updated:           time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC),
		DueDate:           &due,
		FixVersionRelease: &release,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("toDomain mismatch (-want +got):\n%s", diff)
	}
}

func TestIssueMappingTolerance(t *testing.T) {
	tests := []struct {
		name  string
		issue string
		check func(t *testing.T, is domain.Issue)
	}{
		{
			"id only (search default)", `{"id":"1","key":"AB-1"}`,
			func(t *testing.T, is domain.Issue) {
				if is.ProjectKey != "AB" || is.Summary != "" || is.StoryPoints != nil {
					t.Errorf("got %+v", is)
				}
			},
		},
		{
			"nulls and odd shapes", `{"id":"1","key":"AB-1","fields":{"summary":null,"description":null,"priority":null,"customfield_1":"n/a","votes":"x","duedate":"someday","fixVersions":null}}`,
			func(t *testing.T, is domain.Issue) {
				if is.StoryPoints != nil || is.DueDate != nil || is.Votes != 0 {
					t.Errorf("got %+v", is)
				}
			},
		},
		{
			"sub-task parent is not an epic", `{"id":"1","key":"AB-2","fields":{"issuetype":{"name":"Sub-task","subtask":true},"parent":{"key":"AB-1"}}}`,
			func(t *testing.T, is domain.Issue) {
				if is.EpicKey != "" || is.ParentKey != "AB-1" || is.Type != domain.TypeSubtask {
					t.Errorf("got epic %q parent %q type %q", is.EpicKey, is.ParentKey, is.Type)
				}
			},
		},
		{
			"story parent without type is its epic", `{"id":"1","key":"AB-2","fields":{"issuetype":{"name":"Story"},"parent":{"key":"AB-1"}}}`,
			func(t *testing.T, is domain.Issue) {
				if is.EpicKey != "AB-1" || is.ParentKey != "" {
					t.Errorf("EpicKey = %q, ParentKey = %q", is.EpicKey, is.ParentKey)
				}
			},
		},
		{
			"story parent of a story is not an epic", `{"id":"1","key":"AB-2","fields":{"parent":{"key":"AB-1","fields":{"issuetype":{"name":"Story","hierarchyLevel":0}}}}}`,
			func(t *testing.T, is domain.Issue) {
				if is.EpicKey != "" || is.ParentKey != "AB-1" {
					t.Errorf("EpicKey = %q, ParentKey = %q", is.EpicKey, is.ParentKey)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw rawIssue
			if err := json.Unmarshal([]byte(tt.issue), &raw); err != nil {
				t.Fatal(err)
			}
			tt.check(t, raw.toDomain("customfield_1", nil))
		})
	}
}

func TestProjectJQL(t *testing.T) {
	tests := []struct {
		key, extra, want string
		bad              bool
	}{
		{key: "SHOP", want: `project = "SHOP"`},
		{key: "SHOP", extra: " statusCategory != Done ", want: `project = "SHOP" AND (statusCategory != Done)`},
		{key: `SH"OP`, bad: true},
		{key: "", bad: true},
	}
	for _, tt := range tests {
		got, err := ProjectJQL(tt.key, tt.extra)
		if tt.bad {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("ProjectJQL(%q) err = %v, want ErrInvalid", tt.key, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ProjectJQL(%q, %q) = %q, %v; want %q", tt.key, tt.extra, got, err, tt.want)
		}
	}
}

func TestDiscoverStoryPointsField(t *testing.T) {
	jsw := func(id, name string) string {
		return `{"id":"` + id + `","name":"` + name + `","custom":true,"schema":{"type":"number","custom":"com.pyxis.greenhopper.jira:jsw-story-points","customId":1}}`
	}
	float := func(id, name string) string {
		return `{"id":"` + id + `","name":"` + name + `","custom":true,"schema":{"type":"number","custom":"com.atlassian.jira.plugin.system.customfieldtypes:float","customId":2}}`
	}
	text := func(id, name string) string {
		return `{"id":"` + id + `","name":"` + name + `","custom":true,"schema":{"type":"string","custom":"com.atlassian.jira.plugin.system.customfieldtypes:textfield","customId":3}}`
	}
	system := `{"id":"summary","name":"Summary","custom":false,"schema":{"type":"string","system":"summary"}}`
	tests := []struct {
		name       string
		fields     []string
		board      int64
		boardField string
		want       string
		wantErr    error
		candidates []string
	}{
		{name: "one jsw field", fields: []string{system, jsw("customfield_10016", "Story point estimate")}, want: "customfield_10016"},
		{name: "jsw field beats a float named Story Points", fields: []string{float("customfield_10028", "Story Points"), jsw("customfield_10016", "Story point estimate")}, want: "customfield_10016"},
		{name: "float named Story Points", fields: []string{system, float("customfield_10028", "Story Points")}, want: "customfield_10028"},
		{name: "text named Story Points is not it", fields: []string{text("customfield_1", "Story Points")}, wantErr: ErrNoStoryPointsField},
		{name: "none", fields: []string{system}, wantErr: ErrNoStoryPointsField},
		{
			name: "two jsw fields without a board", fields: []string{jsw("customfield_10016", "Story point estimate"), jsw("customfield_10028", "Story Points")},
			wantErr: ErrAmbiguousField, candidates: []string{"customfield_10016", "customfield_10028"},
		},
		{
			name: "two jsw fields, the board decides", fields: []string{jsw("customfield_10016", "Story point estimate"), jsw("customfield_10028", "Story Points")},
			board: 7, boardField: "customfield_10028", want: "customfield_10028",
		},
		{
			name: "board names another field", fields: []string{jsw("customfield_10016", "a"), jsw("customfield_10028", "b")},
			board: 7, boardField: "timeoriginalestimate", wantErr: ErrAmbiguousField, candidates: []string{"customfield_10016", "customfield_10028"},
		},
		{
			name: "two floats named Story Points", fields: []string{float("customfield_1", "Story Points"), float("customfield_2", "story points")},
			wantErr: ErrAmbiguousField, candidates: []string{"customfield_1", "customfield_2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			c, s := newScripted(t, clock, Options{}, func(n int, w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/rest/api/3/field":
					body := "["
					for i, f := range tt.fields {
						if i > 0 {
							body += ","
						}
						body += f
					}
					jsonReply(w, 200, body+"]")
				case "/rest/agile/1.0/board/7/configuration":
					jsonReply(w, 200, `{"id":7,"name":"SHOP board","estimation":{"type":"field","field":{"fieldId":"`+tt.boardField+`","displayName":"x"}}}`)
				default:
					jsonReply(w, 404, `{"errorMessages":["no"]}`)
				}
			})
			got, err := c.DiscoverStoryPointsField(context.Background(), tt.board)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var amb *AmbiguousFieldError
				if tt.candidates != nil {
					if !errors.As(err, &amb) {
						t.Fatalf("err = %v, want *AmbiguousFieldError", err)
					}
					var ids []string
					for _, f := range amb.Candidates {
						ids = append(ids, f.ID)
					}
					if diff := cmp.Diff(tt.candidates, ids); diff != "" {
						t.Errorf("candidates (-want +got):\n%s", diff)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DiscoverStoryPointsField = %q, %v; want %q", got, err, tt.want)
			}
			// The answer is remembered: no second GET /field.
			before := len(s.Hits())
			if again, err := c.DiscoverStoryPointsField(context.Background(), 0); err != nil || again != got || len(s.Hits()) != before {
				t.Errorf("second call = %q, %v after %d more requests", again, err, len(s.Hits())-before)
			}
		})
	}
}

func TestObjectMember(t *testing.T) {
	obj := []byte(` { "description": {"type":"doc","content":[{"text":"\"customfield_1\": 9, \\"}]},
		"nested": {"customfield_1": 7, "a": [1, {"customfield_1": 8}]},
		"customfield_1" : 5.5 , "str": "x,}", "last": null }`)
	tests := []struct {
		key  string
		want string
	}{
		{"customfield_1", "5.5"},
		{"str", `"x,}"`},
		{"last", "null"},
		{"nested", `{"customfield_1": 7, "a": [1, {"customfield_1": 8}]}`},
		{"missing", ""},
		{"a", ""},
	}
	for _, tt := range tests {
		if got := string(objectMember(obj, tt.key)); got != tt.want {
			t.Errorf("objectMember(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a"`, `{"a":1`, `{"a":1 "b":2}`} {
		if got := objectMember([]byte(bad), "b"); got != nil {
			t.Errorf("objectMember(%q) = %q, want nil", bad, got)
		}
	}
}

// TestNumberFields: mapped framework fields are read as numbers whatever
// their shape (number, select option with a number, numeric text); empty
// and non-numeric values are absent; FieldsRead lists what was asked.
func TestNumberFields(t *testing.T) {
	raw := rawIssue{ID: "1", Key: "AB-1", Fields: json.RawMessage(`{"summary":"x",
		"customfield_1": 2000, "customfield_2": {"value": "8", "id": "10100"}, "customfield_3": " 2.5 ",
		"customfield_4": null, "customfield_5": {"value": "High"}, "customfield_6": [1, 2]}`)}
	ids := []string{"customfield_6", "customfield_5", "customfield_4", "customfield_3", "customfield_2", "customfield_1", "customfield_7"}
	is := raw.toDomain("", ids)
	want := map[string]float64{"customfield_1": 2000, "customfield_2": 8, "customfield_3": 2.5}
	if d := cmp.Diff(want, is.FieldValues); d != "" {
		t.Errorf("field values (-want +got):\n%s", d)
	}
	if got := strings.Join(is.FieldsRead, ","); got != "customfield_1,customfield_2,customfield_3,customfield_4,customfield_5,customfield_6,customfield_7" {
		t.Errorf("fields read %s, want all asked, sorted", got)
	}
	if plain := raw.toDomain("", nil); plain.FieldValues != nil || plain.FieldsRead != nil {
		t.Errorf("no fields asked, yet %v read %v", plain.FieldValues, plain.FieldsRead)
	}
}
