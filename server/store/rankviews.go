package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type rankApplicationRow struct {
	ID            int64 `gorm:"primaryKey"`
	TenantID      int64
	ProjectKey    string
	AccountID     string
	Moved         string
	PreviousOrder string
	AppliedAt     time.Time
	UndoneAt      *time.Time
	UndoneBy      string
}

func (rankApplicationRow) TableName() string { return "rank_applications" }

// SaveRankApplication records an application, replacing the project's
// previous one (only the last can be undone).
func (ts *TenantStore) SaveRankApplication(ctx context.Context, a domain.RankApplication) error {
	moved, err := json.Marshal(a.Moved)
	if err != nil {
		return fmt.Errorf("store: save rank application: %w", err)
	}
	prev, err := json.Marshal(a.PreviousOrder)
	if err != nil {
		return fmt.Errorf("store: save rank application: %w", err)
	}
	row := rankApplicationRow{TenantID: ts.tenantID, ProjectKey: a.Project, AccountID: a.AccountID, Moved: string(moved),
		PreviousOrder: string(prev), AppliedAt: a.AppliedAt.UTC()}
	err = ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "project_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"account_id", "moved", "previous_order", "applied_at", "undone_at", "undone_by"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: save rank application: %w", err)
	}
	return nil
}

// RankApplication returns the project's last application
// (domain.ErrNotFound when there is none).
func (ts *TenantStore) RankApplication(ctx context.Context, project string) (domain.RankApplication, error) {
	var row rankApplicationRow
	err := ts.q(ctx, "rank_applications").Where("project_key = ?", project).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.RankApplication{}, fmt.Errorf("store: rank application of %s: %w", project, domain.ErrNotFound)
	}
	if err != nil {
		return domain.RankApplication{}, fmt.Errorf("store: rank application of %s: %w", project, err)
	}
	a := domain.RankApplication{Project: row.ProjectKey, AccountID: row.AccountID, AppliedAt: row.AppliedAt.UTC(), UndoneAt: row.UndoneAt, UndoneBy: row.UndoneBy}
	if err := json.Unmarshal([]byte(row.Moved), &a.Moved); err != nil {
		return domain.RankApplication{}, fmt.Errorf("store: rank application of %s: moved: %w", project, err)
	}
	if err := json.Unmarshal([]byte(row.PreviousOrder), &a.PreviousOrder); err != nil {
		return domain.RankApplication{}, fmt.Errorf("store: rank application of %s: previous order: %w", project, err)
	}
	return a, nil
}

// MarkRankUndone records that the project's last application was undone.
// It fails with domain.ErrConflict when it was already undone, so two
// people pressing undo at once undo it once.
func (ts *TenantStore) MarkRankUndone(ctx context.Context, project, accountID string) error {
	now := ts.s.now().UTC()
	res := ts.q(ctx, "rank_applications").Where("project_key = ? AND undone_at IS NULL", project).
		Updates(map[string]any{"undone_at": now, "undone_by": accountID})
	if res.Error != nil {
		return fmt.Errorf("store: undo rank of %s: %w", project, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: undo rank of %s: nothing to undo: %w", project, domain.ErrConflict)
	}
	return nil
}

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
