package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/backlogai/backlogai/server/domain"
)

type accessTokenRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	AccountID  string
	Name       string
	TokenHash  string
	Prefix     string
	Projects   string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (accessTokenRow) TableName() string { return "access_tokens" }

func (r *accessTokenRow) token() *domain.AccessToken {
	t := &domain.AccessToken{ID: r.ID, TenantID: r.TenantID, AccountID: r.AccountID, Name: r.Name, Prefix: r.Prefix,
		Projects: []string{}, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
	if r.Projects != "" {
		t.Projects = strings.Split(r.Projects, ",")
	}
	return t
}

// HashToken is the stored form of a token: hex SHA-256. Tokens carry 256
// random bits, so a fast hash is enough (no dictionary to guess from).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateAccessToken stores a new token of accountID given its plain value
// (only its hash and first characters are kept).
func (ts *TenantStore) CreateAccessToken(ctx context.Context, accountID, name, token string, projects []string, expires time.Time) (*domain.AccessToken, error) {
	switch {
	case accountID == "":
		return nil, fmt.Errorf("store: access token: accountId is required: %w", domain.ErrInvalid)
	case name == "" || len(name) > 255:
		return nil, fmt.Errorf("store: access token: name must be 1 to 255 characters: %w", domain.ErrInvalid)
	case len(projects) == 0:
		return nil, fmt.Errorf("store: access token: projects must name at least one project: %w", domain.ErrInvalid)
	case len(token) < 32:
		return nil, fmt.Errorf("store: access token: token is too short: %w", domain.ErrInvalid)
	}
	for _, p := range projects {
		if p == "" || strings.Contains(p, ",") {
			return nil, fmt.Errorf("store: access token: invalid project %q: %w", p, domain.ErrInvalid)
		}
	}
	now := ts.s.now().UTC()
	r := accessTokenRow{TenantID: ts.tenantID, AccountID: accountID, Name: name, TokenHash: HashToken(token),
		Prefix: token[:min(len(token), 12)], Projects: strings.Join(projects, ","), CreatedAt: now, ExpiresAt: expires.UTC()}
	if err := ts.s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return nil, fmt.Errorf("store: create access token: %w", err)
	}
	return r.token(), nil
}

// AccessTokenByValue finds a token by its plain value, whichever its
// tenant (the token is the only credential an MCP request carries). It
// returns revoked and expired tokens too: callers check Active.
func (s *Store) AccessTokenByValue(ctx context.Context, token string) (*domain.AccessToken, error) {
	var r accessTokenRow
	err := s.db.WithContext(ctx).Where("token_hash = ?", HashToken(token)).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("store: access token: %w", domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: access token: %w", err)
	}
	return r.token(), nil
}

// AccessTokens lists accountID's tokens, newest first.
func (ts *TenantStore) AccessTokens(ctx context.Context, accountID string) ([]*domain.AccessToken, error) {
	var rows []accessTokenRow
	if err := ts.q(ctx, "access_tokens").Where("account_id = ?", accountID).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: access tokens: %w", err)
	}
	out := make([]*domain.AccessToken, len(rows))
	for i := range rows {
		out[i] = rows[i].token()
	}
	return out, nil
}

// RevokeAccessToken revokes one of accountID's tokens. Another person's
// token is not found, so that ids reveal nothing.
func (ts *TenantStore) RevokeAccessToken(ctx context.Context, accountID string, id int64) error {
	res := ts.q(ctx, "access_tokens").Where("id = ? AND account_id = ?", id, accountID).
		Update("revoked_at", gorm.Expr("COALESCE(revoked_at, ?)", ts.s.now().UTC()))
	if res.Error != nil {
		return fmt.Errorf("store: revoke access token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		// MySQL counts changed rows only: a second revoke changes nothing.
		var n int64
		if err := ts.q(ctx, "access_tokens").Where("id = ? AND account_id = ?", id, accountID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: revoke access token: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("store: access token %d: %w", id, domain.ErrNotFound)
		}
	}
	return nil
}

// TouchAccessToken records a use of the token, at most once a minute
// (every tool call would otherwise write the row).
func (ts *TenantStore) TouchAccessToken(ctx context.Context, id int64, at time.Time) error {
	at = at.UTC()
	err := ts.q(ctx, "access_tokens").Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, at.Add(-time.Minute)).
		Update("last_used_at", at).Error
	if err != nil {
		return fmt.Errorf("store: touch access token: %w", err)
	}
	return nil
}
