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

// TenantWebhook is a delivery for a given tenant, for batch intake.
type TenantWebhook struct {
	TenantID int64
	WebhookEvent
}

// RecordWebhooksBatch records deliveries of many tenants in one statement
// and returns, per tenant, the identifiers that were new. Each row carries
// its own tenant id; identifiers are unique per tenant only.
func (s *Store) RecordWebhooksBatch(ctx context.Context, events []TenantWebhook) (map[int64]map[string]bool, error) {
	out := map[int64]map[string]bool{}
	if len(events) == 0 {
		return out, nil
	}
	b := make([]byte, 12)
	rand.Read(b)
	token := hex.EncodeToString(b)
	now := s.now().UTC()
	type key struct {
		t  int64
		id string
	}
	seen := map[key]bool{}
	rows := make([]webhookEventRow, 0, len(events))
	for _, e := range events {
		k := key{e.TenantID, e.Identifier}
		if seen[k] {
			continue
		}
		seen[k] = true
		rows = append(rows, webhookEventRow{TenantID: e.TenantID, Identifier: e.Identifier, Event: e.Event, IssueKey: e.IssueKey, BatchToken: token, ReceivedAt: now})
	}
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: record webhooks: %w", err)
	}
	var fresh []struct {
		TenantID   int64
		Identifier string
	}
	if err := s.db.WithContext(ctx).Table("webhook_events").Select("tenant_id, identifier").Where("batch_token = ?", token).Scan(&fresh).Error; err != nil {
		return nil, fmt.Errorf("store: record webhooks: %w", err)
	}
	for _, f := range fresh {
		if out[f.TenantID] == nil {
			out[f.TenantID] = map[string]bool{}
		}
		out[f.TenantID][f.Identifier] = true
	}
	return out, nil
}

// ActiveProjectsOf returns, per tenant, its active project keys.
func (s *Store) ActiveProjectsOf(ctx context.Context, tenantIDs []int64) (map[int64]map[string]bool, error) {
	var rows []struct {
		TenantID   int64
		ProjectKey string
	}
	err := s.db.WithContext(ctx).Table("projects").Select("tenant_id, project_key").
		Where("tenant_id IN ? AND active = ?", tenantIDs, true).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: active projects: %w", err)
	}
	out := map[int64]map[string]bool{}
	for _, r := range rows {
		if out[r.TenantID] == nil {
			out[r.TenantID] = map[string]bool{}
		}
		out[r.TenantID][r.ProjectKey] = true
	}
	return out, nil
}
