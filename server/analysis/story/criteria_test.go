package story

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAcceptanceCriteria(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		wantKind  Kind
		wantItems []string
	}{
		{"checklist under a heading, notes after",
			"As a PM I want X.\n\nAcceptance criteria:\n- shows points\n- updates daily\n\nNotes: none",
			KindChecklist, []string{"shows points", "updates daily"}},
		{"markdown heading, numbers and parens",
			"**Acceptance Criteria**\n1. first\n2) second\n",
			KindChecklist, []string{"first", "second"}},
		{"jira wiki headings",
			"h3. Acceptance criteria\n* a\n* b\nh3. Notes\n* c",
			KindChecklist, []string{"a", "b"}},
		{"checkboxes anywhere",
			"Context here.\n- [ ] export works\n- [x] email sent",
			KindChecklist, []string{"export works", "email sent"}},
		{"inline AC",
			"AC: user can export",
			KindChecklist, []string{"user can export"}},
		{"lines without markers under a heading",
			"Acceptance criteria:\nexport works\nemail sent\n\nThe rest is prose.",
			KindChecklist, []string{"export works", "email sent"}},
		{"gwt block",
			"Given I am signed in\nWhen I click export\nThen a CSV downloads\nAnd it has a header",
			KindGWT, []string{"Given I am signed in\nWhen I click export\nThen a CSV downloads\nAnd it has a header"}},
		{"two scenarios",
			"Scenario: export\nGiven a backlog\nWhen I export\nThen I get a file\n\nGiven no issues\nWhen I export\nThen I see a message",
			KindGWT, []string{"Scenario: export\nGiven a backlog\nWhen I export\nThen I get a file", "Given no issues\nWhen I export\nThen I see a message"}},
		{"one-line gwt in a list",
			"Acceptance criteria:\n- Given a user, when they log in, then they see the dashboard\n- errors are logged",
			KindGWT, []string{"Given a user, when they log in, then they see the dashboard", "errors are logged"}},
		{"given in prose is not a scenario",
			"Given the current state, we should refactor the exporter.",
			KindNone, nil},
		{"no criteria", "Just a description.\n- a bullet that is not a criterion", KindNone, nil},
		{"empty", "", KindNone, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AcceptanceCriteria(tt.text)
			if got.Kind != tt.wantKind {
				t.Errorf("Kind = %q, want %q", got.Kind, tt.wantKind)
			}
			var texts []string
			for _, it := range got.Items {
				if tt.text[it.Start:it.End] != it.Text {
					t.Errorf("item span [%d, %d) = %q, Text %q", it.Start, it.End, tt.text[it.Start:it.End], it.Text)
				}
				texts = append(texts, it.Text)
			}
			if diff := cmp.Diff(tt.wantItems, texts); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if (got.Start >= 0) != (len(got.Items) > 0) {
				t.Errorf("Start = %d with %d items", got.Start, len(got.Items))
			}
			if len(got.Items) > 0 && got.Start > got.Items[0].Start {
				t.Errorf("Start %d after the first item %d", got.Start, got.Items[0].Start)
			}
		})
	}
}
