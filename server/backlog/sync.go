package backlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/store"
)

// analyseJob re-reads changed issues from Jira (100 per call), updates
// the project model and re-analyses them with their neighbours: the issues
// they resemble (before and after the change) and the issues linked to them.
func (s *Service) analyseJob(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
	byProject := map[string][]int{}
	payloads := make([]issuePayload, len(batch))
	errs := make([]error, len(batch))
	for i, j := range batch {
		if err := json.Unmarshal(j.Payload, &payloads[i]); err != nil || payloads[i].Key == "" {
			errs[i] = fmt.Errorf("analyze payload: %w", jobs.ErrPermanent)
			continue
		}
		byProject[payloads[i].Project] = append(byProject[payloads[i].Project], i)
	}
	c, err := s.client(t)
	if err != nil {
		return jobsErr(errs, err)
	}
	for project, idx := range byProject {
		keys := make([]string, len(idx))
		for k, i := range idx {
			keys[k] = payloads[i].Key
		}
		numbers, err := s.mappedFields(ctx, s.Store.Tenant(t), project)
		if err != nil {
			for _, i := range idx {
				errs[i] = err
			}
			continue
		}
		fetched, err := c.BulkFetch(ctx, keys, numbers)
		if err != nil {
			for _, i := range idx {
				errs[i] = err
			}
			continue
		}
		// The batch was claimed together; one lost claim (uninstall,
		// expired lease) means the whole batch was taken away.
		held, err := s.Store.StillHeld(ctx, batch[0].ID, batch[0].LockedBy)
		if err != nil {
			return jobsErr(errs, fmt.Errorf("analyze: job claim: %w", err))
		}
		if !held {
			return jobsErr(errs, errCancelled)
		}
		err = s.applyChanges(ctx, t, project, fetched, missing(keys, fetched))
		for _, i := range idx {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	return errs
}

func missing(keys []string, got []domain.Issue) []string {
	seen := make(map[string]bool, len(got))
	for _, is := range got {
		seen[is.Key] = true
	}
	var out []string
	for _, k := range keys {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out
}

// applyChanges folds changed and removed issues into the project model and
// stores the re-analysis of everything they touch.
func (s *Service) applyChanges(ctx context.Context, t *domain.Tenant, project string, changed []domain.Issue, removed []string) error {
	model, unlock, err := s.models().Get(ctx, t, project)
	if err != nil {
		return err
	}
	defer unlock()
	ts := s.Store.Tenant(t)
	touched := map[string]bool{}
	// Old neighbours: what the changed issues resembled before.
	var before []string
	for _, is := range changed {
		before = append(before, is.Key)
	}
	before = append(before, removed...)
	old, err := ts.Results(ctx, before)
	if err != nil {
		return err // retried: without them old neighbours would keep stale duplicates
	}
	for _, r := range old {
		if r.Analysis != nil {
			for _, cand := range r.Analysis.Duplicates {
				touched[cand.Key] = true
			}
		}
	}
	for _, key := range removed {
		mentioning, err := ts.Mentioning(ctx, project, key)
		if err != nil {
			return err
		}
		for _, k := range mentioning {
			touched[k] = true
		}
		model.Remove(key)
		delete(touched, key)
	}
	for _, is := range changed {
		if is.ProjectKey != "" && is.ProjectKey != project {
			// Moved to another project: gone from this one.
			if _, err := ts.MarkDeleted(ctx, is.Key); err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			model.Remove(is.Key)
			continue
		}
		model.Upsert(is)
		touched[is.Key] = true
		// Issues linked to this one see its new status.
		for _, l := range is.Links {
			other, ok := model.Issue(l.OtherKey)
			if !ok {
				continue
			}
			if patchLinkStatus(&other, is.Key, !is.Open()) {
				model.Upsert(other)
			}
			touched[other.Key] = true
		}
	}
	// New neighbours: what the changed issues resemble now.
	for _, is := range changed {
		if a, ok := model.Analyse(is.Key, nil); ok {
			for _, cand := range a.Duplicates {
				touched[cand.Key] = true
			}
		}
	}
	keys := make([]string, 0, len(touched))
	for k := range touched {
		if _, ok := model.Issue(k); ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	overrides, err := ts.Overrides(ctx, keys)
	if err != nil {
		return err
	}
	results := make([]store.ResultInput, 0, len(keys))
	for _, k := range keys {
		results = append(results, s.analyse(model, k, overrides))
	}
	if err := ts.SaveResults(ctx, project, results); err != nil {
		return err
	}
	// Deleted last, so that once an issue is gone no stored analysis
	// still names it (a failure before this retries the whole change).
	for _, key := range removed {
		if _, err := ts.MarkDeleted(ctx, key); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
	}
	next := []domain.NewJob{projectJob(KindWriteback, project, prioWriteback, 0, s.now())}
	if model.NeedsRank() {
		// Classes in capacity mode, and calibration and shares once
		// enough changed, depend on the whole ranking; coalesce a burst
		// of changes into one re-rank a few seconds later.
		next = append(next, projectJob(KindRescore, project, prioScan, 3*time.Second, s.now()))
	}
	return s.enqueue(ctx, t, next...)
}

func patchLinkStatus(is *domain.Issue, other string, done bool) bool {
	changed := false
	for i := range is.Links {
		if is.Links[i].OtherKey == other && is.Links[i].OtherDone != done {
			is.Links[i].OtherDone = done
			changed = true
		}
	}
	return changed
}

// deleteJob removes deleted issues and refreshes their neighbours.
func (s *Service) deleteJob(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
	return each(batch, func(j domain.Job) error {
		var p issuePayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Key == "" {
			return fmt.Errorf("delete payload: %w", jobs.ErrPermanent)
		}
		return s.applyChanges(ctx, t, p.Project, nil, []string{p.Key})
	})
}

// Refresh fetches keys from Jira now and stores the re-analysis of them
// and of what they touch, as the webhook for the change would later. The
// app itself changed the issues (a duplicate link) and the person waits
// for the glance to show it. Keys Jira does not return are left alone: a
// missing issue is the webhook's and the reconciliation's business.
func (s *Service) Refresh(ctx context.Context, t *domain.Tenant, project string, keys ...string) error {
	c, err := s.client(t)
	if err != nil {
		return fmt.Errorf("refresh %v: %w", keys, err)
	}
	numbers, err := s.mappedFields(ctx, s.Store.Tenant(t), project)
	if err != nil {
		return fmt.Errorf("refresh %v: %w", keys, err)
	}
	fetched, err := c.BulkFetch(ctx, keys, numbers)
	if err != nil {
		return fmt.Errorf("refresh %v: %w", keys, err)
	}
	if err := s.applyChanges(ctx, t, project, fetched, nil); err != nil {
		return fmt.Errorf("refresh %v: %w", keys, err)
	}
	return nil
}
