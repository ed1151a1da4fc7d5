package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/backlogai/backlogai/server/domain"
)

type installTokenRow struct {
	ClientKey  string `gorm:"primaryKey"`
	TokenHash  string
	IssuedAt   int64
	AcceptedAt time.Time
}

func (installTokenRow) TableName() string { return "install_tokens" }

// SaveSignedInstallation is SaveInstallation for a signed install: in one
// transaction it claims tok as the last accepted token of the clientKey
// and saves the installation. The same token again, or one issued before
// the last accepted one, fails with ErrInstallReplay and changes nothing.
// Two distinct tokens of the same second are both accepted (iat has
// one-second resolution).
func (s *Store) SaveSignedInstallation(ctx context.Context, t *domain.Tenant, tok domain.InstallToken) (*domain.Tenant, error) {
	if tok.Hash == "" || tok.IssuedAt.IsZero() {
		return nil, fmt.Errorf("store: signed installation: token hash and iat are required: %w", domain.ErrInvalid)
	}
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.ClaimInstallToken(ctx, t.ClientKey, tok); err != nil {
			return err
		}
		_, err := tx.saveInstallation(ctx, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tenants.forget(t.ClientKey)
	return s.TenantByClientKey(ctx, t.ClientKey)
}

// ClaimInstallToken records tok as the clientKey's last accepted signed
// lifecycle token, or fails with ErrInstallReplay. The check and the
// write are one conditional UPDATE, so two replicas receiving the same
// token at once cannot both accept it.
func (s *Store) ClaimInstallToken(ctx context.Context, clientKey string, tok domain.InstallToken) error {
	iat := tok.IssuedAt.Unix()
	now := s.now().UTC()
	db := s.db.WithContext(ctx)
	// A first token for the clientKey: the row starts below any iat.
	seed := installTokenRow{ClientKey: clientKey, TokenHash: "", IssuedAt: -1 << 62, AcceptedAt: now}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&seed).Error; err != nil {
		return fmt.Errorf("store: install token: %w", err)
	}
	res := db.Model(&installTokenRow{}).
		Where("client_key = ? AND token_hash <> ? AND issued_at <= ?", clientKey, tok.Hash, iat).
		Updates(map[string]any{"token_hash": tok.Hash, "issued_at": iat, "accepted_at": now})
	if res.Error != nil {
		return fmt.Errorf("store: install token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.ErrInstallReplay
	}
	return nil
}
