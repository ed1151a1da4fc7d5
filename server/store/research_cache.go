package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type cacheRow struct {
	ID        int64 `gorm:"primaryKey"`
	TenantID  int64
	Provider  string
	QueryHash string
	Query     string
	Result    string
	FetchedAt time.Time
	ExpiresAt time.Time
}

func (cacheRow) TableName() string { return "research_cache" }

func queryHash(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// CachedResearch returns a provider's unexpired cached answer to query.
func (ts *TenantStore) CachedResearch(ctx context.Context, provider, query string) (json.RawMessage, time.Time, bool, error) {
	var r cacheRow
	err := ts.q(ctx, "research_cache").Where("provider = ? AND query_hash = ? AND expires_at > ?", provider, queryHash(query), ts.s.now().UTC()).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("store: cached research: %w", err)
	}
	return json.RawMessage(r.Result), r.FetchedAt, true, nil
}

// CacheResearch stores a provider's answer to query for ttl.
func (ts *TenantStore) CacheResearch(ctx context.Context, provider, query string, result json.RawMessage, ttl time.Duration) error {
	now := ts.s.now().UTC()
	row := cacheRow{TenantID: ts.tenantID, Provider: provider, QueryHash: queryHash(query), Query: query, Result: string(result),
		FetchedAt: now, ExpiresAt: now.Add(ttl)}
	err := ts.s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "provider"}, {Name: "query_hash"}},
		DoUpdates: clause.AssignmentColumns([]string{"query", "result", "fetched_at", "expires_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: cache research: %w", err)
	}
	return nil
}

// PruneResearchCache deletes the tenant's expired cache entries.
func (ts *TenantStore) PruneResearchCache(ctx context.Context) (int64, error) {
	res := ts.q(ctx, "research_cache").Where("expires_at <= ?", ts.s.now().UTC()).Delete(&cacheRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune research cache: %w", res.Error)
	}
	return res.RowsAffected, nil
}
