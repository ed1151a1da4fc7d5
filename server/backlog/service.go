// Package backlog keeps every active project analysed and is the only
// writer of the `backlogai` issue property in Jira. Its work runs as jobs
// on the durable queue, one file per job: jobs.go (kinds and handlers),
// scan.go (activation and full scans), intake.go (webhooks, recorded with
// the work they ask for), dispatch.go (that work into jobs), sync.go
// (re-analysis of changed issues and their neighbours), rescore.go,
// reconcile.go (catching missed webhooks; the first reconciliation of a
// day also re-ranks, as due dates pass without edits) and writeback.go (the property,
// also for issues the app creates). Jira clients come from jiraclients,
// project models from projectmodel.
package backlog

import (
	"fmt"
	"github.com/backlogai/backlogai/server/lru"
	"log/slog"
	"sync"
	"time"

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
	// JiraClients gives tenants' Jira clients (required for work that
	// calls Jira; the same registry as the pages' and drafting's, so a
	// tenant has one rate-limit state).
	JiraClients *jiraclients.Registry
	// Models holds the projects' analysis models. When nil, the service
	// makes its own over Store on first use; set it to share one cache
	// with drafting and the pages.
	Models *projectmodel.Cache
	// PageBudget is how many search pages one scan job fetches before it
	// hands the queue back to other work (default 20 = 2,000 issues).
	PageBudget int
	// AnalyseChunk is how many issues one analysis job of a scan handles.
	AnalyseChunk int
	// Observer, when set, is told how long after its webhook a write-back
	// completed (metrics).
	Observer WritebackObserver

	modelsOnce sync.Once
	intake     chan *webhookReq
	dispatch   chan struct{}       // wakes the dispatcher (dispatch.go)
	writing    map[projectKey]bool // projects whose write-back runs here
	mu         sync.Mutex
	mapped     *lru.Cache[projectKey, []string] // mapped framework fields, see fields.go
}

type projectKey struct {
	tenant  int64
	project string
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

// client is tenant t's Jira client acting as the app.
func (s *Service) client(t *domain.Tenant) (*jira.Client, error) {
	if s.JiraClients == nil {
		return nil, fmt.Errorf("backlog: no Jira clients configured: %w", domain.ErrUnavailable)
	}
	return s.JiraClients.App(t)
}

// models is the cache of project models (Models, or the service's own).
func (s *Service) models() *projectmodel.Cache {
	s.modelsOnce.Do(func() {
		if s.Models == nil {
			s.Models = &projectmodel.Cache{Store: s.Store, Now: s.Now}
		}
	})
	return s.Models
}
