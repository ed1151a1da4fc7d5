package backlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/store"
)

// Job kinds.
const (
	KindScan      = "scan"
	KindAnalyse   = "analyze"
	KindDelete    = "delete"
	KindWriteback = "writeback"
	KindReconcile = "reconcile"
	KindRescore   = "rescore"
)

// Priorities: a person waiting on a webhook's effect comes before bulk work.
const (
	prioWebhook   = 10
	prioWriteback = 5
	prioScan      = 0
)

// Handlers returns the job handlers to register on the pool: one per job
// kind, each in the file named after its job.
func (s *Service) Handlers() map[string]jobs.Handler {
	return map[string]jobs.Handler{
		KindScan:      s.scanJob,
		KindAnalyse:   s.analyseJob,
		KindDelete:    s.deleteJob,
		KindWriteback: s.writebackJob,
		KindReconcile: s.reconcileJob,
		KindRescore:   s.rescoreJob,
	}
}

func (s *Service) wake() {
	if s.Waker != nil {
		s.Waker.Wake()
	}
}

// errCancelled means the job was taken away (uninstall, lease lost): stop
// without writing anything more.
var errCancelled = fmt.Errorf("job no longer held: %w", jobs.ErrPermanent)

func each(batch []domain.Job, fn func(j domain.Job) error) []error {
	out := make([]error, len(batch))
	for i, j := range batch {
		out[i] = fn(j)
	}
	return out
}

func (s *Service) enqueue(ctx context.Context, t *domain.Tenant, jobsToAdd ...domain.NewJob) error {
	if _, err := s.Store.Tenant(t).Enqueue(ctx, jobsToAdd...); err != nil {
		return err
	}
	s.wake()
	return nil
}

func projectJob(kind, project string, prio int, after time.Duration, now time.Time) domain.NewJob {
	payload, _ := json.Marshal(projectPayload{Project: project})
	j := domain.NewJob{Kind: kind, DedupeKey: project, Payload: payload, Priority: prio}
	if after > 0 {
		j.RunAt = now.Add(after)
	}
	return j
}

func jobsErr(errs []error, err error) []error {
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
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
