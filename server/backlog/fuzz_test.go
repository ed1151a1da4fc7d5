package backlog

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/backlogai/backlogai/server/domain"
)

// FuzzParseWebhook: any body is parsed or refused with ErrInvalid, and a
// parsed one always names an event and an issue key.
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"timestamp":1,"webhookEvent":"jira:issue_updated","issue":{"id":"1","key":"SHOP-1","fields":{"project":{"key":"SHOP"}}},"changelog":{"items":[{"field":"summary"}]}}`))
	f.Add([]byte(`{"webhookEvent":"jira:issue_deleted","issue":{"key":"X-1"}}`))
	f.Add([]byte(`{"webhookEvent":"","issue":null}`))
	f.Add([]byte(`{"issue":{"key":"` + string(make([]byte, 300)) + `"}}`))
	f.Add([]byte(`[[[[`))
	f.Add([]byte(`{"webhookEvent":"jira:` + strings.Repeat("e", 100) + `","issue":{"key":"X-1"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := parseWebhook(raw)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) || b != nil {
				t.Fatalf("bad refusal: %v", err)
			}
			return
		}
		if b.WebhookEvent == "" || b.Issue == nil || b.Issue.Key == "" {
			t.Fatalf("accepted %q", raw)
		}
		if len(b.WebhookEvent) > maxEvent || !utf8.ValidString(b.WebhookEvent) {
			t.Fatalf("event name of %d bytes fits no column", len(b.WebhookEvent))
		}
		mattersForAnalysis(b)
	})
}
