package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
)

// Installations is the store side of the adapter.
type Installations interface {
	TenantByForgeInstallation(ctx context.Context, installationID string) (*domain.Tenant, error)
	SaveForgeSystemToken(ctx context.Context, installationID, token string, expires time.Time) (bool, error)
}

// Authenticator verifies FITs and yields the same connect.Identity as the
// Connect authenticator, so handlers do not know the host. It also keeps
// the tokens Forge sends: the system token in the store (background work
// between invocations), the person's token in memory (their edits).
type Authenticator struct {
	Verifier      *Verifier
	Installations Installations
	UserTokens    *UserTokens
	Logger        *slog.Logger

	mu        sync.Mutex
	savedExps map[string]time.Time // installation → expiry of the last stored system token
}

var _ connect.Authenticator = (*Authenticator)(nil)

// Authenticate implements connect.Authenticator. The qsh mode does not
// apply: a FIT is bound to the app by its audience, not to a URL.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, _ connect.QSHMode) (*connect.Identity, error) {
	inv, err := a.Verifier.Verify(ctx, r)
	if err != nil {
		return nil, err
	}
	t, err := a.Installations.TenantByForgeInstallation(ctx, inv.InstallationID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, unauthorized("unknown installation")
	}
	if err != nil {
		return nil, fmt.Errorf("forge: tenant: %w", err)
	}
	if !t.Active() {
		return nil, unauthorized("tenant not active")
	}
	a.Remember(ctx, t, inv)
	return &connect.Identity{Tenant: t, AccountID: inv.AccountID, Context: ConnectContext(inv.Context), TokenKind: TokenKindFIT}, nil
}

// ConnectContext rewrites a FIT's context in the shape of a Connect
// token's context claim ({"jira":{"project":…,"issue":…}}), taken from the
// Custom UI extension context, so handlers read one shape whatever the
// host.
func ConnectContext(raw json.RawMessage) json.RawMessage {
	var c struct {
		Extension struct {
			Project struct {
				Key string `json:"key"`
				ID  any    `json:"id"`
			} `json:"project"`
			Issue struct {
				Key string `json:"key"`
				ID  any    `json:"id"`
			} `json:"issue"`
		} `json:"extension"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &c) != nil {
		return json.RawMessage(`{"jira":{}}`)
	}
	str := func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return ""
	}
	type ref struct {
		Key string `json:"key,omitempty"`
		ID  string `json:"id,omitempty"`
	}
	out := map[string]map[string]ref{"jira": {}}
	if p := c.Extension.Project; p.Key != "" {
		out["jira"]["project"] = ref{p.Key, str(p.ID)}
	}
	if i := c.Extension.Issue; i.Key != "" {
		out["jira"]["issue"] = ref{i.Key, str(i.ID)}
	}
	b, _ := json.Marshal(out)
	return b
}

// Remember keeps the invocation's tokens: the system token in the store
// when it outlives the stored one, the user token in memory.
func (a *Authenticator) Remember(ctx context.Context, t *domain.Tenant, inv *Invocation) {
	if inv.UserToken != "" && inv.AccountID != "" && a.UserTokens != nil {
		if exp, ok := TokenExpiry(inv.UserToken); ok {
			a.UserTokens.Put(t.ID, inv.AccountID, inv.UserToken, exp)
		}
	}
	if inv.SystemToken == "" {
		return
	}
	exp, ok := TokenExpiry(inv.SystemToken)
	if !ok {
		return
	}
	a.mu.Lock()
	last := a.savedExps[inv.InstallationID]
	// Every invocation carries a token; store one only when it lives at
	// least a minute longer, not on every request.
	fresh := exp.Sub(last) >= time.Minute
	if fresh {
		if a.savedExps == nil {
			a.savedExps = map[string]time.Time{}
		}
		a.savedExps[inv.InstallationID] = exp
	}
	a.mu.Unlock()
	if !fresh {
		return
	}
	if _, err := a.Installations.SaveForgeSystemToken(ctx, inv.InstallationID, inv.SystemToken, exp); err != nil {
		a.mu.Lock()
		delete(a.savedExps, inv.InstallationID)
		a.mu.Unlock()
		a.log().Warn("forge: storing system token failed", "installation", inv.InstallationID, "err", err)
	}
}

func (a *Authenticator) log() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// TokenExpiry reads the exp claim of a Forge OAuth token (a JWT). The
// token is not verified: we only pass it on to Atlassian, which does.
func TokenExpiry(token string) (time.Time, bool) {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil || c.ExpiresAt == nil {
		return time.Time{}, false
	}
	return c.ExpiresAt.Time, true
}

// HostAuth picks the host's authenticator for each request: a Bearer
// token is a Forge Invocation Token, anything else (a Connect "JWT" header
// or ?jwt=) goes to Connect. One choice per request; nothing above it
// knows the host.
type HostAuth struct {
	Connect connect.Authenticator
	Forge   connect.Authenticator // nil: Forge is not configured
}

var _ connect.Authenticator = HostAuth{}

// Authenticate implements connect.Authenticator.
func (h HostAuth) Authenticate(ctx context.Context, r *http.Request, mode connect.QSHMode) (*connect.Identity, error) {
	if h.Forge != nil && BearerToken(r) != "" && r.URL.Query().Get("jwt") == "" {
		return h.Forge.Authenticate(ctx, r, mode)
	}
	return h.Connect.Authenticate(ctx, r, mode)
}

// UserTokens keeps the latest x-forge-oauth-user token of each person in
// memory, for the edits they ask for in the same or a following call.
type UserTokens struct {
	// Max bounds the entries (default 10,000); the oldest go first.
	Max int
	Now func() time.Time

	mu sync.Mutex
	m  map[userKey]userToken
}

type userKey struct {
	tenantID  int64
	accountID string
}

type userToken struct {
	token string
	exp   time.Time
}

// Put stores a token unless a longer-lived one is held.
func (u *UserTokens) Put(tenantID int64, accountID, token string, exp time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[userKey]userToken{}
	}
	k := userKey{tenantID, accountID}
	if cur, ok := u.m[k]; ok && cur.exp.After(exp) {
		return
	}
	max := u.Max
	if max == 0 {
		max = 10000
	}
	if len(u.m) >= max {
		var oldest userKey
		var oldestExp time.Time
		for k, v := range u.m {
			if oldestExp.IsZero() || v.exp.Before(oldestExp) {
				oldest, oldestExp = k, v.exp
			}
		}
		delete(u.m, oldest)
	}
	u.m[k] = userToken{token, exp}
}

// Get returns a token valid for at least another 30 s.
func (u *UserTokens) Get(tenantID int64, accountID string) (string, bool) {
	now := time.Now
	if u.Now != nil {
		now = u.Now
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	v, ok := u.m[userKey{tenantID, accountID}]
	if !ok || now().Add(30*time.Second).After(v.exp) {
		return "", false
	}
	return v.token, true
}
