// Package projectmodel keeps each project's analysis model (an
// analysis.Project built from the stored snapshots) in memory, shared by
// everything that analyses issues in this process: the sync service's
// jobs, drafting, and the pages that analyse a text on the fly. A model
// is brought up to date with what other replicas stored each time it is
// taken, and work on one project is serialised through it.
package projectmodel

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/lru"
	"github.com/backlogai/backlogai/server/store"
)

// DefaultSize bounds memory: a 10k-issue model is a few tens of MB.
const DefaultSize = 32

// overlap is how far back each refresh re-reads: timestamps from
// replicas are not strictly ordered, and applying a change twice is
// harmless.
const overlap = 5 * time.Second

// Cache holds the models of the most recently used projects. Set the
// fields before first use; it is safe for concurrent use.
type Cache struct {
	Store *store.Store
	// Now is the models' clock (default time.Now).
	Now func() time.Time
	// Size is how many models are kept (default DefaultSize).
	Size int

	mu     sync.Mutex
	models *lru.Cache[key, *model]
}

type key struct {
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

// Get returns the project's model, built from the stored snapshots on
// first use and brought up to date with changes stored since. The returned
// unlock must be called when done; until then no other caller in this
// process gets the model. A project that was never activated is
// domain.ErrNotFound.
func (c *Cache) Get(ctx context.Context, t *domain.Tenant, project string) (*analysis.Project, func(), error) {
	k := key{t.ID, project}
	c.mu.Lock()
	if c.models == nil {
		size := c.Size
		if size <= 0 {
			size = DefaultSize
		}
		c.models = lru.New[key, *model](size)
	}
	m, ok := c.models.Get(k, time.Time{})
	if !ok {
		m = &model{}
		c.models.Put(k, m, time.Time{})
	}
	c.mu.Unlock()

	m.mu.Lock()
	if err := c.refresh(ctx, t, project, m); err != nil {
		m.mu.Unlock()
		return nil, nil, err
	}
	return m.project, m.mu.Unlock, nil
}

// refresh folds into m what the store holds beyond m.seen; m is locked.
func (c *Cache) refresh(ctx context.Context, t *domain.Tenant, project string, m *model) error {
	ts := c.Store.Tenant(t)
	p, err := ts.Project(ctx, project)
	if err != nil {
		return fmt.Errorf("projectmodel: %s: %w", project, err)
	}
	since := m.seen.Add(-overlap)
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
		return fmt.Errorf("projectmodel: %s changes: %w", project, err)
	}
	if m.project == nil {
		m.project = analysis.NewProject(p.Strategy, issues, c.Now)
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
	return nil
}

// Drop forgets a project's model (after a full rescan or uninstall): the
// next Get rebuilds it from the store.
func (c *Cache) Drop(tenantID int64, project string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.models != nil {
		c.models.Remove(key{tenantID, project})
	}
}
