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
	"github.com/backlogai/backlogai/server/retry"
	"github.com/backlogai/backlogai/server/store"
)

// writeBatch is how many properties one write-back round sends: ten bulk
// calls of 100 issues, polled together.
const writeBatch = 1000

// writebackJob writes the `backlogai` property of every issue whose
// stored analysis differs from what Jira holds, 100 issues per call.
func (s *Service) writebackJob(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
	return each(batch, func(j domain.Job) error {
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
		c, err := s.client(t)
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
				done := domain.ScanDone
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
			for _, r := range rows {
				if r.Issue.ID == "" {
					continue
				}
				v, version, err := s.propertyValues(r.Analysis, r.Issue.StoryPoints)
				if err != nil {
					return fmt.Errorf("writeback %s: %w", r.Issue.Key, err)
				}
				values[r.Issue.ID] = v
				written[r.Issue.Key] = version
			}
			// Nothing reaches Jira for a tenant that uninstalled meanwhile.
			held, err := s.Store.StillHeld(ctx, j.ID, j.LockedBy)
			if err != nil {
				return fmt.Errorf("writeback %s: job claim: %w", p.Project, err)
			}
			if !held {
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

// CreatedIssue is an issue the app has just created, with the analysis
// it was drafted with.
type CreatedIssue struct {
	ID          string // Jira's issue id
	Analysis    *domain.Analysis
	StoryPoints *float64
}

// createdLockWait bounds how long WriteCreated waits for a write-back of
// the project that holds the lock: a person is waiting for the created
// issues.
const createdLockWait = 5 * time.Second

// WriteCreated writes the `backlogai` property (and the glance's label)
// of issues the app has just created, so that they sort by score in JQL
// at once; the re-analysis their webhook causes writes them again through
// the regular write-back. Like every write-back it holds the project's
// write-back lock, so no older value lands after a newer one. When the
// lock stays busy beyond createdLockWait it returns domain.ErrConflict
// and writes nothing (the webhook's write-back still comes).
func (s *Service) WriteCreated(ctx context.Context, t *domain.Tenant, project string, issues []CreatedIssue) error {
	values := make(map[string]map[string]json.RawMessage, len(issues))
	for _, is := range issues {
		if is.ID == "" || is.Analysis == nil {
			continue
		}
		v, _, err := s.propertyValues(is.Analysis, is.StoryPoints)
		if err != nil {
			return fmt.Errorf("backlog: write created issues: %w", err)
		}
		values[is.ID] = v
	}
	if len(values) == 0 {
		return nil
	}
	c, err := s.client(t)
	if err != nil {
		return fmt.Errorf("backlog: write created issues: %w", err)
	}
	unlock, err := s.waitWriteback(ctx, t, project, createdLockWait)
	if err != nil {
		return fmt.Errorf("backlog: write created issues: %w", err)
	}
	defer unlock()
	if err := c.SetIssuePropertiesBulk(ctx, values); err != nil {
		return fmt.Errorf("backlog: write created issues: %w", err)
	}
	return nil
}

// propertyValues are the entity properties one write carries for an
// issue, in one call: the JQL property and the glance's "78 · Should"
// label; version identifies the property's content.
func (s *Service) propertyValues(a *domain.Analysis, storyPoints *float64) (values map[string]json.RawMessage, version string, err error) {
	prop := analysis.PropertyOf(a, storyPoints)
	raw, err := json.Marshal(prop)
	if err != nil {
		return nil, "", err
	}
	glance, err := json.Marshal(analysis.GlanceStatusOf(prop))
	if err != nil {
		return nil, "", err
	}
	return map[string]json.RawMessage{PropertyKey: raw, analysis.GlanceStatusKey(s.AppKey, GlanceModuleKey): glance}, prop.Version, nil
}

// waitWriteback takes the project's write-back lock, waiting up to max
// for a holder to release it.
func (s *Service) waitWriteback(ctx context.Context, t *domain.Tenant, project string, max time.Duration) (func(), error) {
	deadline := s.now().Add(max)
	for {
		if unlock, ok := s.lockWriteback(ctx, t, project); ok {
			return unlock, nil
		}
		if !s.now().Before(deadline) {
			return nil, fmt.Errorf("write-back of %s busy: %w", project, domain.ErrConflict)
		}
		if err := retry.Sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
}
