package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

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
		// Decoded into a zero value, so that a field missing from an older
		// format stays zero for Upgrade to see.
		var st domain.Strategy
		if err := json.Unmarshal([]byte(r.Strategy), &st); err != nil {
			return nil, fmt.Errorf("store: project %s strategy: %w", r.ProjectKey, err)
		}
		st.Upgrade()
		p.Strategy = st
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

// ActiveProjects lists, across tenants, the active projects of active
// tenants (for periodic reconciliation).
func (s *Store) ActiveProjects(ctx context.Context) ([]TenantProject, error) {
	var out []TenantProject
	err := s.db.WithContext(ctx).Table("projects").Select("projects.tenant_id, projects.project_key, projects.last_sync_at").
		Joins("JOIN tenants ON tenants.id = projects.tenant_id").
		Where("projects.active = ? AND tenants.state IN ?", true, []string{string(domain.TenantInstalled), string(domain.TenantEnabled)}).
		Scan(&out).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("store: active projects: %w", err)
	}
	return out, nil
}

// TenantProject names a project of a tenant.
type TenantProject struct {
	TenantID   int64
	ProjectKey string
	LastSyncAt *time.Time
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
