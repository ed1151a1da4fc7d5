package backlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/store"
)

// scanJob advances each scan by one step: a budget of search pages
// (fetch), a chunk of analyses (analyse), then hands over to write-back.
// Every step records where it stopped, so a restart resumes there.
func (s *Service) scanJob(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
	return each(batch, func(j domain.Job) error {
		var p projectPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Project == "" {
			return fmt.Errorf("scan payload: %w", jobs.ErrPermanent)
		}
		ts := s.Store.Tenant(t)
		sc, err := ts.Scan(ctx, p.Project)
		if err != nil {
			return err
		}
		if sc.State != domain.ScanRunning {
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
				failed := domain.ScanFailed
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
			return s.enqueue(ctx, t, domain.NewJob{Kind: KindScan, DedupeKey: p.Project + "#next", Payload: payload, Priority: prioScan})
		}
		return nil
	})
}

func (s *Service) scanFetch(ctx context.Context, t *domain.Tenant, j domain.Job, sc *domain.Scan) (bool, error) {
	c, err := s.client(t)
	if err != nil {
		return false, err
	}
	ts := s.Store.Tenant(t)
	if sc.PageToken == "" && sc.Done == 0 {
		// The total only sizes the progress bar: the scan goes on without it.
		jql, err := jira.ProjectJQL(sc.ProjectKey, "")
		if err != nil {
			return false, fmt.Errorf("scan %s: %w", sc.ProjectKey, jobs.ErrPermanent)
		}
		if n, err := c.ApproximateCount(ctx, jql); err != nil {
			s.log().Info("scan total unknown", "tenant_id", t.ID, "project", sc.ProjectKey, "err", err)
		} else if err := ts.UpdateScan(ctx, sc.ProjectKey, store.ScanUpdate{Total: &n}); err != nil {
			s.log().Warn("record scan total", "tenant_id", t.ID, "project", sc.ProjectKey, "err", err)
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
	token, done := sc.PageToken, sc.Done
	for i := 0; i < budget; i++ {
		page, next, err := c.ScanPage(ctx, sc.ProjectKey, jira.ScanOptions{NumberFields: numbers}, token)
		if err != nil {
			return false, err
		}
		in := make([]store.ResultInput, len(page.Issues))
		for k, is := range page.Issues {
			in[k] = store.ResultInput{Issue: is}
		}
		held, err := s.Store.StillHeld(ctx, j.ID, j.LockedBy)
		if err != nil {
			return false, fmt.Errorf("scan %s: job claim: %w", sc.ProjectKey, err)
		}
		if !held {
			return false, errCancelled
		}
		if err := ts.SaveResults(ctx, sc.ProjectKey, in); err != nil {
			return false, err
		}
		token, done = next, done+len(in)
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
			// What was fetched is the total the analysis phase counts to.
			phase, zero, empty, total := "analyse", 0, "", done
			s.models().Drop(t.ID, sc.ProjectKey)
			return true, ts.UpdateScan(ctx, sc.ProjectKey, store.ScanUpdate{Phase: &phase, PageToken: &empty, Total: &total, Done: &total, Written: &zero})
		}
	}
	return true, nil
}

func (s *Service) scanAnalyse(ctx context.Context, t *domain.Tenant, sc *domain.Scan) (bool, error) {
	model, unlock, err := s.models().Get(ctx, t, sc.ProjectKey)
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
	a, _ := model.Analyse(key, ov)
	return pack(is, a)
}

func pack(is domain.Issue, a domain.Analysis) store.ResultInput {
	prop := analysis.PropertyOf(&a, is.StoryPoints)
	return store.ResultInput{Issue: is, Analysis: &a, Hash: prop.Version}
}

// scanStaleAfter is how long a running scan may go without progress
// before a rescan replaces it (its job was lost, say).
const scanStaleAfter = 10 * time.Minute

// Rescan starts a full scan of the project unless one is queued or
// running, in which case it returns that scan: a person pressing Rescan
// twenty times causes one scan. It reports whether it started one.
func (s *Service) Rescan(ctx context.Context, t *domain.Tenant, project string) (*domain.Scan, bool, error) {
	ts := s.Store.Tenant(t)
	sc, started, err := ts.StartScanIfIdle(ctx, project, scanStaleAfter)
	if err != nil || !started {
		return sc, false, err
	}
	payload, _ := json.Marshal(projectPayload{Project: project})
	if _, err := ts.Enqueue(ctx, domain.NewJob{Kind: KindScan, DedupeKey: project, Payload: payload, Priority: prioScan}); err != nil {
		return nil, false, err
	}
	s.wake()
	return sc, true, nil
}
