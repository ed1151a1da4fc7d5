package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// TestRecordWebhooksRefusesWhatColumnsCannotHold: both engines refuse an
// identifier, event or key the MySQL columns cannot hold, with ErrInvalid
// naming the field, and record nothing of the batch.
func TestRecordWebhooksRefusesWhatColumnsCannotHold(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		a := tenantOf(t, s, "a")
		ok := store.WebhookEvent{Identifier: "wh-ok", Event: "jira:issue_updated", IssueKey: "SHOP-1"}
		for _, c := range []struct {
			field string
			ev    store.WebhookEvent
		}{
			{"identifier", store.WebhookEvent{Identifier: strings.Repeat("i", 256), Event: "jira:issue_updated", IssueKey: "SHOP-1"}},
			{"identifier", store.WebhookEvent{Identifier: "bad-\xff", Event: "jira:issue_updated", IssueKey: "SHOP-1"}},
			{"identifier", store.WebhookEvent{Event: "jira:issue_updated", IssueKey: "SHOP-1"}},
			{"event", store.WebhookEvent{Identifier: "wh-2", Event: strings.Repeat("e", 65), IssueKey: "SHOP-1"}},
			{"issue key", store.WebhookEvent{Identifier: "wh-3", Event: "jira:issue_updated", IssueKey: strings.Repeat("K", 256)}},
		} {
			_, err := s.RecordWebhooksBatch(ctx, []store.TenantWebhook{{TenantID: a.ID, WebhookEvent: ok}, {TenantID: a.ID, WebhookEvent: c.ev}})
			if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), c.field) {
				t.Errorf("%s: err %v, want ErrInvalid naming it", c.field, err)
			}
		}
		// Nothing of the refused batches was recorded: wh-ok is still new.
		fresh, err := s.RecordWebhooksBatch(ctx, []store.TenantWebhook{{TenantID: a.ID, WebhookEvent: ok}})
		if err != nil || !fresh[a.ID]["wh-ok"] {
			t.Errorf("wh-ok after refused batches: %v %v", fresh, err)
		}
		// The widest values that fit are stored as they are (multi-byte
		// characters count as one, as in MySQL's VARCHAR).
		wide := store.WebhookEvent{Identifier: strings.Repeat("é", 255), Event: strings.Repeat("e", 64), IssueKey: strings.Repeat("K", 255)}
		fresh, err = s.RecordWebhooksBatch(ctx, []store.TenantWebhook{{TenantID: a.ID, WebhookEvent: wide}})
		if err != nil || !fresh[a.ID][wide.Identifier] {
			t.Errorf("widest values: %v", err)
		}
	})
}
