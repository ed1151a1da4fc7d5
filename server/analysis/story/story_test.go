package story

import (
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/google/go-cmp/cmp"
)

// parts is what a test expects of a parse: the texts the spans point at.
type parts struct {
	Template, Role, Means, Benefit, Extra string
}

// partsOf reads the parts back through the spans, so a test fails when a
// span and its text disagree.
func partsOf(t *testing.T, text string, p Parsed) parts {
	t.Helper()
	at := func(s *domain.Span, want string) string {
		if s == nil {
			if want != "" {
				t.Errorf("span nil but text %q", want)
			}
			return ""
		}
		if s.Start < 0 || s.End > len(text) || s.Start >= s.End {
			t.Fatalf("bad span %+v for %q", *s, text)
		}
		if got := text[s.Start:s.End]; want != "" && got != want {
			t.Errorf("span text %q, field %q", got, want)
		}
		return text[s.Start:s.End]
	}
	return parts{
		Template: p.Template,
		Role:     at(p.RoleSpan, p.Role),
		Means:    at(p.MeansSpan, p.Means),
		Benefit:  at(p.BenefitSpan, p.Benefit),
		Extra:    at(p.Extra, ""),
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		text string
		want parts
	}{
		{"classic", "As a user, I want to export reports, so that I can share them.",
			parts{TemplateAsIWant, "user", "export reports", "I can share them", ""}},
		{"an admin without commas", "As an admin I want to reset passwords",
			parts{TemplateAsIWant, "admin", "reset passwords", "", ""}},
		{"upper case, need, bare so", "AS THE Product Owner, I NEED a burndown chart so I can track progress",
			parts{TemplateAsIWant, "Product Owner", "a burndown chart", "I can track progress", ""}},
		{"in order to", "In order to reduce churn, as a CSM, I want a weekly at-risk list",
			parts{TemplateInOrderTo, "CSM", "a weekly at-risk list", "reduce churn", ""}},
		{"in order to without commas", "In order to reduce churn as a CSM I want a weekly list.",
			parts{TemplateInOrderTo, "CSM", "a weekly list", "reduce churn", ""}},
		{"in order to without role", "In order to save time, I want to bulk edit issues",
			parts{TemplateInOrderTo, "", "bulk edit issues", "save time", ""}},
		{"leading so that", "So that I stay informed, as a manager, I want a daily digest",
			parts{TemplateInOrderTo, "manager", "a daily digest", "I stay informed", ""}},
		{"line breaks and label", "Story: As a user,\nI would like to log in with Google\nso that I don't need another password.",
			parts{TemplateAsIWant, "user", "log in with Google", "I don't need another password", ""}},
		{"bullet", "- As a buyer I can filter by price", parts{TemplateAsIWant, "buyer", "filter by price", "", ""}},
		{"no role", "I want to export reports so that I can share them",
			parts{TemplateIWant, "", "export reports", "I can share them", ""}},
		{"role but no I want", "As a user, export reports.", parts{TemplateAsRole, "user", "export reports", "", ""}},
		{"role but no I want, benefit", "As a user, export reports so that I can share them",
			parts{TemplateAsRole, "user", "export reports", "I can share them", ""}},
		{"short prefix", "Export: As a user, I want a CSV", parts{TemplateAsIWant, "user", "a CSV", "", ""}},
		{"extra sentence", "As a clinic administrator, I am worried about cost. I want cheaper scans.",
			parts{TemplateAsIWant, "clinic administrator", "cheaper scans", "", "I am worried about cost."}},
		{"benefit as its own sentence", "As a clerk, I want to close a case. So that I can finish it.",
			parts{TemplateAsIWant, "clerk", "close a case", "I can finish it", ""}},
		{"curly apostrophe", "As a user I’d like to see my history", parts{TemplateAsIWant, "user", "see my history", "", ""}},
		{"be able to", "As a guest, I want to be able to check out without an account, so that buying is quick",
			parts{TemplateAsIWant, "guest", "check out without an account", "buying is quick", ""}},
		{"abbreviation does not end the means", "As a user I want e.g. a PDF export so that I can print",
			parts{TemplateAsIWant, "user", "e.g. a PDF export", "I can print", ""}},
		{"so much is not a benefit", "As a reader I want to read so much more content",
			parts{TemplateAsIWant, "reader", "read so much more content", "", ""}},
		{"in order to as the benefit", "As a PM I want a burndown in order to spot delays",
			parts{TemplateAsIWant, "PM", "a burndown", "spot delays", ""}},
		{"role without article", "As Product Owner, I want to reorder the backlog",
			parts{TemplateAsIWant, "Product Owner", "reorder the backlog", "", ""}},
		{"two personas", "As a buyer or seller, I want messages",
			parts{TemplateAsIWant, "buyer or seller", "messages", "", ""}},
		{"utf-8 before", "Café — As a barista, I want to log orders",
			parts{TemplateAsIWant, "barista", "log orders", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Parse(tt.text, domain.FieldSummary)
			if !ok {
				t.Fatalf("Parse(%q) found no story", tt.text)
			}
			if diff := cmp.Diff(tt.want, partsOf(t, tt.text, p)); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.text, diff)
			}
			for _, s := range []*domain.Span{p.RoleSpan, p.MeansSpan, p.BenefitSpan} {
				if s != nil && s.Field != domain.FieldSummary {
					t.Errorf("span field %q, want summary", s.Field)
				}
			}
			if p.Start < 0 || p.End > len(tt.text) || p.Start >= p.End {
				t.Errorf("sentence [%d, %d) out of %d bytes", p.Start, p.End, len(tt.text))
			}
			if p.MeansSpan != nil && tt.text[p.Start:p.MeansSpan.Start] != p.Lead {
				t.Errorf("Lead %q does not end where the means starts", p.Lead)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, text := range []string{
		"",
		"Fix login bug on Safari",
		"Export reports as a PDF",         // "as" without a means indicator
		"Same as the old page but faster", // "as the" in prose
		"   \n\t",
	} {
		if p, ok := Parse(text, domain.FieldSummary); ok {
			t.Errorf("Parse(%q) = %+v, want no story", text, p)
		}
	}
}

func TestLocate(t *testing.T) {
	tests := []struct {
		name                 string
		summary, description string
		wantField            domain.Field
		want                 parts
	}{
		{"summary is the story", "As a PM, I want a burndown", "As a dev, I want tests",
			domain.FieldSummary, parts{TemplateAsIWant, "PM", "a burndown", "", ""}},
		{"first paragraph of the description", "Burndown chart",
			"As a PM,\nI want a burndown chart\nso that I can see progress.\n\nAcceptance criteria:\n- shows points",
			domain.FieldDescription, parts{TemplateAsIWant, "PM", "a burndown chart", "I can see progress", ""}},
		{"after a heading paragraph", "Burndown", "h3. User story\n\nAs a PM, I want a burndown",
			domain.FieldDescription, parts{TemplateAsIWant, "PM", "a burndown", "", ""}},
		{"label on its own line", "Burndown", "*User story*\nAs a PM, I want a burndown",
			domain.FieldDescription, parts{TemplateAsIWant, "PM", "a burndown", "", ""}},
		{"description with a role beats a role-less summary", "I want a burndown", "As a PM, I want a burndown",
			domain.FieldDescription, parts{TemplateAsIWant, "PM", "a burndown", "", ""}},
		{"role-less summary when nothing better", "I want a burndown", "Some context.",
			domain.FieldSummary, parts{TemplateIWant, "", "a burndown", "", ""}},
		{"role-less wish in the description", "Burndown", "I want a burndown so that I see progress",
			domain.FieldDescription, parts{TemplateIWant, "", "a burndown", "I see progress", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Locate(tt.summary, tt.description)
			if !ok {
				t.Fatal("no story found")
			}
			text := tt.summary
			if tt.wantField == domain.FieldDescription {
				text = tt.description
			}
			if p.MeansSpan == nil || p.MeansSpan.Field != tt.wantField {
				t.Fatalf("means span %+v, want field %q", p.MeansSpan, tt.wantField)
			}
			if diff := cmp.Diff(tt.want, partsOf(t, text, p)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLocateIgnores(t *testing.T) {
	tests := []struct{ summary, description string }{
		{"Burndown chart", "The chart helps.\n\nIt should work as a widget, I want to note."},
		{"Burndown", "Acceptance criteria:\n- As a PM, I want a burndown"},
		{"Burndown", "One.\n\nTwo.\n\nThree.\n\nAs a PM, I want a burndown"},
		// A role-less modal remark in the description is prose, not a story.
		{"Make it mobile friendly", "We should look into this."},
		{"Checkout", "We can discuss this in planning."},
	}
	for _, tt := range tests {
		if p, ok := Locate(tt.summary, tt.description); ok {
			t.Errorf("Locate(%q, %q) = %+v, want none", tt.summary, tt.description, p.Story)
		}
	}
}

func TestWords(t *testing.T) {
	text := "A user-friendly API, isn't it? capital e.g. AI-powered I’d"
	var got []string
	for _, w := range Words(text, nil) {
		got = append(got, text[w.Start:w.End])
	}
	want := []string{"A", "user-friendly", "API", "isn't", "it", "capital", "e", "g", "AI-powered", "I’d"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Words (-want +got):\n%s", diff)
	}
}

func TestLowerKeepsOffsets(t *testing.T) {
	for _, s := range []string{"ÄBC Déjà VU", "ABC", "already lower", "İstanbul"} {
		if l := Lower(s); len(l) != len(s) {
			t.Errorf("Lower(%q) = %q changes the length", s, l)
		}
	}
	if got := Lower("As A User"); got != "as a user" {
		t.Errorf("Lower = %q", got)
	}
}

func TestMatchPhrase(t *testing.T) {
	tests := []struct {
		lower, phrase string
		want          int
	}{
		{"so that i", "so that", 7},
		{"so\n  that i", "so that", 9},
		{"so thatcher", "so that", -1},
		{"i’d like", "i'd like", len("i’d like")},
		{"i'd like", "i'd like", 8},
		{"api", "api", 3},
		{"apis", "api", -1},
	}
	for _, tt := range tests {
		if got := MatchPhrase(tt.lower, 0, tt.phrase); got != tt.want {
			t.Errorf("MatchPhrase(%q, %q) = %d, want %d", tt.lower, tt.phrase, got, tt.want)
		}
	}
}

// FuzzParse checks that parsing never panics and spans stay in bounds.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"As a user, I want x so that y", "In order to a, as b, I want c", "I want", "as as as a", "- [ ] Given\nWhen\nThen", "So that\n\nas a x, i can"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, ok := Parse(s, domain.FieldSummary); ok {
			for _, sp := range []*domain.Span{p.RoleSpan, p.MeansSpan, p.BenefitSpan, p.Extra} {
				if sp != nil && (sp.Start < 0 || sp.End > len(s) || sp.Start >= sp.End) {
					t.Fatalf("span %+v out of %q", *sp, s)
				}
			}
			if p.Start < 0 || p.End > len(s) || p.Start > p.End {
				t.Fatalf("sentence [%d,%d) out of %q", p.Start, p.End, s)
			}
		}
		if p, ok := Locate(s, s); ok && p.MeansSpan != nil && p.MeansSpan.End > len(s) {
			t.Fatalf("locate span out of bounds")
		}
		for _, it := range AcceptanceCriteria(s).Items {
			if it.Start < 0 || it.End > len(s) || it.Start > it.End || s[it.Start:it.End] != it.Text {
				t.Fatalf("criterion %+v out of %q", it, s)
			}
		}
	})
}
