package forge

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token describes a FIT to mint. The emulated Forge host and tests sign
// tokens with it; production only verifies.
type Token struct {
	AppID          string // UUID or ARI; becomes aud and app.id
	InstallationID string
	APIBaseURL     string
	CloudID        string
	SiteURL        string
	ModuleKey      string
	AccountID      string         // principal; "" for triggers
	Extension      map[string]any // extra context entries (project, issue, ...)
	IssuedAt       time.Time
	TTL            time.Duration // default 5 min
}

// Mint signs t with key (RS256, header kid).
func Mint(key *rsa.PrivateKey, kid string, t Token) (string, error) {
	if t.IssuedAt.IsZero() {
		t.IssuedAt = time.Now()
	}
	if t.TTL == 0 {
		t.TTL = 5 * time.Minute
	}
	ctx := map[string]any{"cloudId": t.CloudID, "siteUrl": t.SiteURL, "moduleKey": t.ModuleKey}
	if len(t.Extension) > 0 {
		ctx["extension"] = t.Extension
	}
	rawCtx, err := json.Marshal(ctx)
	if err != nil {
		return "", fmt.Errorf("forge: mint context: %w", err)
	}
	c := &fitClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: Issuer, Audience: jwt.ClaimStrings{AppARI(t.AppID)},
		IssuedAt: jwt.NewNumericDate(t.IssuedAt), NotBefore: jwt.NewNumericDate(t.IssuedAt),
		ExpiresAt: jwt.NewNumericDate(t.IssuedAt.Add(t.TTL)),
	}, Context: rawCtx, Principal: t.AccountID}
	c.App.ID = AppARI(t.AppID)
	c.App.InstallationID = t.InstallationID
	c.App.APIBaseURL = t.APIBaseURL
	c.App.Environment.Type = "DEVELOPMENT"
	c.App.Module.Key = t.ModuleKey
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("forge: mint: %w", err)
	}
	return s, nil
}
