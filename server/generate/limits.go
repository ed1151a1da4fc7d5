package generate

import (
	"strings"
	"unicode/utf8"

	"github.com/backlogai/backlogai/server/analysis/story"
)

// Limits on descriptions the app writes to Jira on a person's request
// (improve and split): below Jira's 32,767 characters, and a number of
// acceptance criteria a story can hold (every one is analysed, stored
// and shown).
const (
	maxDescription = 30000
	maxCriteria    = 30
)

// checkLists refuses a draft edit whose lists exceed what a draft holds,
// naming the field, rather than dropping the excess silently.
func (c *Content) checkLists() error {
	for _, f := range []struct {
		name  string
		items []string
	}{{"acceptanceCriteria", c.AcceptanceCriteria}, {"nfrs", c.NFRs}, {"risks", c.Risks}, {"dependencies", c.Dependencies}, {"openQuestions", c.OpenQuestions}} {
		n := 0
		for i, it := range f.items {
			it = strings.TrimSpace(it)
			if utf8.RuneCountInString(it) > maxItemBytes {
				return invalid("the field %s[%d] has more than %d characters", f.name, i, maxItemBytes)
			}
			if it != "" {
				n++
			}
		}
		if n > maxListItems {
			return invalid("the field %s has %d items; a draft holds at most %d", f.name, n, maxListItems)
		}
	}
	return nil
}

// checkDescription bounds a description the app is asked to write, and
// the acceptance criteria in it; field names it in the message.
func checkDescription(field, d string) error {
	if utf8.RuneCountInString(d) > maxDescription {
		return invalid("the field %s has more than %d characters", field, maxDescription)
	}
	crit := story.AcceptanceCriteria(d)
	if len(crit.Items) > maxCriteria {
		return invalid("the field %s has %d acceptance criteria; at most %d", field, len(crit.Items), maxCriteria)
	}
	for i, it := range crit.Items {
		if utf8.RuneCountInString(it.Text) > maxItemBytes {
			return invalid("the field %s: acceptance criterion %d has more than %d characters", field, i+1, maxItemBytes)
		}
	}
	return nil
}
