package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
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

// TestDispatchDoesNotBlockIntake: while a dispatcher's transaction holds
// the pending deliveries it took (a locking read), new deliveries are
// still recorded at once, and a second dispatcher skips the held rows. At
// MySQL's default REPEATABLE READ the locking read also locked the gap
// after the last pending row, so every intake insert waited for the
// dispatcher's commit.
func TestDispatchDoesNotBlockIntake(t *testing.T) {
	if !slices.Contains(storetest.Drivers, "mysql") {
		t.Skip("MySQL only: SQLite has one writer by design")
	}
	s := storetest.Open(t, "mysql", nil)
	ctx := context.Background()
	a := tenantOf(t, s, "a")
	job := &domain.NewJob{Kind: "analyze", DedupeKey: "SHOP-1", Payload: []byte(`{}`)}
	record := func(ident string) error {
		_, err := s.RecordWebhooksBatch(ctx, []store.TenantWebhook{{TenantID: a.ID, WebhookEvent: store.WebhookEvent{Identifier: ident, Event: "jira:issue_updated", IssueKey: "SHOP-1"}, Project: "SHOP", Job: job}})
		return err
	}
	for i := range 3 {
		if err := record(fmt.Sprintf("held-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	err := s.WithQueueTx(ctx, func(tx *store.Store) error {
		held, err := tx.PendingWebhooks(ctx, 100)
		if err != nil || len(held) != 3 {
			return fmt.Errorf("took %d pending: %v", len(held), err)
		}
		done := make(chan error, 1)
		go func() { done <- record("new-1") }()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("record while a dispatch is open: %w", err)
			}
		case <-time.After(3 * time.Second):
			return errors.New("recording a delivery waited for the open dispatch")
		}
		// Another dispatcher skips the held rows and takes the new one.
		return s.WithQueueTx(ctx, func(other *store.Store) error {
			got, err := other.PendingWebhooks(ctx, 100)
			if err != nil || len(got) != 1 {
				return fmt.Errorf("second dispatcher took %d: %v", len(got), err)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
