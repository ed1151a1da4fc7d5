package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type trendRow struct {
	ID          int64 `gorm:"primaryKey"`
	TenantID    int64
	ProjectKey  string
	Day         string
	MeanScore   float64
	OpenCount   int
	MustCount   int
	ShouldCount int
	CouldCount  int
	WontCount   int
	UpdatedAt   time.Time
}

func (trendRow) TableName() string { return "project_trend" }

// RecordTrend stores a project's trend point for its day, replacing an
// earlier one of the same day (the day's last ranking wins).
func (ts *TenantStore) RecordTrend(ctx context.Context, project string, p domain.TrendPoint) error {
	if _, err := time.Parse(time.DateOnly, p.Day); err != nil {
		return fmt.Errorf("store: trend: day %q is not YYYY-MM-DD", p.Day)
	}
	r := trendRow{TenantID: ts.tenantID, ProjectKey: project, Day: p.Day, MeanScore: p.MeanScore, OpenCount: p.Open,
		MustCount: p.Count[0], ShouldCount: p.Count[1], CouldCount: p.Count[2], WontCount: p.Count[3], UpdatedAt: ts.s.now().UTC()}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "project_key"}, {Name: "day"}},
		DoUpdates: clause.AssignmentColumns([]string{"mean_score", "open_count", "must_count", "should_count", "could_count", "wont_count", "updated_at"}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("store: trend: %w", err)
	}
	return nil
}

// Trend returns a project's trend points of the last days days, oldest
// first.
func (ts *TenantStore) Trend(ctx context.Context, project string, days int) ([]domain.TrendPoint, error) {
	since := ts.s.now().UTC().AddDate(0, 0, -days).Format(time.DateOnly)
	var rows []trendRow
	if err := ts.q(ctx, "project_trend").Where("project_key = ? AND day > ?", project, since).Order("day").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: trend: %w", err)
	}
	out := make([]domain.TrendPoint, len(rows))
	for i, r := range rows {
		out[i] = domain.TrendPoint{Day: r.Day, MeanScore: r.MeanScore, Open: r.OpenCount,
			Count: [4]int{r.MustCount, r.ShouldCount, r.CouldCount, r.WontCount}}
	}
	return out, nil
}
