package backlog

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/store"
)

// writeBatch is how many properties one write-back round sends: ten bulk
// calls of 100 issues, polled together.
const writeBatch = 1000

// writebackJob writes the `backlogai` property of every issue whose
// stored analysis differs from what Jira holds, 100 issues per call.
func (s *Service) writebackJob(ctx context.Context, t *domain.Tenant, batch []store.Job) []error {
	return each(batch, func(j store.Job) error {
		var p projectPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Project == "" {
			return fmt.Errorf("writeback payload: %w", jobs.ErrPermanent)
		}
		// One writer per project at a time, across replicas: Jira applies
		// bulk property writes asynchronously, so two writers could land
		// an older value after a newer one. A busy project is retried
		// shortly by a coalesced job; the current writer drains it anyway.
		unlock, ok := s.lockWriteback(ctx, t, p.Project)
		if !ok {
			return s.enqueue(ctx, t, projectJob(KindWriteback, p.Project, prioWriteback, 2*time.Second, s.now()))
		}
		defer unlock()
		c, err := s.Client(t)
		if err != nil {
			return err
		}
		ts := s.Store.Tenant(t)
		deadline := s.now().Add(60 * time.Second)
		for s.now().Before(deadline) {
			rows, err := ts.Unwritten(ctx, p.Project, writeBatch)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				done := store.ScanDone
				if err := updateScan(ctx, ts, p.Project, store.ScanUpdate{State: &done}); err != nil {
					return err
				}
				if !j.Origin.IsZero() && s.Observer != nil {
					s.Observer.WritebackDone(s.now().Sub(j.Origin))
				}
				return nil
			}
			values := make(map[string]map[string]json.RawMessage, len(rows))
			written := make(map[string]string, len(rows))
			glanceKey := analysis.GlanceStatusKey(s.AppKey, GlanceModuleKey)
			for _, r := range rows {
				if r.Issue.ID == "" {
					continue
				}
				prop := analysis.PropertyOf(r.Analysis, r.Issue.StoryPoints)
				raw, _ := json.Marshal(prop)
				glance, _ := json.Marshal(analysis.GlanceStatusOf(prop))
				// One call carries both: the JQL property and the
				// glance's "78 · Should" label.
				values[r.Issue.ID] = map[string]json.RawMessage{PropertyKey: raw, glanceKey: glance}
				written[r.Issue.Key] = prop.Version
			}
			// Nothing reaches Jira for a tenant that uninstalled meanwhile.
			if held, err := s.Store.StillHeld(ctx, j.ID, j.LockedBy); err != nil || !held {
				return errCancelled
			}
			if err := c.SetIssuePropertiesBulk(ctx, values); err != nil {
				return err
			}
			if err := ts.MarkWritten(ctx, written); err != nil {
				return err
			}
			if err := updateScan(ctx, ts, p.Project, store.ScanUpdate{AddWrite: len(written)}); err != nil {
				// Only the progress count: the properties are written and marked.
				s.log().Warn("count written properties", "tenant_id", t.ID, "project", p.Project, "err", err)
			}
		}
		// Out of time: continue in a fresh job so others get a turn.
		return s.enqueue(ctx, t, projectJob(KindWriteback, p.Project+"#next", prioWriteback, 0, s.now()))
	})
}

// lockWriteback takes the project's write-back lock in this process and in
// the database.
func (s *Service) lockWriteback(ctx context.Context, t *domain.Tenant, project string) (func(), bool) {
	key := projectKey{t.ID, project}
	s.mu.Lock()
	if s.writing == nil {
		s.writing = map[projectKey]bool{}
	}
	if s.writing[key] {
		s.mu.Unlock()
		return nil, false
	}
	s.writing[key] = true
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		delete(s.writing, key)
		s.mu.Unlock()
	}
	sum := sha256.Sum256([]byte(project))
	unlock, ok, err := s.Store.TryNamedLock(ctx, fmt.Sprintf("bai-wb-%d-%x", t.ID, sum[:8]))
	if err != nil || !ok {
		release()
		return nil, false
	}
	return func() { unlock(); release() }, true
}
