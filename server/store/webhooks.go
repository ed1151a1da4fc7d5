package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type webhookEventRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	Identifier string
	Event      string
	IssueKey   string
	BatchToken string
	ReceivedAt time.Time
}

func (webhookEventRow) TableName() string { return "webhook_events" }

// RecordWebhook remembers a delivery by its X-Atlassian-Webhook-Identifier
// and reports whether it is new. Jira retries and may deliver twice; the
// second delivery is acknowledged and ignored.
func (ts *TenantStore) RecordWebhook(ctx context.Context, identifier, event, issueKey string) (bool, error) {
	row := webhookEventRow{TenantID: ts.tenantID, Identifier: identifier, Event: event, IssueKey: issueKey, ReceivedAt: ts.s.now().UTC()}
	// A plain insert and the unique key: MariaDB counts a no-op upsert as
	// an affected row, so ON CONFLICT DO NOTHING cannot tell us.
	err := ts.s.db.WithContext(ctx).Create(&row).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: record webhook: %w", err)
	}
	return true, nil
}

// PruneWebhookEvents forgets deliveries older than the retry window.
func (s *Store) PruneWebhookEvents(ctx context.Context, olderThan time.Duration) (int64, error) {
	res := s.db.WithContext(ctx).Where("received_at < ?", s.now().UTC().Add(-olderThan)).Delete(&webhookEventRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune webhook events: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// WebhookEvent is one delivery to record.
type WebhookEvent struct {
	Identifier string
	Event      string
	IssueKey   string
}

// RecordWebhooks records many deliveries in one statement and returns the
// identifiers that were new (Jira's retries of an earlier delivery are
// not). Rows inserted by this call carry a fresh batch token, which is how
// the new ones are told from those already stored.
func (ts *TenantStore) RecordWebhooks(ctx context.Context, events []WebhookEvent) (map[string]bool, error) {
	if len(events) == 0 {
		return map[string]bool{}, nil
	}
	b := make([]byte, 12)
	rand.Read(b)
	token := hex.EncodeToString(b)
	now := ts.s.now().UTC()
	rows := make([]webhookEventRow, 0, len(events))
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if seen[e.Identifier] {
			continue
		}
		seen[e.Identifier] = true
		rows = append(rows, webhookEventRow{TenantID: ts.tenantID, Identifier: e.Identifier, Event: e.Event, IssueKey: e.IssueKey, BatchToken: token, ReceivedAt: now})
	}
	if err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: record webhooks: %w", err)
	}
	var fresh []string
	if err := ts.q(ctx, "webhook_events").Where("batch_token = ?", token).Pluck("identifier", &fresh).Error; err != nil {
		return nil, fmt.Errorf("store: record webhooks: %w", err)
	}
	out := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		out[id] = true
	}
	return out, nil
}
