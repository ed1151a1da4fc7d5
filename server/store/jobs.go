package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type jobRow struct {
	ID           int64 `gorm:"primaryKey"`
	TenantID     int64
	Kind         string
	DedupeKey    string
	CoalesceSlot *string
	Payload      string
	Priority     int
	State        string
	Attempts     int
	MaxAttempts  int
	RunAt        time.Time
	LockedBy     string
	LockedUntil  *time.Time
	LastError    string
	TraceParent  string
	OriginAt     *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (jobRow) TableName() string { return "jobs" }

func (r *jobRow) toJob() domain.Job {
	var origin time.Time
	if r.OriginAt != nil {
		origin = *r.OriginAt
	}
	return domain.Job{ID: r.ID, TenantID: r.TenantID, Kind: r.Kind, DedupeKey: r.DedupeKey, Payload: []byte(r.Payload),
		Priority: r.Priority, State: r.State, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts, RunAt: r.RunAt, LastError: r.LastError,
		LockedBy: r.LockedBy, Trace: r.TraceParent, Origin: origin}
}

// Enqueue adds jobs for the tenant, coalescing each with a queued job of
// the same kind and dedupe key. It returns the rows the driver reports as
// affected (MariaDB also counts coalesced no-ops; use it for logs only).
func (ts *TenantStore) Enqueue(ctx context.Context, jobs ...domain.NewJob) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	now := ts.s.now().UTC()
	rows := make([]jobRow, len(jobs))
	for i, j := range jobs {
		if j.Kind == "" {
			return 0, fmt.Errorf("store: enqueue: job kind is required: %w", domain.ErrInvalid)
		}
		ts.s.stamp(ctx, &j)
		rows[i] = newJobRow(ts.tenantID, j, now)
	}
	var n int64
	err := retry(ctx, func() error {
		res := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 200)
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("store: enqueue: %w", err)
	}
	return int(n), nil
}

// newJobRow is a queued job row with the defaults applied: 8 attempts, due
// now, and a coalescing slot when the job has a dedupe key.
func newJobRow(tenantID int64, j domain.NewJob, now time.Time) jobRow {
	r := jobRow{TenantID: tenantID, Kind: j.Kind, DedupeKey: j.DedupeKey, Payload: string(j.Payload),
		Priority: j.Priority, State: domain.JobQueued, MaxAttempts: j.MaxAttempts, RunAt: j.RunAt.UTC(), CreatedAt: now, UpdatedAt: now,
		TraceParent: j.Trace}
	if len(r.TraceParent) > 64 {
		r.TraceParent = "" // not a W3C traceparent; telemetry only
	}
	if !j.Origin.IsZero() {
		o := j.Origin.UTC()
		r.OriginAt = &o
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 8
	}
	if r.RunAt.IsZero() {
		r.RunAt = now
	}
	if j.DedupeKey != "" {
		k := j.DedupeKey
		r.CoalesceSlot = &k
	}
	return r
}

// CancelJobs deletes the tenant's queued and running jobs (uninstall).
// A worker that still holds one finds it gone and writes nothing more.
func (ts *TenantStore) CancelJobs(ctx context.Context) (int64, error) {
	res := ts.q(ctx, "jobs").Where("state IN ?", []string{domain.JobQueued, domain.JobRunning}).Delete(&jobRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: cancel jobs: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// Jobs lists the tenant's jobs in a state (for the UI and tests).
func (ts *TenantStore) Jobs(ctx context.Context, state string, limit int) ([]domain.Job, error) {
	var rows []jobRow
	if err := ts.q(ctx, "jobs").Where("state = ?", state).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: jobs: %w", err)
	}
	out := make([]domain.Job, len(rows))
	for i := range rows {
		out[i] = rows[i].toJob()
	}
	return out, nil
}

// claimable is the condition of a job a worker may take: queued and due,
// or running with an expired lease (its worker died).
const claimable = "((state = ? AND run_at <= ?) OR (state = ? AND locked_until < ?))"

// DueTenants returns ids of active tenants that have claimable jobs, in id
// order, so workers can serve them round robin.
func (s *Store) DueTenants(ctx context.Context, limit int) ([]int64, error) {
	now := s.now().UTC()
	var ids []int64
	err := s.db.WithContext(ctx).Table("jobs").
		Where(claimable, domain.JobQueued, now, domain.JobRunning, now).
		Where("tenant_id IN (?)", s.db.Table("tenants").Select("id").Where("state IN ?", []string{string(domain.TenantInstalled), string(domain.TenantEnabled)})).
		Distinct("tenant_id").Order("tenant_id").Limit(limit).Pluck("tenant_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: due tenants: %w", err)
	}
	return ids, nil
}

// ClaimJobs takes up to n claimable jobs of one tenant for worker, highest
// priority first, and leases them until now+lease. On MySQL concurrent
// workers skip each other's locked rows; on SQLite the write transaction
// serialises claims.
func (s *Store) ClaimJobs(ctx context.Context, tenantID int64, worker string, n int, lease time.Duration) ([]domain.Job, error) {
	var claimed []domain.Job
	err := s.WithQueueTx(ctx, func(tx *Store) error {
		now := s.now().UTC()
		q := tx.db.Table("jobs").Where("tenant_id = ?", tenantID).
			Where(claimable, domain.JobQueued, now, domain.JobRunning, now).
			Order("priority DESC, run_at, id").Limit(n)
		if s.driver == "mysql" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []jobRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		until := now.Add(lease)
		err := tx.db.Table("jobs").Where("id IN ?", ids).Updates(map[string]any{
			"state": domain.JobRunning, "coalesce_slot": nil, "locked_by": worker, "locked_until": until,
			"attempts": gorm.Expr("attempts + 1"), "updated_at": now,
		}).Error
		if err != nil {
			return err
		}
		for i := range rows {
			rows[i].Attempts++
			takenOver := rows[i].State == domain.JobRunning
			rows[i].State = domain.JobRunning
			rows[i].LockedBy = worker
			j := rows[i].toJob()
			j.TakenOver = takenOver
			claimed = append(claimed, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim jobs: %w", err)
	}
	return claimed, nil
}

// CompleteJob removes a finished job. It reports false when the job was no
// longer held by worker (lease lost, or cancelled by an uninstall).
func (s *Store) CompleteJob(ctx context.Context, id int64, worker string) (bool, error) {
	n, err := s.CompleteJobs(ctx, []int64{id}, worker)
	return n == 1, err
}

// CompleteJobs removes the finished jobs of one batch that worker still
// holds, in one statement: a batch of 50 costs one commit, not 50. It
// returns how many it removed.
func (s *Store) CompleteJobs(ctx context.Context, ids []int64, worker string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int64
	err := retry(ctx, func() error {
		res := s.db.WithContext(ctx).Where("id IN ? AND locked_by = ? AND state = ?", ids, worker, domain.JobRunning).Delete(&jobRow{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("store: complete jobs: %w", err)
	}
	return n, nil
}

// StillHeld reports whether worker still holds the job (checked before a
// visible effect such as a write to Jira).
func (s *Store) StillHeld(ctx context.Context, id int64, worker string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Table("jobs").Where("id = ? AND locked_by = ? AND state = ?", id, worker, domain.JobRunning).Count(&n).Error
	return n == 1, err
}

// RetryJob puts a failed job back in the queue at retryAt, or into the
// dead-letter state when it has no attempts left. If a newer queued job of
// the same key exists meanwhile, the failed one is dropped: the newer one
// does the same work.
func (s *Store) RetryJob(ctx context.Context, j domain.Job, worker, reason string, retryAt time.Time) error {
	now := s.now().UTC()
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	if j.Attempts >= j.MaxAttempts {
		err := s.db.WithContext(ctx).Table("jobs").Where("id = ? AND locked_by = ?", j.ID, worker).Updates(map[string]any{
			"state": domain.JobDead, "last_error": reason, "locked_by": "", "locked_until": nil, "updated_at": now,
		}).Error
		if err != nil {
			return fmt.Errorf("store: dead-letter job: %w", err)
		}
		return nil
	}
	var slot any
	if j.DedupeKey != "" {
		slot = j.DedupeKey
	}
	err := retry(ctx, func() error {
		return s.db.WithContext(ctx).Table("jobs").Where("id = ? AND locked_by = ?", j.ID, worker).Updates(map[string]any{
			"state": domain.JobQueued, "run_at": retryAt.UTC(), "last_error": reason, "locked_by": "", "locked_until": nil,
			"coalesce_slot": slot, "updated_at": now,
		}).Error
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		_, err = s.CompleteJob(ctx, j.ID, worker)
	}
	if err != nil {
		return fmt.Errorf("store: retry job: %w", err)
	}
	return nil
}

// ReleaseJobs hands back every job worker holds, due at once (graceful
// shutdown: another replica or the next start picks them up).
func (s *Store) ReleaseJobs(ctx context.Context, worker string) (int64, error) {
	now := s.now().UTC()
	res := s.db.WithContext(ctx).Table("jobs").Where("locked_by = ? AND state = ?", worker, domain.JobRunning).Updates(map[string]any{
		"state": domain.JobQueued, "run_at": now, "locked_by": "", "locked_until": nil,
		"attempts": gorm.Expr("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"), "updated_at": now,
	})
	if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
		// A coalesced twin is queued; dropping ours loses nothing.
		res = s.db.WithContext(ctx).Where("locked_by = ? AND state = ?", worker, domain.JobRunning).Delete(&jobRow{})
	}
	if res.Error != nil {
		return 0, fmt.Errorf("store: release jobs: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// QueueCounts returns job counts by state for a tenant.
func (ts *TenantStore) QueueCounts(ctx context.Context) (map[string]int64, error) {
	type row struct {
		State string
		N     int64
	}
	var rows []row
	if err := ts.q(ctx, "jobs").Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: queue counts: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// ExtendLease keeps worker's claim on jobs that are still running (a
// heartbeat from a live worker); a dead worker's leases run out instead.
func (s *Store) ExtendLease(ctx context.Context, worker string, ids []int64, lease time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	until := s.now().UTC().Add(lease)
	return retry(ctx, func() error {
		return s.db.WithContext(ctx).Table("jobs").Where("id IN ? AND locked_by = ? AND state = ?", ids, worker, domain.JobRunning).
			Update("locked_until", until).Error
	})
}

// EnqueueBatch adds jobs of many tenants in one statement, coalescing like
// Enqueue. Each row carries its own tenant id.
func (s *Store) EnqueueBatch(ctx context.Context, jobs []domain.TenantJob) error {
	if len(jobs) == 0 {
		return nil
	}
	now := s.now().UTC()
	rows := make([]jobRow, len(jobs))
	for i, j := range jobs {
		rows[i] = newJobRow(j.TenantID, j.NewJob, now)
	}
	return retry(ctx, func() error {
		return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 200).Error
	})
}
