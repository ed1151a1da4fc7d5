// Package insight reads a project's stored analyses as a whole: an
// in-memory read model of its rows (Rows) and, as pure functions over
// those rows, the Health tab's analytics, the Strategy tab's re-ranking
// preview, the value vs effort chart and epic roll-ups. The web handlers
// and the assistant tools serve what it computes.
package insight

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/lru"
	"github.com/backlogai/backlogai/server/store"
)

// MaxCachedProjects is the default bound of Rows; a 10k-issue project's
// rows take a few MB.
const MaxCachedProjects = 16

// Rows keeps each recently used project's rows in memory and brings them
// up to date with a delta query on every use, so several replicas may
// serve the same project. It is safe for concurrent use.
type Rows struct {
	mu       sync.Mutex
	projects *lru.Cache[rowKey, *projectRows]
}

// NewRows returns a read model holding at most max projects.
func NewRows(max int) *Rows {
	return &Rows{projects: lru.New[rowKey, *projectRows](max)}
}

type rowKey struct {
	tenant  int64
	project string
}

type projectRows struct {
	mu   sync.Mutex
	rows map[string]*store.ProjectRow
	// at is the AnalysedAt of every row held, by row id, tombstones
	// included, so a delta skips what did not change.
	at     map[int64]time.Time
	seen   time.Time
	loaded bool
}

// rowOverlap is how far before the newest change seen a delta looks:
// replicas' clocks and commits are not strictly ordered.
const rowOverlap = 5 * time.Second

// With calls fn with the project's current rows (analysed or not, no
// tombstones) while holding the project's lock; fn must not keep them.
func (rc *Rows) With(ctx context.Context, ts *store.TenantStore, project string, fn func(rows map[string]*store.ProjectRow) error) error {
	key := rowKey{ts.TenantID(), project}
	rc.mu.Lock()
	p, ok := rc.projects.Get(key, time.Time{})
	if !ok {
		p = &projectRows{rows: map[string]*store.ProjectRow{}, at: map[int64]time.Time{}}
		rc.projects.Put(key, p, time.Time{})
	}
	rc.mu.Unlock()

	p.mu.Lock()
	defer p.mu.Unlock()
	since := time.Time{}
	var known func(int64, time.Time) bool
	if p.loaded {
		since = p.seen.Add(-rowOverlap)
		known = func(id int64, at time.Time) bool {
			held, ok := p.at[id]
			return ok && held.Equal(at)
		}
	}
	latest := p.seen
	err := ts.ProjectRows(ctx, project, since, known, func(page []store.ProjectRow) error {
		for i := range page {
			r := page[i]
			if r.Deleted {
				delete(p.rows, r.Key)
			} else {
				p.rows[r.Key] = &r
			}
			p.at[r.ID] = r.AnalysedAt
			if r.AnalysedAt.After(latest) {
				latest = r.AnalysedAt
			}
		}
		return nil
	})
	if err != nil {
		// Applying part of a delta is harmless (so is applying it twice),
		// but the position must not move past it.
		return fmt.Errorf("insight: rows of %s: %w", project, err)
	}
	p.seen, p.loaded = latest, true
	return fn(p.rows)
}

// Health is HealthOf the project's current rows.
func (rc *Rows) Health(ctx context.Context, ts *store.TenantStore, project string, now time.Time) (Health, error) {
	var h Health
	err := rc.With(ctx, ts, project, func(rows map[string]*store.ProjectRow) error {
		h = HealthOf(rows, now)
		return nil
	})
	return h, err
}
