package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
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
	ProjectKey string
	// Job is the work the delivery asks for (JSON of outboxJob), until
	// dispatched; Pending marks it as not yet dispatched.
	Job        *string
	Pending    bool
	BatchToken string
	ReceivedAt time.Time
}

// outboxJob is a delivery's job as stored in webhook_events.job.
type outboxJob struct {
	Kind     string    `json:"kind"`
	Dedupe   string    `json:"dedupe,omitempty"`
	Payload  string    `json:"payload,omitempty"`
	Priority int       `json:"priority,omitempty"`
	Trace    string    `json:"trace,omitempty"`
	Origin   time.Time `json:"origin,omitzero"`
}

func (webhookEventRow) TableName() string { return "webhook_events" }

// PruneWebhookEvents forgets deliveries older than the retry window whose
// work has been dispatched.
func (s *Store) PruneWebhookEvents(ctx context.Context, olderThan time.Duration) (int64, error) {
	res := s.db.WithContext(ctx).Where("received_at < ? AND pending = ?", s.now().UTC().Add(-olderThan), false).Delete(&webhookEventRow{})
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

// TenantWebhook is a delivery for a given tenant, for batch intake, with
// the job it asks for in the project it names (nil: nothing to do).
type TenantWebhook struct {
	TenantID int64
	WebhookEvent
	Project string
	Job     *domain.NewJob
}

// RecordWebhooksBatch records deliveries of many tenants in one statement
// and returns, per tenant, the identifiers that were new. Each row carries
// its own tenant id; identifiers are unique per tenant only. A new
// delivery's job is recorded with it as pending work (PendingWebhooks);
// a repeated delivery (Jira's retry) records nothing, so its work is
// never done twice.
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
		row := webhookEventRow{TenantID: e.TenantID, Identifier: e.Identifier, Event: e.Event, IssueKey: e.IssueKey, ProjectKey: e.Project, BatchToken: token, ReceivedAt: now}
		if e.Job != nil {
			j := outboxJob{Kind: e.Job.Kind, Dedupe: e.Job.DedupeKey, Payload: string(e.Job.Payload), Priority: e.Job.Priority, Trace: e.Job.Trace, Origin: e.Job.Origin}
			b, err := json.Marshal(j)
			if err != nil {
				return nil, fmt.Errorf("store: record webhooks: job: %w", err)
			}
			js := string(b)
			row.Job, row.Pending = &js, true
		}
		rows = append(rows, row)
	}
	res := s.db.WithContext(ctx).Exec(s.insertWebhooksSQL(len(rows)), webhookArgs(rows)...)
	if res.Error != nil {
		return nil, fmt.Errorf("store: record webhooks: %w", res.Error)
	}
	if res.RowsAffected == int64(len(rows)) {
		// Every row was inserted (the usual case): all are new, and no
		// second round trip is needed to find out which.
		for _, r := range rows {
			if out[r.TenantID] == nil {
				out[r.TenantID] = map[string]bool{}
			}
			out[r.TenantID][r.Identifier] = true
		}
		return out, nil
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

// insertWebhooksSQL is the multi-row insert of n deliveries that skips
// those already recorded. It is written out rather than built by gorm from
// the struct: at thousands of deliveries a second, gorm's reflection over
// every row was a tenth of the app's CPU per webhook.
func (s *Store) insertWebhooksSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO webhook_events (tenant_id, identifier, event, issue_key, project_key, job, pending, batch_token, received_at) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?)")
	}
	if s.driver == "mysql" {
		b.WriteString(" ON DUPLICATE KEY UPDATE id = id")
	} else {
		b.WriteString(" ON CONFLICT (tenant_id, identifier) DO NOTHING")
	}
	return b.String()
}

// webhookArgs are the values of insertWebhooksSQL, in its column order.
func webhookArgs(rows []webhookEventRow) []any {
	args := make([]any, 0, 9*len(rows))
	for _, r := range rows {
		args = append(args, r.TenantID, r.Identifier, r.Event, r.IssueKey, r.ProjectKey, r.Job, r.Pending, r.BatchToken, r.ReceivedAt)
	}
	return args
}

// PendingWebhook is a recorded delivery whose job is not yet dispatched.
type PendingWebhook struct {
	ID       int64
	TenantID int64
	Project  string
	Job      domain.NewJob
}

// PendingWebhooks returns up to limit deliveries whose job waits to be
// dispatched, oldest first. Inside a transaction on MySQL the rows are
// locked and rows another replica's dispatcher holds are skipped.
func (s *Store) PendingWebhooks(ctx context.Context, limit int) ([]PendingWebhook, error) {
	q := s.db.WithContext(ctx).Table("webhook_events").Select("id, tenant_id, project_key, job").Where("pending = ?", true).Order("id").Limit(limit)
	if s.driver == "mysql" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	var rows []webhookEventRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: pending webhooks: %w", err)
	}
	out := make([]PendingWebhook, 0, len(rows))
	for _, r := range rows {
		p := PendingWebhook{ID: r.ID, TenantID: r.TenantID, Project: r.ProjectKey}
		if r.Job != nil {
			var j outboxJob
			if err := json.Unmarshal([]byte(*r.Job), &j); err != nil {
				// Written by this code only; a row that does not decode is
				// dispatched as nothing rather than blocking the queue.
				s.log.Warn("webhook job does not decode; dropped", "tenant_id", r.TenantID, "webhook_event_id", r.ID, "err", err)
			} else {
				p.Job = domain.NewJob{Kind: j.Kind, DedupeKey: j.Dedupe, Payload: []byte(j.Payload), Priority: j.Priority, Trace: j.Trace, Origin: j.Origin}
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// MarkDispatched marks the given deliveries' work as dispatched.
func (s *Store) MarkDispatched(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	// Only the flag: the job text goes with the row when it is pruned,
	// and leaving it spares the update a write of that column.
	err := s.db.WithContext(ctx).Table("webhook_events").Where("id IN ?", ids).Update("pending", false).Error
	if err != nil {
		return fmt.Errorf("store: mark webhooks dispatched: %w", err)
	}
	return nil
}
