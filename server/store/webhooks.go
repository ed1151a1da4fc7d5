package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

type webhookEventRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	Identifier string
	Event      string
	IssueKey   string
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
