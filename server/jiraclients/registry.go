// Package jiraclients is the registry of tenants' Jira clients: the one
// client per tenant that acts as the app (background work: scans,
// write-back, permission checks) and clients that act as a person (the
// edits and creations they ask for). It picks the transport per tenant:
// Connect JWT signing or user impersonation, or a Forge host's tokens.
// Every client of one tenant shares that tenant's rate-limit state.
package jiraclients

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
)

// userAgent names the app in Jira's logs.
const userAgent = "BacklogAI/1.0 (+https://github.com/backlogai/backlogai)"

// HostClients gives Jira transports for tenants served through a host
// other than Connect (Forge Remote). ok false means the tenant is on
// Connect and the signing client or impersonation is used.
type HostClients interface {
	// AppDoer acts as the app (background work).
	AppDoer(t *domain.Tenant) (doer jira.Doer, baseURL string, ok bool)
	// UserDoer acts as the person (their edits); an error means the tenant
	// is on the host but no token of that person is at hand.
	UserDoer(ctx context.Context, t *domain.Tenant, accountID string) (doer jira.Doer, baseURL string, ok bool, err error)
}

// Registry hands out tenants' Jira clients. Set the fields before first
// use; it is safe for concurrent use.
type Registry struct {
	// AppKey is the Connect app key the signing client puts in its tokens.
	AppKey string
	// HTTP is the transport of Jira calls (default: 30 s timeout).
	HTTP *http.Client
	// Jira is the template of every client's options (the Limiter and
	// StoryPointsField are set per tenant).
	Jira jira.Options
	// Impersonator, when set, gives ForUser clients that act as the
	// person (Connect user impersonation); nil makes ForUser refuse.
	Impersonator *connect.Impersonator
	// Hosts, when set, gives Jira transports for tenants on Forge (their
	// system and user tokens, their API base URL); others use Connect.
	Hosts  HostClients
	Logger *slog.Logger
	Now    func() time.Time

	limiters jira.Limiters
	mu       sync.Mutex
	clients  map[string]*tenantClient
}

type tenantClient struct {
	identity string // what the client was built from: a re-install rebuilds it
	client   *jira.Client
}

func (r *Registry) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func (r *Registry) httpClient() *http.Client {
	if r.HTTP != nil {
		return r.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// options are the client options for tenant t.
func (r *Registry) options(t *domain.Tenant) jira.Options {
	opts := r.Jira
	opts.Limiter = r.limiters.For(t.ClientKey)
	if opts.Logger == nil {
		opts.Logger = r.log().With("tenant_id", t.ID)
	}
	return opts
}

// App returns the client of tenant t that acts as the app. It is cached
// and rebuilt when the shared secret or base URL changes (a re-install)
// or the tenant moves between hosts.
func (r *Registry) App(t *domain.Tenant) (*jira.Client, error) {
	sum := sha256.Sum256([]byte(t.SharedSecret + "\x00" + t.BaseURL))
	identity := hex.EncodeToString(sum[:8])
	var hostDoer jira.Doer
	hostBase := ""
	if r.Hosts != nil {
		if d, base, ok := r.Hosts.AppDoer(t); ok {
			hostDoer, hostBase, identity = d, base, "host:"+base
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[t.ClientKey]; ok && c.identity == identity {
		return c.client, nil
	}
	var doer jira.Doer = &connect.SigningClient{HTTP: r.httpClient(), AppKey: r.AppKey, BaseURL: t.BaseURL,
		Secret: t.SharedSecret, UserAgent: userAgent, Now: r.Now}
	base := t.BaseURL
	if hostDoer != nil {
		doer, base = hostDoer, hostBase
	}
	c, err := jira.New(doer, base, r.options(t))
	if err != nil {
		return nil, fmt.Errorf("jiraclients: app client: %w", err)
	}
	if r.clients == nil {
		r.clients = map[string]*tenantClient{}
	}
	r.clients[t.ClientKey] = &tenantClient{identity: identity, client: c}
	return c, nil
}

// ForUser returns a client of tenant t that acts as the person with
// accountID: Jira checks that person's permissions and names them in the
// issue history and audit log. On Forge it carries the person's token;
// on Connect a user impersonation token ("Authorization: Bearer"). It
// shares the tenant's rate-limit state and story-points field with the
// app's client. Writes a person asks for go through it; background work
// uses App. Without a way to act as the person, or without an accountId,
// it refuses rather than silently acting as the app.
func (r *Registry) ForUser(ctx context.Context, t *domain.Tenant, accountID string) (*jira.Client, error) {
	if r.Hosts != nil && accountID != "" {
		doer, base, ok, err := r.Hosts.UserDoer(ctx, t, accountID)
		if err != nil {
			return nil, fmt.Errorf("jiraclients: acting as a user: %w", err)
		}
		if ok {
			return r.userClient(t, doer, base)
		}
	}
	if r.Impersonator == nil {
		return nil, fmt.Errorf("jiraclients: acting as a user: impersonation is not configured: %w", domain.ErrUnavailable)
	}
	if accountID == "" {
		return nil, fmt.Errorf("jiraclients: acting as a user: no accountId (anonymous): %w", domain.ErrUnauthorized)
	}
	// Exchange (or reuse) the token now, so that a refusal comes before
	// any work starts.
	if _, err := r.Impersonator.Token(ctx, t, accountID); err != nil {
		return nil, fmt.Errorf("jiraclients: acting as a user: %w", err)
	}
	doer := &connect.UserClient{HTTP: r.httpClient(), Tokens: r.Impersonator, Tenant: t, AccountID: accountID, UserAgent: userAgent}
	return r.userClient(t, doer, t.BaseURL)
}

func (r *Registry) userClient(t *domain.Tenant, doer jira.Doer, base string) (*jira.Client, error) {
	app, err := r.App(t)
	if err != nil {
		return nil, err
	}
	opts := r.options(t)
	opts.StoryPointsField = app.StoryPointsField()
	c, err := jira.New(doer, base, opts)
	if err != nil {
		return nil, fmt.Errorf("jiraclients: user client: %w", err)
	}
	return c, nil
}
