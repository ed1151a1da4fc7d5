package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type scanRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	ProjectKey string
	State      string
	Phase      string
	Total      int
	Done       int
	Written    int
	PageToken  string
	Error      string
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

func (scanRow) TableName() string { return "scans" }

// StartScan (re)starts a project's scan from the first page.
func (ts *TenantStore) StartScan(ctx context.Context, project string, total int) (*domain.Scan, error) {
	now := ts.s.now().UTC()
	row := scanRow{TenantID: ts.tenantID, ProjectKey: project, State: domain.ScanRunning, Phase: "fetch", Total: total, StartedAt: now, UpdatedAt: now}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "tenant_id"}, {Name: "project_key"}},
		DoUpdates: clause.Assignments(map[string]any{"state": domain.ScanRunning, "phase": "fetch", "total": total, "done": 0, "written": 0,
			"page_token": "", "error": "", "started_at": now, "updated_at": now, "finished_at": nil}),
	}).Create(&row).Error
	if err != nil {
		return nil, fmt.Errorf("store: start scan: %w", err)
	}
	return ts.Scan(ctx, project)
}

// StartScanIfIdle starts a project's scan from the first page unless one
// is running (queued counts: a scan is running from the moment it is
// started) and has made progress within staleAfter. It reports whether it
// started one and returns the project's scan either way. Two concurrent
// calls start at most one scan.
func (ts *TenantStore) StartScanIfIdle(ctx context.Context, project string, staleAfter time.Duration) (*domain.Scan, bool, error) {
	now := ts.s.now().UTC()
	row := scanRow{TenantID: ts.tenantID, ProjectKey: project, State: domain.ScanRunning, Phase: "fetch", StartedAt: now, UpdatedAt: now}
	res := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return nil, false, fmt.Errorf("store: start scan if idle: %w", res.Error)
	}
	started := res.RowsAffected == 1
	if !started {
		res = ts.q(ctx, "scans").Where("project_key = ? AND (state <> ? OR updated_at < ?)", project, domain.ScanRunning, now.Add(-staleAfter)).
			Updates(map[string]any{"state": domain.ScanRunning, "phase": "fetch", "total": 0, "done": 0, "written": 0,
				"page_token": "", "error": "", "started_at": now, "updated_at": now, "finished_at": nil})
		if res.Error != nil {
			return nil, false, fmt.Errorf("store: start scan if idle: %w", res.Error)
		}
		started = res.RowsAffected == 1
	}
	sc, err := ts.Scan(ctx, project)
	return sc, started, err
}

// Scan returns a project's scan, or ErrNotFound if it never ran.
func (ts *TenantStore) Scan(ctx context.Context, project string) (*domain.Scan, error) {
	var r scanRow
	if err := ts.q(ctx, "scans").Where("project_key = ?", project).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: scan")
	}
	return &domain.Scan{ProjectKey: r.ProjectKey, State: r.State, Phase: r.Phase, Total: r.Total, Done: r.Done, Written: r.Written,
		PageToken: r.PageToken, Error: r.Error, StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt}, nil
}

// ScanUpdate changes some fields of a scan; nil fields stay.
type ScanUpdate struct {
	State     *string
	Phase     *string
	Total     *int
	AddDone   int
	AddWrite  int
	Done      *int
	Written   *int
	PageToken *string
	Error     *string
}

// UpdateScan applies u to a running scan. It reports ErrConflict when the
// scan is no longer running (cancelled by an uninstall or restarted).
func (ts *TenantStore) UpdateScan(ctx context.Context, project string, u ScanUpdate) error {
	now := ts.s.now().UTC()
	cols := map[string]any{"updated_at": now}
	if u.State != nil {
		cols["state"] = *u.State
		if *u.State != domain.ScanRunning {
			cols["finished_at"] = now
		}
	}
	if u.Phase != nil {
		cols["phase"] = *u.Phase
	}
	if u.Total != nil {
		cols["total"] = *u.Total
	}
	if u.Done != nil {
		cols["done"] = *u.Done
	} else if u.AddDone != 0 {
		cols["done"] = gorm.Expr("done + ?", u.AddDone)
	}
	if u.Written != nil {
		cols["written"] = *u.Written
	} else if u.AddWrite != 0 {
		cols["written"] = gorm.Expr("written + ?", u.AddWrite)
	}
	if u.PageToken != nil {
		cols["page_token"] = *u.PageToken
	}
	if u.Error != nil {
		cols["error"] = truncate(*u.Error, 2000)
	}
	res := ts.q(ctx, "scans").Where("project_key = ? AND state = ?", project, domain.ScanRunning).Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("store: update scan: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update scan %s: not running: %w", project, domain.ErrConflict)
	}
	return nil
}
