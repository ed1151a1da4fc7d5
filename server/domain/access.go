package domain

import (
	"fmt"
	"time"
)

// AccessToken is a personal access token's stored record: everything but
// the token itself, of which only the SHA-256 is kept.
type AccessToken struct {
	ID         int64      `json:"id"`
	TenantID   int64      `json:"-"`
	AccountID  string     `json:"accountId"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // first characters, to recognise it in lists
	Projects   []string   `json:"projects"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

// Active reports whether the token may be used at now.
func (t *AccessToken) Active(now time.Time) bool {
	return t.RevokedAt == nil && now.Before(t.ExpiresAt)
}

// Allows reports whether project is in the token's scope.
func (t *AccessToken) Allows(project string) bool {
	for _, p := range t.Projects {
		if p == project {
			return true
		}
	}
	return false
}

// ToolCall is one audited tool call: who, which tool, on which project,
// when and with what result (an error code or "ok"), never its arguments.
type ToolCall struct {
	ID         int64     `json:"id"`
	TokenID    int64     `json:"tokenId"`
	AccountID  string    `json:"accountId"`
	Project    string    `json:"project"`
	Tool       string    `json:"tool"`
	Result     string    `json:"result"`
	DurationMS int       `json:"durationMs"`
	At         time.Time `json:"at"`
}

// InstallToken identifies a signed-install token: a hash of the token
// (connect.InstallTokenID) and its iat.
type InstallToken struct {
	Hash     string
	IssuedAt time.Time
}

// ErrInstallReplay marks a signed-install token that was accepted before,
// or that is older than the last accepted one. It wraps ErrUnauthorized.
var ErrInstallReplay = fmt.Errorf("store: install token replayed or older than the last accepted one: %w", ErrUnauthorized)
