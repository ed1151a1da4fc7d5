package backlog

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/store"
)

// errCancelled means the job was taken away (uninstall, lease lost): stop
// without writing anything more.
var errCancelled = fmt.Errorf("job no longer held: %w", jobs.ErrPermanent)

func each(batch []store.Job, fn func(j store.Job) error) []error {
	out := make([]error, len(batch))
	for i, j := range batch {
		out[i] = fn(j)
	}
	return out
}

func (s *Service) enqueue(ctx context.Context, t *domain.Tenant, jobsToAdd ...store.NewJob) error {
	if _, err := s.Store.Tenant(t).Enqueue(ctx, jobsToAdd...); err != nil {
		return err
	}
	s.wake()
	return nil
}

func projectJob(kind, project string, prio int, after time.Duration, now time.Time) store.NewJob {
	payload, _ := json.Marshal(projectPayload{Project: project})
	j := store.NewJob{Kind: kind, DedupeKey: project, Payload: payload, Priority: prio}
	if after > 0 {
		j.RunAt = now.Add(after)
	}
	return j
}

// handleScan advances each scan by one step: a budget of search pages
// (fetch), a chunk of analyses (analyse), then hands over to write-back.
// Every step records where it stopped, so a restart resumes there.
func (s *Service) handleScan(ctx context.Context, t *domain.Tenant, batch []store.Job) []error {
	return each(batch, func(j store.Job) error {
		var p projectPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Project == "" {
			return fmt.Errorf("scan payload: %w", jobs.ErrPermanent)
		}
		ts := s.Store.Tenant(t)
		sc, err := ts.Scan(ctx, p.Project)
		if err != nil {
			return err
		}
		if sc.State != store.ScanRunning {
			return nil // cancelled or already finished
		}
		var more bool
		switch sc.Phase {
		case "fetch", "":
			more, err = s.scanFetch(ctx, t, j, sc)
		case "analyse":
			more, err = s.scanAnalyse(ctx, t, sc)
		default:
			return nil // write phase is driven by write-back jobs
		}
		if errors.Is(err, domain.ErrConflict) {
			return nil // the scan was cancelled or restarted meanwhile
		}
		if err != nil {
			msg := err.Error()
			if j.Attempts >= j.MaxAttempts {
				failed := store.ScanFailed
				if uerr := updateScan(ctx, ts, p.Project, store.ScanUpdate{State: &failed, Error: &msg}); uerr != nil {
					s.log().Warn("record scan failure", "tenant_id", t.ID, "project", p.Project, "err", uerr)
				}
			} else if uerr := updateScan(ctx, ts, p.Project, store.ScanUpdate{Error: &msg}); uerr != nil {
				s.log().Warn("record scan error", "tenant_id", t.ID, "project", p.Project, "err", uerr)
			}
			return err
		}
		if more {
			// A continuation: the fair scheduler serves other tenants
			// between steps of a long scan.
			payload, _ := json.Marshal(p)
			return s.enqueue(ctx, t, store.NewJob{Kind: KindScan, DedupeKey: p.Project + "#next", Payload: payload, Priority: prioScan})
		}
		return nil
	})
}

func (s *Service) scanFetch(ctx context.Context, t *domain.Tenant, j store.Job, sc *store.Scan) (bool, error) {
	c, err := s.Client(t)
	if err != nil {
		return false, err
	}
	ts := s.Store.Tenant(t)
	if sc.PageToken == "" && sc.Done == 0 {
		jql, _ := jira.ProjectJQL(sc.ProjectKey, "")
		if n, err := c.ApproximateCount(ctx, jql); err == nil {
			// The total only sizes the progress bar: the scan goes on without it.
			_ = ts.UpdateScan(ctx, sc.ProjectKey, store.ScanUpdate{Total: &n})
		}
	}
	budget := s.PageBudget
	if budget <= 0 {
		budget = 20
	}
	numbers, err := s.mappedFields(ctx, ts, sc.ProjectKey)
	if err != nil {
		return false, err
	}
	token := sc.PageToken
	for i := 0; i < budget; i++ {
		page, next, err := c.ScanPage(ctx, sc.ProjectKey, jira.ScanOptions{NumberFields: numbers}, token)
		if err != nil {
			return false, err
		}
		in := make([]store.ResultInput, len(page.Issues))
		for k, is := range page.Issues {
			in[k] = store.ResultInput{Issue: is}
		}
		if held, err := s.Store.StillHeld(ctx, j.ID, j.LockedBy); err != nil || !held {
			return false, errCancelled
		}
		if err := ts.SaveResults(ctx, sc.ProjectKey, in); err != nil {
			return false, err
		}
		token = next
		if err := ts.UpdateScan(ctx, sc.ProjectKey, store.ScanUpdate{AddDone: len(in), PageToken: &token}); err != nil {
			return false, err
		}
		if next == "" {
			// Issues this scan did not see are gone from Jira.
			if _, err := ts.TombstoneUnseen(ctx, sc.ProjectKey, sc.StartedAt); err != nil {
				return false, err
			}
			// Reconciliation only needs what changed since the scan began.
			if err := ts.SetLastSync(ctx, sc.ProjectKey, sc.StartedAt); err != nil {
				return false, err
			}
			phase, zero, empty := "analyse", 0, ""
			fetched, _ := ts.Scan(ctx, sc.ProjectKey)
			total := sc.Total
			if fetched != nil {
				total = fetched.Done
			}
			s.DropModel(t.ID, sc.ProjectKey)
			return true, ts.UpdateScan(ctx, sc.ProjectKey, store.ScanUpdate{Phase: &phase, PageToken: &empty, Total: &total, Done: &total, Written: &zero})
		}
	}
	return true, nil
}

func (s *Service) scanAnalyse(ctx context.Context, t *domain.Tenant, sc *store.Scan) (bool, error) {
	model, unlock, err := s.Model(ctx, t, sc.ProjectKey)
	if err != nil {
		return false, err
	}
	defer unlock()
	keys := model.Keys()
	offset, _ := strconv.Atoi(sc.PageToken)
	chunk := s.AnalyseChunk
	if chunk <= 0 {
		chunk = 2000
	}
	end := min(offset+chunk, len(keys))
	ts := s.Store.Tenant(t)
	overrides, err := ts.Overrides(ctx, nil)
	if err != nil {
		return false, err
	}
	results := make([]store.ResultInput, 0, end-offset)
	for _, k := range keys[offset:end] {
		results = append(results, s.analyse(model, k, overrides))
	}
	if err := ts.SaveResults(ctx, sc.ProjectKey, results); err != nil {
		return false, err
	}
	tok := strconv.Itoa(end)
	if err := ts.UpdateScan(ctx, sc.ProjectKey, store.ScanUpdate{AddDone: len(results), PageToken: &tok}); err != nil {
		return false, err
	}
	if end < len(keys) {
		return true, nil
	}
	// Rank before the scan reports done, so that its classes are final
	// and written back once.
	if model.NeedsRank() {
		if err := s.rescore(ctx, t, sc.ProjectKey, model); err != nil {
			return false, err
		}
	}
	phase := "write"
	if err := ts.UpdateScan(ctx, sc.ProjectKey, store.ScanUpdate{Phase: &phase}); err != nil {
		return false, err
	}
	return false, s.enqueue(ctx, t, projectJob(KindWriteback, sc.ProjectKey, prioWriteback, 0, s.now()))
}

// analyse runs the engine on one issue of the model and packs the result.
func (s *Service) analyse(model *analysis.Project, key string, overrides map[string]domain.Override) store.ResultInput {
	is, _ := model.Issue(key)
	var ov *domain.Override
	if o, ok := overrides[key]; ok {
		ov = &o
	}
	a, _ := model.Analyze(key, ov)
	return pack(is, a)
}

func pack(is domain.Issue, a domain.Analysis) store.ResultInput {
	prop := analysis.PropertyOf(&a, is.StoryPoints)
	return store.ResultInput{Issue: is, Analysis: &a, Hash: prop.Version}
}

// handleAnalyze re-reads changed issues from Jira (100 per call), updates
// the project model and re-analyses them with their neighbours: the issues
// they resemble (before and after the change) and the issues linked to them.
func (s *Service) handleAnalyze(ctx context.Context, t *domain.Tenant, batch []store.Job) []error {
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
	c, err := s.Client(t)
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
		if held, _ := s.Store.StillHeld(ctx, batch[0].ID, batch[0].LockedBy); !held {
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

func jobsErr(errs []error, err error) []error {
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
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
	model, unlock, err := s.Model(ctx, t, project)
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
	if old, err := ts.Results(ctx, before); err == nil {
		for _, r := range old {
			if r.Analysis != nil {
				for _, cand := range r.Analysis.Duplicates {
					touched[cand.Key] = true
				}
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
		if a, ok := model.Analyze(is.Key, nil); ok {
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
	next := []store.NewJob{projectJob(KindWriteback, project, prioWriteback, 0, s.now())}
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

// handleDelete removes deleted issues and refreshes their neighbours.
func (s *Service) handleDelete(ctx context.Context, t *domain.Tenant, batch []store.Job) []error {
	return each(batch, func(j store.Job) error {
		var p issuePayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Key == "" {
			return fmt.Errorf("delete payload: %w", jobs.ErrPermanent)
		}
		return s.applyChanges(ctx, t, p.Project, nil, []string{p.Key})
	})
}

// writeBatch is how many properties one write-back round sends: ten bulk
// calls of 100 issues, polled together.
const writeBatch = 1000

// handleWriteback writes the `backlogai` property of every issue whose
// stored analysis differs from what Jira holds, 100 issues per call.
func (s *Service) handleWriteback(ctx context.Context, t *domain.Tenant, batch []store.Job) []error {
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

// handleReconcile asks Jira for the issues updated since the last sync
// and folds them in: it catches webhooks that never came.
func (s *Service) handleReconcile(ctx context.Context, t *domain.Tenant, batch []store.Job) []error {
	return each(batch, func(j store.Job) error {
		var p projectPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Project == "" {
			return fmt.Errorf("reconcile payload: %w", jobs.ErrPermanent)
		}
		ts := s.Store.Tenant(t)
		proj, err := ts.Project(ctx, p.Project)
		if err != nil {
			return err
		}
		if sc, err := ts.Scan(ctx, p.Project); err == nil && sc.State == store.ScanRunning {
			return nil // the scan will see everything
		}
		c, err := s.Client(t)
		if err != nil {
			return err
		}
		start := s.now()
		extra := ""
		if proj.LastSyncAt != nil {
			// Relative minutes avoid the site's time zone; a margin covers
			// clock skew and webhooks in flight.
			mins := int(math.Ceil(start.Sub(*proj.LastSyncAt).Minutes())) + 2
			extra = fmt.Sprintf("updated >= -%dm", mins)
		}
		var changed []domain.Issue
		opts := jira.ScanOptions{JQLExtra: extra, NumberFields: framework.MappedFields(proj.Strategy.Framework)}
		err = c.Scan(ctx, p.Project, opts, func(page jira.Page) error {
			changed = append(changed, page.Issues...)
			return nil
		})
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			if err := s.applyChanges(ctx, t, p.Project, changed, nil); err != nil {
				return err
			}
		}
		return ts.SetLastSync(ctx, p.Project, start)
	})
}

// handleRescore re-analyses a whole project from its stored snapshots
// (no Jira reads): after a strategy change, and in capacity mode to re-rank.
func (s *Service) handleRescore(ctx context.Context, t *domain.Tenant, batch []store.Job) []error {
	return each(batch, func(j store.Job) error {
		var p projectPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Project == "" {
			return fmt.Errorf("rescore payload: %w", jobs.ErrPermanent)
		}
		return s.Rescore(ctx, t, p.Project)
	})
}

// Rescore re-analyses and re-ranks every issue of a project and stores
// those whose result changed.
func (s *Service) Rescore(ctx context.Context, t *domain.Tenant, project string) error {
	if err := s.refetchMapped(ctx, t, project); err != nil {
		return err
	}
	model, unlock, err := s.Model(ctx, t, project)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.rescore(ctx, t, project, model); err != nil {
		return err
	}
	return s.enqueue(ctx, t, projectJob(KindWriteback, project, prioWriteback, 0, s.now()))
}

// rescore re-analyses and re-ranks every issue of a locked model and
// saves the results.
func (s *Service) rescore(ctx context.Context, t *domain.Tenant, project string, model *analysis.Project) error {
	ts := s.Store.Tenant(t)
	overrides, err := ts.Overrides(ctx, nil)
	if err != nil {
		return err
	}
	keys := model.Keys()
	all := make([]*domain.Analysis, 0, len(keys))
	issues := make([]domain.Issue, 0, len(keys))
	for _, k := range keys {
		is, _ := model.Issue(k)
		var ov *domain.Override
		if o, ok := overrides[k]; ok {
			ov = &o
		}
		a, _ := model.Analyze(k, ov)
		all = append(all, &a)
		issues = append(issues, is)
	}
	model.Rank(all)
	// Everything is saved (pillar weights and reasons change even when the
	// rounded score does not); write-back sends only changed properties.
	results := make([]store.ResultInput, len(all))
	open := make([]*domain.Analysis, 0, len(all))
	for i, a := range all {
		results[i] = pack(issues[i], *a)
		if issues[i].Open() && issues[i].Type != domain.TypeSubtask {
			open = append(open, a)
		}
	}
	if err := ts.SaveResults(ctx, project, results); err != nil {
		return err
	}
	// The Health tab's trend: the day's last ranking stands for the day.
	return ts.RecordTrend(ctx, project, store.TrendOf(s.now(), open))
}

// lockWriteback takes the project's write-back lock in this process and in
// the database.
func (s *Service) lockWriteback(ctx context.Context, t *domain.Tenant, project string) (func(), bool) {
	key := modelKey{t.ID, project}
	s.mu.Lock()
	if s.writing == nil {
		s.writing = map[modelKey]bool{}
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

// updateScan records u on the project's running scan. No scan running
// (ErrConflict) is no error here: write-backs of webhook changes run after
// the scan finished, and a scan may be cancelled or restarted meanwhile.
func updateScan(ctx context.Context, ts *store.TenantStore, project string, u store.ScanUpdate) error {
	if err := ts.UpdateScan(ctx, project, u); err != nil && !errors.Is(err, domain.ErrConflict) {
		return err
	}
	return nil
}
