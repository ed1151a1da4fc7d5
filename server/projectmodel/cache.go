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
	"slices"
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
	// recent holds the save times of the rows absorbed within the overlap
	// window, so that a refresh reads again only rows saved since.
	recent map[string]time.Time
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
// After the first build it reads, within the overlap window, only the keys
// and save times, and then the snapshots of the rows saved since it last
// looked: under a burst of webhooks most rows in the window were absorbed
// by an earlier refresh already.
func (c *Cache) refresh(ctx context.Context, t *domain.Tenant, project string, m *model) error {
	ts := c.Store.Tenant(t)
	p, err := ts.Project(ctx, project)
	if err != nil {
		return fmt.Errorf("projectmodel: %s: %w", project, err)
	}
	if m.project == nil {
		return c.build(ctx, ts, p, m)
	}
	since := m.seen.Add(-overlap)
	changed, err := ts.ChangedKeysSince(ctx, project, since)
	if err != nil {
		return fmt.Errorf("projectmodel: %s changes: %w", project, err)
	}
	var keys []string
	for k, at := range changed {
		if prev, ok := m.recent[k]; !ok || !prev.Equal(at) {
			keys = append(keys, k)
		}
	}
	m.project.SetStrategy(p.Strategy)
	if len(keys) > 0 {
		slices.Sort(keys)
		rows, err := ts.SnapshotsOf(ctx, keys)
		if err != nil {
			return fmt.Errorf("projectmodel: %s changes: %w", project, err)
		}
		for _, r := range rows {
			if r.Deleted {
				m.project.Remove(r.Issue.Key)
			} else {
				m.project.Upsert(r.Issue)
			}
			m.absorb(r.Issue.Key, r.AnalysedAt)
		}
	}
	m.prune(since)
	return nil
}

// build makes m's model from every stored snapshot of the project.
func (c *Cache) build(ctx context.Context, ts *store.TenantStore, p *store.Project, m *model) error {
	var issues []domain.Issue
	m.recent = map[string]time.Time{}
	err := ts.ChangedSince(ctx, p.Key, time.Time{}, false, func(page []store.IssueResult) error {
		for _, r := range page {
			if !r.Deleted {
				issues = append(issues, r.Issue)
			}
			m.absorb(r.Issue.Key, r.AnalysedAt)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("projectmodel: %s changes: %w", p.Key, err)
	}
	m.project = analysis.NewProject(p.Strategy, issues, c.Now)
	m.prune(m.seen.Add(-overlap))
	return nil
}

// absorb records that the row of key saved at `at` is in the model.
func (m *model) absorb(key string, at time.Time) {
	m.recent[key] = at
	if at.After(m.seen) {
		m.seen = at
	}
}

// prune forgets save times older than the window a refresh re-reads.
func (m *model) prune(since time.Time) {
	for k, at := range m.recent {
		if at.Before(since) {
			delete(m.recent, k)
		}
	}
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
