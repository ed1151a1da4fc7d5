package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
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

// validate refuses what the webhook_events columns cannot hold, the same
// way on every engine (SQLite would store it; MySQL fails the statement).
func (e WebhookEvent) validate() error {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"identifier", e.Identifier, 255}, {"event", e.Event, 64}, {"issue key", e.IssueKey, 255}} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > f.max {
			return fmt.Errorf("store: webhook %s longer than %d characters or not UTF-8: %w", f.name, f.max, domain.ErrInvalid)
		}
	}
	if e.Identifier == "" {
		return fmt.Errorf("store: webhook identifier is empty: %w", domain.ErrInvalid)
	}
	return nil
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
		if err := e.validate(); err != nil {
			return nil, err
		}
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
	// The batch's own rows, found through the unique (tenant_id,
	// identifier) index: batch_token alone has no index, and scanning the
	// retry window's deliveries for it grew with every webhook received.
	tenants, idents := make([]int64, 0, 4), make([]string, 0, len(rows))
	seenTenant := map[int64]bool{}
	for _, r := range rows {
		if !seenTenant[r.TenantID] {
			seenTenant[r.TenantID] = true
			tenants = append(tenants, r.TenantID)
		}
		idents = append(idents, r.Identifier)
	}
	err := s.db.WithContext(ctx).Table("webhook_events").Select("tenant_id, identifier").
		Where("tenant_id IN ? AND identifier IN ? AND batch_token = ?", tenants, idents, token).Scan(&fresh).Error
	if err != nil {
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
