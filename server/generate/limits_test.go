package generate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

func criteriaDescription(n, itemLen int) string {
	var b strings.Builder
	b.WriteString("As a shopper I want to pay by card so that I can check out.\n\nAcceptance criteria:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "- criterion %d %s\n", i, strings.Repeat("x", itemLen))
	}
	return b.String()
}

func TestCheckLists(t *testing.T) {
	many := func(n, l int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strings.Repeat("a", l)
		}
		return out
	}
	for _, c := range []struct {
		name  string
		c     Content
		field string // "" : accepted
	}{
		{"12 criteria", Content{AcceptanceCriteria: many(12, 1000)}, ""},
		{"13 criteria", Content{AcceptanceCriteria: many(13, 10)}, "acceptanceCriteria has 13 items"},
		{"20k criteria", Content{AcceptanceCriteria: many(20000, 1)}, "acceptanceCriteria has 20000 items"},
		{"blank items do not count", Content{AcceptanceCriteria: append(many(12, 5), "", "  ")}, ""},
		{"long criterion", Content{AcceptanceCriteria: []string{"ok", strings.Repeat("b", 1001)}}, "acceptanceCriteria[1]"},
		{"multi-byte counts as characters", Content{AcceptanceCriteria: []string{strings.Repeat("é", 1000)}}, ""},
		{"other lists too", Content{Risks: many(13, 3)}, "risks has 13 items"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.c.checkLists()
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("err %v, want an InputError naming %q", err, c.field)
			}
		})
	}
}

func TestCheckDescription(t *testing.T) {
	for _, c := range []struct {
		name, d, want string
	}{
		{"30 criteria", criteriaDescription(30, 20), ""},
		{"31 criteria", criteriaDescription(31, 1), "stories[2].description has 31 acceptance criteria"},
		{"20k criteria", criteriaDescription(20000, 0), "stories[2].description has more than 30000 characters"},
		{"long criterion", criteriaDescription(2, 1200), "acceptance criterion 1 has more than 1000"},
		{"no criteria", "Just a description.", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkDescription("stories[2].description", c.d)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want one containing %q", err, c.want)
			}
		})
	}
}
