package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type savedViewRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	AccountID  string
	ProjectKey string
	Name       string
	Query      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (savedViewRow) TableName() string { return "saved_views" }

// Limits of saved views.
const (
	MaxViewName       = 80
	MaxViewQuery      = 2000
	MaxViewsPerPerson = 50
)

// SaveView creates the person's view or replaces the one of the same name.
func (ts *TenantStore) SaveView(ctx context.Context, accountID, project string, v domain.SavedView) (domain.SavedView, error) {
	v.Name = strings.TrimSpace(v.Name)
	switch {
	case accountID == "":
		return domain.SavedView{}, fmt.Errorf("store: save view: accountId is empty: %w", domain.ErrInvalid)
	case v.Name == "":
		return domain.SavedView{}, fmt.Errorf("store: save view: name is empty: %w", domain.ErrInvalid)
	case utf8.RuneCountInString(v.Name) > MaxViewName:
		return domain.SavedView{}, fmt.Errorf("store: save view: name is longer than %d characters: %w", MaxViewName, domain.ErrInvalid)
	case len(v.Query) > MaxViewQuery:
		return domain.SavedView{}, fmt.Errorf("store: save view: query is longer than %d bytes: %w", MaxViewQuery, domain.ErrInvalid)
	}
	var n int64
	if err := ts.q(ctx, "saved_views").Where("account_id = ? AND project_key = ? AND name <> ?", accountID, project, v.Name).Count(&n).Error; err != nil {
		return domain.SavedView{}, fmt.Errorf("store: save view: %w", err)
	}
	if n >= MaxViewsPerPerson {
		return domain.SavedView{}, fmt.Errorf("store: save view: at most %d views per person and project: %w", MaxViewsPerPerson, domain.ErrInvalid)
	}
	now := ts.s.now().UTC()
	row := savedViewRow{TenantID: ts.tenantID, AccountID: accountID, ProjectKey: project, Name: v.Name, Query: v.Query, CreatedAt: now, UpdatedAt: now}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "account_id"}, {Name: "project_key"}, {Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"query", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return domain.SavedView{}, fmt.Errorf("store: save view: %w", err)
	}
	var got savedViewRow
	if err := ts.q(ctx, "saved_views").Where("account_id = ? AND project_key = ? AND name = ?", accountID, project, v.Name).Take(&got).Error; err != nil {
		return domain.SavedView{}, fmt.Errorf("store: save view: %w", err)
	}
	return domain.SavedView{ID: got.ID, Name: got.Name, Query: got.Query, UpdatedAt: got.UpdatedAt.UTC()}, nil
}

// Views lists the person's views of the project by name.
func (ts *TenantStore) Views(ctx context.Context, accountID, project string) ([]domain.SavedView, error) {
	var rows []savedViewRow
	if err := ts.q(ctx, "saved_views").Where("account_id = ? AND project_key = ?", accountID, project).Order("name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: views: %w", err)
	}
	out := make([]domain.SavedView, len(rows))
	for i, r := range rows {
		out[i] = domain.SavedView{ID: r.ID, Name: r.Name, Query: r.Query, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// DeleteView deletes one of the person's views; another person's view is
// domain.ErrNotFound, as if it did not exist.
func (ts *TenantStore) DeleteView(ctx context.Context, accountID, project string, id int64) error {
	res := ts.q(ctx, "saved_views").Where("id = ? AND account_id = ? AND project_key = ?", id, accountID, project).Delete(&savedViewRow{})
	if res.Error != nil {
		return fmt.Errorf("store: delete view: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: delete view %d: %w", id, domain.ErrNotFound)
	}
	return nil
}
