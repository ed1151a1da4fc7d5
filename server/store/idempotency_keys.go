package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type idemRow struct {
	ID         int64 `gorm:"primaryKey"`
	TenantID   int64
	IdemKey    string
	State      string
	Attempts   int
	Result     string
	ClaimToken string
	ClaimedAt  *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (idemRow) TableName() string { return "idempotency_keys" }

func claimToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ClaimKey starts an idempotent operation. claimed is true when the
// caller should do the work: the key is new, or its earlier claim is
// older than staleBefore and was never finished. A finished key returns
// its result and claimed false; so does one another caller is working on.
func (ts *TenantStore) ClaimKey(ctx context.Context, key string, staleBefore time.Time) (domain.IdempotencyKey, bool, error) {
	var out domain.IdempotencyKey
	claimed := false
	token := claimToken()
	err := ts.WithTx(ctx, func(tx *TenantStore) error {
		now := tx.s.now().UTC()
		row := idemRow{TenantID: tx.tenantID, IdemKey: key, State: domain.IdempotencyPending, Attempts: 1, ClaimToken: token,
			ClaimedAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := tx.s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		var r idemRow
		if err := tx.q(ctx, "idempotency_keys").Where("idem_key = ?", key).Take(&r).Error; err != nil {
			return err
		}
		out = domain.IdempotencyKey{Key: key, State: r.State, Attempts: r.Attempts - 1, Result: raw(r.Result)}
		if r.ClaimToken == token {
			claimed = true // the row is ours: just inserted
			return nil
		}
		if r.State != domain.IdempotencyPending || (r.ClaimedAt != nil && !r.ClaimedAt.Before(staleBefore.UTC())) {
			return nil
		}
		upd := tx.q(ctx, "idempotency_keys").Where("idem_key = ? AND state = ? AND claim_token = ?", key, domain.IdempotencyPending, r.ClaimToken).
			Updates(map[string]any{"claim_token": token, "claimed_at": now, "attempts": gorm.Expr("attempts + 1"), "updated_at": now})
		if upd.Error != nil {
			return upd.Error
		}
		claimed = upd.RowsAffected == 1
		out.Attempts = r.Attempts
		return nil
	})
	if err != nil {
		return domain.IdempotencyKey{}, false, fmt.Errorf("store: claim key: %w", err)
	}
	return out, claimed, nil
}

// FinishKey records the result of an idempotent operation.
func (ts *TenantStore) FinishKey(ctx context.Context, key string, result json.RawMessage) error {
	res := ts.q(ctx, "idempotency_keys").Where("idem_key = ?", key).Updates(map[string]any{
		"state": domain.IdempotencyDone, "result": string(result), "updated_at": ts.s.now().UTC(),
	})
	if res.Error != nil {
		return fmt.Errorf("store: finish key: %w", res.Error)
	}
	return ts.affected(ctx, res, "idempotency_keys", "idem_key = ?", key)
}

// ReleaseKey gives up a claim so that the operation may be tried again at
// once (it failed without effect).
func (ts *TenantStore) ReleaseKey(ctx context.Context, key string) error {
	err := ts.q(ctx, "idempotency_keys").Where("idem_key = ? AND state = ?", key, domain.IdempotencyPending).
		Updates(map[string]any{"claimed_at": nil, "claim_token": "", "updated_at": ts.s.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("store: release key: %w", err)
	}
	return nil
}
