package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

// TenantStore is the store seen by one tenant. Every query it runs carries
// the tenant's id; it has no method that reaches another tenant's rows.
type TenantStore struct {
	s        *Store
	tenantID int64
	// project, when set (ForProject), makes usage counters and quotas
	// the project's; the site's total is kept as well.
	project string
}

// Tenant returns the view of t's data.
func (s *Store) Tenant(t *domain.Tenant) *TenantStore {
	return &TenantStore{s: s, tenantID: t.ID}
}

// TenantID is the id this view is bound to.
func (ts *TenantStore) TenantID() int64 { return ts.tenantID }

// q starts a query on table scoped to the tenant.
func (ts *TenantStore) q(ctx context.Context, table string) *gorm.DB {
	return ts.s.db.WithContext(ctx).Table(table).Where("tenant_id = ?", ts.tenantID)
}

// WithTx runs fn in a transaction on this tenant's view.
func (ts *TenantStore) WithTx(ctx context.Context, fn func(tx *TenantStore) error) error {
	return ts.s.WithTx(ctx, func(tx *Store) error {
		return fn(&TenantStore{s: tx, tenantID: ts.tenantID, project: ts.project})
	})
}

// Project is a Jira project the app knows for a tenant.
type Project struct {
	Key        string
	JiraID     string
	Name       string
	Active     bool
	Strategy   domain.Strategy
	LastSyncAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

type projectRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	ProjectKey string
	ProjectID  string
	Name       string
	Active     bool
	Strategy   string
	Settings   string
	LastSyncAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (projectRow) TableName() string { return "projects" }

func (r *projectRow) toProject() (*Project, error) {
	p := &Project{Key: r.ProjectKey, JiraID: r.ProjectID, Name: r.Name, Active: r.Active,
		LastSyncAt: r.LastSyncAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Strategy: domain.DefaultStrategy()}
	if r.Strategy != "" {
		if err := json.Unmarshal([]byte(r.Strategy), &p.Strategy); err != nil {
			return nil, fmt.Errorf("store: project %s strategy: %w", r.ProjectKey, err)
		}
	}
	return p, nil
}

// EnsureProject creates the project row if missing and returns it.
func (ts *TenantStore) EnsureProject(ctx context.Context, key, jiraID, name string) (*Project, error) {
	now := ts.s.now().UTC()
	strat, _ := json.Marshal(domain.DefaultStrategy())
	row := projectRow{TenantID: ts.tenantID, ProjectKey: key, ProjectID: jiraID, Name: name,
		Strategy: string(strat), Settings: "{}", CreatedAt: now, UpdatedAt: now}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
	if err != nil {
		return nil, fmt.Errorf("store: ensure project: %w", err)
	}
	return ts.Project(ctx, key)
}

// Project returns one project, or ErrNotFound.
func (ts *TenantStore) Project(ctx context.Context, key string) (*Project, error) {
	var r projectRow
	if err := ts.q(ctx, "projects").Where("project_key = ?", key).Take(&r).Error; err != nil {
		return nil, notFound(err, "store: project")
	}
	return r.toProject()
}

// Projects lists the tenant's projects by key.
func (ts *TenantStore) Projects(ctx context.Context) ([]Project, error) {
	var rows []projectRow
	if err := ts.q(ctx, "projects").Order("project_key").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: projects: %w", err)
	}
	out := make([]Project, 0, len(rows))
	for i := range rows {
		p, err := rows[i].toProject()
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// SetStrategy saves a project's strategy.
func (ts *TenantStore) SetStrategy(ctx context.Context, key string, st domain.Strategy) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: set strategy: %w", err)
	}
	return ts.updateProject(ctx, key, map[string]any{"strategy": string(raw)})
}

// SetProjectActive marks a project active (scanned and kept current) or not.
func (ts *TenantStore) SetProjectActive(ctx context.Context, key string, active bool) error {
	return ts.updateProject(ctx, key, map[string]any{"active": active})
}

// SetLastSync records the last reconciliation time.
func (ts *TenantStore) SetLastSync(ctx context.Context, key string, at time.Time) error {
	return ts.updateProject(ctx, key, map[string]any{"last_sync_at": at.UTC()})
}

func (ts *TenantStore) updateProject(ctx context.Context, key string, cols map[string]any) error {
	cols["updated_at"] = ts.s.now().UTC()
	res := ts.q(ctx, "projects").Where("project_key = ?", key).Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("store: update project: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update project %s: %w", key, domain.ErrNotFound)
	}
	return nil
}
