// Package backlog keeps every active project analysed and is the only
// writer of the `backlogai` issue property in Jira. Its work runs as jobs
// on the durable queue, one file per job: jobs.go (kinds and dispatch),
// scan.go (activation and full scans), intake.go (webhooks), sync.go
// (re-analysis of changed issues and their neighbours), rescore.go,
// reconcile.go (catching missed webhooks) and writeback.go (the property,
// also for issues the app creates). Jira clients come from jiraclients,
// project models from projectmodel.
package backlog

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/store"
)

// PropertyKey is the issue entity property the app writes.
const PropertyKey = "backlogai"

// GlanceModuleKey is the descriptor key of the issue glance module.
const GlanceModuleKey = "backlogai-glance"

// Waker is told when jobs were enqueued (the pool's Wake).
type Waker interface{ Wake() }

// WritebackObserver learns the lag from a webhook's receipt to the
// write-back that carried its effect to Jira.
type WritebackObserver interface{ WritebackDone(lag time.Duration) }

// Service is the sync service. Set the fields, then use it; zero
// optional fields take defaults on first use.
type Service struct {
	Store  *store.Store
	AppKey string
	Waker  Waker
	Logger *slog.Logger
	Now    func() time.Time
	// JiraClients gives tenants' Jira clients. When nil, one is built on
	// first use from HTTP, Jira, Impersonator and Hosts below.
	JiraClients *jiraclients.Registry
	// Models holds the projects' analysis models. When nil, one is built
	// on first use from Store and Now.
	Models *projectmodel.Cache
	// HTTP, Jira, Impersonator and Hosts configure the registry built when
	// JiraClients is nil (see jiraclients.Registry for each).
	HTTP         *http.Client
	Jira         jira.Options
	Impersonator *connect.Impersonator
	Hosts        HostClients
	// PageBudget is how many search pages one scan job fetches before it
	// hands the queue back to other work (default 20 = 2,000 issues).
	PageBudget int
	// AnalyseChunk is how many issues one analysis job of a scan handles.
	AnalyseChunk int
	// Observer, when set, is told how long after its webhook a write-back
	// completed (metrics).
	Observer WritebackObserver

	initOnce sync.Once
	intake   chan *webhookReq
	writing  map[projectKey]bool // projects whose write-back runs here
	mu       sync.Mutex
}

// HostClients gives Jira transports for tenants served through a host
// other than Connect (Forge Remote).
type HostClients = jiraclients.HostClients

type projectKey struct {
	tenant  int64
	project string
}

func (s *Service) init() {
	s.initOnce.Do(func() {
		if s.JiraClients == nil {
			s.JiraClients = &jiraclients.Registry{AppKey: s.AppKey, HTTP: s.HTTP, Jira: s.Jira,
				Impersonator: s.Impersonator, Hosts: s.Hosts, Logger: s.Logger, Now: s.Now}
		}
		if s.Models == nil {
			s.Models = &projectmodel.Cache{Store: s.Store, Now: s.Now}
		}
	})
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

// ClientRegistry returns the registry the service takes Jira clients
// from, for wiring others to the same one (one rate-limit state per
// tenant).
func (s *Service) ClientRegistry() *jiraclients.Registry {
	s.init()
	return s.JiraClients
}

// ModelCache returns the cache the service takes project models from,
// for wiring others to the same one.
func (s *Service) ModelCache() *projectmodel.Cache {
	s.init()
	return s.Models
}

// Client returns the Jira client of a tenant that acts as the app
// (jiraclients.Registry.App).
func (s *Service) Client(t *domain.Tenant) (*jira.Client, error) {
	return s.ClientRegistry().App(t)
}

// ForUser returns a Jira client of the tenant that acts as the person with
// accountID (jiraclients.Registry.ForUser).
func (s *Service) ForUser(ctx context.Context, t *domain.Tenant, accountID string) (*jira.Client, error) {
	return s.ClientRegistry().ForUser(ctx, t, accountID)
}

// Model returns the project's analysis model, up to date with the store;
// unlock must be called when done (projectmodel.Cache.Get).
func (s *Service) Model(ctx context.Context, t *domain.Tenant, project string) (*analysis.Project, func(), error) {
	return s.ModelCache().Get(ctx, t, project)
}

// DropModel forgets a cached model (after a full rescan or uninstall).
func (s *Service) DropModel(tenantID int64, project string) {
	s.ModelCache().Drop(tenantID, project)
}
