// Package backlog keeps every active project analysed: activation and full
// scans, webhook intake, re-analysis of changed issues and their
// neighbours, periodic reconciliation and write-back of the `backlogai`
// issue property to Jira. All work runs as jobs on the durable queue.
package backlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/lru"
	"github.com/backlogai/backlogai/server/store"
)

// PropertyKey is the issue entity property the app writes.
const PropertyKey = "backlogai"

// GlanceModuleKey is the descriptor key of the issue glance module.
const GlanceModuleKey = "backlogai-glance"

// Job kinds.
const (
	KindScan      = "scan"
	KindAnalyze   = "analyze"
	KindDelete    = "delete"
	KindWriteback = "writeback"
	KindReconcile = "reconcile"
	KindRescore   = "rescore"
)

// Priorities: a person waiting on a webhook's effect comes before bulk work.
const (
	prioWebhook   = 10
	prioWriteback = 5
	prioScan      = 0
)

// Waker is told when jobs were enqueued (the pool's Wake).
type Waker interface{ Wake() }

// WritebackObserver learns the lag from a webhook's receipt to the
// write-back that carried its effect to Jira.
type WritebackObserver interface{ WritebackDone(lag time.Duration) }

// Service is the sync service.
type Service struct {
	Store  *store.Store
	AppKey string
	// HTTP is the transport for Jira calls (the signing client wraps it).
	HTTP   *http.Client
	Waker  Waker
	Logger *slog.Logger
	Now    func() time.Time
	Jira   jira.Options // template for per-tenant clients (Limiter is set per tenant)
	// Impersonator, when set, gives ForUser clients that act as the
	// person (Connect user impersonation); nil makes ForUser refuse.
	Impersonator *connect.Impersonator
	// Hosts, when set, gives Jira transports for tenants on Forge (their
	// system and user tokens, their API base URL); others use Connect.
	Hosts HostClients
	// PageBudget is how many search pages one scan job fetches before it
	// hands the queue back to other work (default 20 = 2,000 issues).
	PageBudget int
	// AnalyseChunk is how many issues one analysis job of a scan handles.
	AnalyseChunk int
	// Observer, when set, is told how long after its webhook a write-back
	// completed (metrics).
	Observer WritebackObserver

	limiters jira.Limiters
	intake   chan *webhookReq
	writing  map[modelKey]bool // projects whose write-back runs here
	mu       sync.Mutex
	clients  map[string]*tenantClient
	models   *lru.Cache[modelKey, *model]
	mapped   *lru.Cache[modelKey, []string] // mapped framework fields, see fields.go
}

type tenantClient struct {
	secretHash string
	client     *jira.Client
}

type modelKey struct {
	tenant  int64
	project string
}

// model is a cached analysis.Project with the position up to which it has
// absorbed the store's changes.
type model struct {
	mu      sync.Mutex
	project *analysis.Project
	seen    time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Client returns the Jira client of a tenant (cached; rebuilt when the
// shared secret changes on re-install).
func (s *Service) Client(t *domain.Tenant) (*jira.Client, error) {
	sum := sha256.Sum256([]byte(t.SharedSecret + "\x00" + t.BaseURL))
	h := hex.EncodeToString(sum[:8])
	var hostDoer jira.Doer
	hostBase := ""
	if s.Hosts != nil {
		if d, base, ok := s.Hosts.AppDoer(t); ok {
			hostDoer, hostBase, h = d, base, "host:"+base
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients == nil {
		s.clients = map[string]*tenantClient{}
	}
	if c, ok := s.clients[t.ClientKey]; ok && c.secretHash == h {
		return c.client, nil
	}
	httpc := s.HTTP
	if httpc == nil {
		httpc = &http.Client{Timeout: 30 * time.Second}
	}
	var doer jira.Doer = &connect.SigningClient{HTTP: httpc, AppKey: s.AppKey, BaseURL: t.BaseURL, Secret: t.SharedSecret,
		UserAgent: "BacklogAI/1.0 (+https://github.com/backlogai/backlogai)", Now: s.Now}
	base := t.BaseURL
	if hostDoer != nil {
		doer, base = hostDoer, hostBase
	}
	opts := s.Jira
	opts.Limiter = s.limiters.For(t.ClientKey)
	if opts.Logger == nil {
		opts.Logger = s.log().With("tenant_id", t.ID)
	}
	c, err := jira.New(doer, base, opts)
	if err != nil {
		return nil, fmt.Errorf("backlog: jira client: %w", err)
	}
	s.clients[t.ClientKey] = &tenantClient{secretHash: h, client: c}
	return c, nil
}

// ForUser returns a Jira client of the tenant that acts as the person with
// accountID: its requests carry a user access token from Connect user
// impersonation ("Authorization: Bearer"), so Jira checks that person's
// permissions and names them in the issue history and audit log. It shares
// the tenant's rate-limit state with the app's client. Writes a person
// asks for go through it; background work (scans, write-back) uses Client.
// Without an Impersonator, or without an accountId, it refuses rather than
// silently acting as the app.
func (s *Service) ForUser(ctx context.Context, t *domain.Tenant, accountID string) (*jira.Client, error) {
	if s.Hosts != nil && accountID != "" {
		doer, base, ok, err := s.Hosts.UserDoer(ctx, t, accountID)
		if err != nil {
			return nil, fmt.Errorf("backlog: acting as a user: %w", err)
		}
		if ok {
			app, err := s.Client(t)
			if err != nil {
				return nil, err
			}
			opts := s.Jira
			opts.Limiter = s.limiters.For(t.ClientKey)
			opts.StoryPointsField = app.StoryPointsField()
			if opts.Logger == nil {
				opts.Logger = s.log().With("tenant_id", t.ID)
			}
			return jira.New(doer, base, opts)
		}
	}
	if s.Impersonator == nil {
		return nil, fmt.Errorf("backlog: acting as a user: impersonation is not configured: %w", domain.ErrUnavailable)
	}
	if accountID == "" {
		return nil, fmt.Errorf("backlog: acting as a user: no accountId (anonymous): %w", domain.ErrUnauthorized)
	}
	app, err := s.Client(t)
	if err != nil {
		return nil, err
	}
	// Exchange (or reuse) the token now, so that a refusal comes before
	// any work starts.
	if _, err := s.Impersonator.Token(ctx, t, accountID); err != nil {
		return nil, fmt.Errorf("backlog: acting as a user: %w", err)
	}
	httpc := s.HTTP
	if httpc == nil {
		httpc = &http.Client{Timeout: 30 * time.Second}
	}
	doer := &connect.UserClient{HTTP: httpc, Tokens: s.Impersonator, Tenant: t, AccountID: accountID,
		UserAgent: "BacklogAI/1.0 (+https://github.com/backlogai/backlogai)"}
	opts := s.Jira
	opts.Limiter = s.limiters.For(t.ClientKey)
	opts.StoryPointsField = app.StoryPointsField()
	if opts.Logger == nil {
		opts.Logger = s.log().With("tenant_id", t.ID)
	}
	c, err := jira.New(doer, t.BaseURL, opts)
	if err != nil {
		return nil, fmt.Errorf("backlog: jira client for user: %w", err)
	}
	return c, nil
}

// Model returns the project's analysis model, built from the stored
// snapshots on first use and brought up to date with changes other
// replicas stored since. The returned unlock must be called when done;
// it serialises work on one project within this process.
func (s *Service) Model(ctx context.Context, t *domain.Tenant, project string) (*analysis.Project, func(), error) {
	key := modelKey{t.ID, project}
	s.mu.Lock()
	if s.models == nil {
		s.models = lru.New[modelKey, *model](maxModels)
	}
	m, ok := s.models.Get(key, time.Time{})
	if !ok {
		m = &model{}
		s.models.Put(key, m, time.Time{})
	}
	s.mu.Unlock()

	m.mu.Lock()
	unlock := m.mu.Unlock
	ts := s.Store.Tenant(t)
	p, err := ts.Project(ctx, project)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	// Timestamps from replicas are not strictly ordered: re-read a short
	// overlap; applying a change twice is harmless.
	since := m.seen.Add(-5 * time.Second)
	if m.project == nil {
		since = time.Time{}
	}
	var issues []domain.Issue
	var deleted []string
	latest := m.seen
	err = ts.ChangedSince(ctx, project, since, false, func(page []store.IssueResult) error {
		for _, r := range page {
			if r.Deleted {
				deleted = append(deleted, r.Issue.Key)
			} else {
				issues = append(issues, r.Issue)
			}
			if r.AnalysedAt.After(latest) {
				latest = r.AnalysedAt
			}
		}
		return nil
	})
	if err != nil {
		unlock()
		return nil, nil, err
	}
	if m.project == nil {
		m.project = analysis.NewProject(p.Strategy, issues, s.Now)
	} else {
		m.project.SetStrategy(p.Strategy)
		for _, is := range issues {
			m.project.Upsert(is)
		}
		for _, k := range deleted {
			m.project.Remove(k)
		}
	}
	m.seen = latest
	return m.project, unlock, nil
}

// DropModel forgets a cached model (after a full rescan or uninstall).
func (s *Service) DropModel(tenantID int64, project string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.models != nil {
		s.models.Remove(modelKey{tenantID, project})
	}
}

// maxModels bounds memory: a 10k-issue model is a few tens of MB.
const maxModels = 32

// Handlers returns the job handlers to register on the pool.
func (s *Service) Handlers() map[string]jobs.Handler {
	return map[string]jobs.Handler{
		KindScan:      s.handleScan,
		KindAnalyze:   s.handleAnalyze,
		KindDelete:    s.handleDelete,
		KindWriteback: s.handleWriteback,
		KindReconcile: s.handleReconcile,
		KindRescore:   s.handleRescore,
	}
}

func (s *Service) wake() {
	if s.Waker != nil {
		s.Waker.Wake()
	}
}

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
