package backlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/lru"
	"github.com/backlogai/backlogai/server/store"
)

// Framework inputs mapped to Jira fields (Strategy) are read with every
// issue: scans, webhook re-reads, reconciliation and refreshes ask Jira for
// the project's mapped fields. A snapshot records which fields it was read
// with (Issue.FieldsRead), so that after a mapping names a new field the
// rescore first reads the open issues again.

// mappedFieldsTTL bounds how long a webhook may be judged by a mapping
// another replica has changed since.
const mappedFieldsTTL = 30 * time.Second

// refetchChunk is how many issues one round of a refetch reads (ten bulk
// calls) before the model is updated.
const refetchChunk = 1000

// mappedFields returns the Jira field ids the project's framework reads
// (nil for the pillars or a project never activated).
func (s *Service) mappedFields(ctx context.Context, ts *store.TenantStore, project string) ([]string, error) {
	p, err := ts.Project(ctx, project)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backlog: mapped fields of %s: %w", project, err)
	}
	return framework.MappedFields(p.Strategy.Framework), nil
}

// cachedMappedFields is mappedFields through a short-lived cache, for the
// webhook intake's hot path.
func (s *Service) cachedMappedFields(ctx context.Context, t *domain.Tenant, project string) ([]string, error) {
	key := projectKey{t.ID, project}
	now := s.now()
	s.mu.Lock()
	if s.mapped == nil {
		s.mapped = lru.New[projectKey, []string](1024)
	}
	ids, ok := s.mapped.Get(key, now)
	s.mu.Unlock()
	if ok {
		return ids, nil
	}
	ids, err := s.mappedFields(ctx, s.Store.Tenant(t), project)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.mapped.Put(key, ids, now.Add(mappedFieldsTTL))
	s.mu.Unlock()
	return ids, nil
}

// forgetMappedFields drops the cached mapping of a project (its strategy
// was saved here).
func (s *Service) forgetMappedFields(t *domain.Tenant, project string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mapped != nil {
		s.mapped.Remove(projectKey{t.ID, project})
	}
}

// changesMappedField reports whether a webhook's changelog changes one of
// the project's mapped fields (custom fields are otherwise ignored: rank
// and sprint change all the time and never move a score).
func (s *Service) changesMappedField(ctx context.Context, t *domain.Tenant, project string, b *webhookBody) bool {
	if b.Changelog == nil {
		return false
	}
	var changed []string
	for _, it := range b.Changelog.Items {
		if strings.HasPrefix(it.FieldID, "customfield_") {
			changed = append(changed, it.FieldID)
		}
	}
	if len(changed) == 0 || project == "" {
		return false
	}
	ids, err := s.cachedMappedFields(ctx, t, project)
	if err != nil {
		// Re-reading one issue costs little; missing a change costs a
		// wrong score until the next reconciliation.
		s.log().Warn("webhook: mapped fields unknown; re-reading the issue", "tenant_id", t.ID, "project", project, "err", err)
		return true
	}
	return slices.ContainsFunc(changed, func(id string) bool { return slices.Contains(ids, id) })
}

// refetchMapped reads again the open issues whose snapshot lacks one of
// the mapped fields (the mapping named a field after they were read) and
// stores their snapshots, so that the rescore that follows scores them
// with the fields' values.
func (s *Service) refetchMapped(ctx context.Context, t *domain.Tenant, project string) error {
	ts := s.Store.Tenant(t)
	ids, err := s.mappedFields(ctx, ts, project)
	if err != nil || len(ids) == 0 {
		return err
	}
	model, unlock, err := s.models().Get(ctx, t, project)
	if err != nil {
		return err
	}
	var stale []string
	for _, k := range model.Keys() {
		is, _ := model.Issue(k)
		if is.Open() && !containsAll(is.FieldsRead, ids) {
			stale = append(stale, k)
		}
	}
	unlock()
	if len(stale) == 0 {
		return nil
	}
	c, err := s.client(t)
	if err != nil {
		return err
	}
	s.log().Info("reading issues again for newly mapped fields", "tenant_id", t.ID, "project", project, "issues", len(stale), "fields", ids)
	for start := 0; start < len(stale); start += refetchChunk {
		// Jira is read without the model's lock, so webhooks of the
		// project are not held up meanwhile.
		fetched, err := c.BulkFetch(ctx, stale[start:min(start+refetchChunk, len(stale))], ids)
		if err != nil {
			return fmt.Errorf("backlog: refetch mapped fields of %s: %w", project, err)
		}
		// Stored as snapshots: every replica's model (this one's too, on
		// its next read) takes them from there.
		in := make([]store.ResultInput, 0, len(fetched))
		for _, is := range fetched {
			if is.ProjectKey == "" || is.ProjectKey == project {
				in = append(in, store.ResultInput{Issue: is})
			}
		}
		if err := ts.SaveResults(ctx, project, in); err != nil {
			return fmt.Errorf("backlog: refetch mapped fields of %s: %w", project, err)
		}
	}
	return nil
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
