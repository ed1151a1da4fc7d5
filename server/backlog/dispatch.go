package backlog

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// dispatchBatch is how many recorded deliveries one dispatch transaction
// turns into jobs.
const dispatchBatch = 1000

// dispatchPoll is how often the dispatcher looks for deliveries that no
// local signal announced: those another replica recorded and then lost
// (it crashed or stopped between its insert and its dispatch).
const dispatchPoll = time.Second

// signalDispatch wakes the dispatcher without waiting.
func (s *Service) signalDispatch() {
	select {
	case s.dispatch <- struct{}{}:
	default:
	}
}

// runDispatcher dispatches recorded deliveries when signalled and once per
// dispatchPoll, until ctx ends.
func (s *Service) runDispatcher(ctx context.Context) {
	t := time.NewTicker(dispatchPoll)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			// Deliveries still pending stay recorded; the next start (or
			// another replica) dispatches them.
			return
		case <-s.dispatch:
		case <-t.C:
		}
		for {
			n, err := s.Dispatch(ctx)
			if err != nil {
				if failures++; failures == 1 && ctx.Err() == nil {
					s.log().Error("dispatch webhooks", "err", err)
				}
				break
			}
			if failures > 0 {
				s.log().Info("webhook dispatch recovered", "after_failures", failures)
				failures = 0
			}
			if n < dispatchBatch {
				break
			}
		}
	}
}

// Dispatch turns up to dispatchBatch recorded deliveries into jobs, in one
// transaction: their jobs are enqueued (coalesced: ten updates of one
// issue make one job; deliveries for projects that are not active make
// none) and their pending flag is cleared together, so a delivery's work
// is enqueued exactly once. It returns how many deliveries it took.
//
// One bad row (a value the database refuses) must not hold up every
// tenant's webhooks: when the batch fails for another reason than the
// database being away, the deliveries are dispatched one at a time, and
// one whose job cannot be enqueued is dropped with an error in the log.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	taken, err := s.dispatchTx(ctx, dispatchBatch, nil)
	if err != nil && !store.Unavailable(err) && ctx.Err() == nil {
		s.log().Warn("webhook dispatch failed; dispatching one delivery at a time", "err", err)
		taken, err = 0, nil
		for taken < dispatchBatch {
			var n int
			n, err = s.dispatchOne(ctx)
			if err != nil || n == 0 {
				break
			}
			taken += n
		}
	}
	if taken > 0 {
		s.wake()
	}
	return taken, err
}

// dispatchOne dispatches the oldest pending delivery, or drops it when its
// job cannot be enqueued.
func (s *Service) dispatchOne(ctx context.Context) (int, error) {
	var bad []store.PendingWebhook
	n, err := s.dispatchTx(ctx, 1, &bad)
	if err == nil || store.Unavailable(err) || ctx.Err() != nil || len(bad) == 0 {
		return n, err
	}
	p := bad[0]
	s.log().Error("webhook delivery dropped: its job cannot be enqueued", "tenant_id", p.TenantID, "project", p.Project,
		"job_kind", p.Job.Kind, "webhook_event_id", p.ID, "err", err)
	if err := s.Store.MarkDispatched(ctx, []int64{p.ID}); err != nil {
		return 0, err
	}
	return 1, nil
}

// dispatchTx dispatches up to limit pending deliveries in one transaction;
// took, when not nil, receives the deliveries it read.
func (s *Service) dispatchTx(ctx context.Context, limit int, took *[]store.PendingWebhook) (int, error) {
	var n int
	err := s.Store.WithQueueTx(ctx, func(tx *store.Store) error {
		pending, err := tx.PendingWebhooks(ctx, limit)
		if took != nil {
			*took = pending
		}
		if err != nil || len(pending) == 0 {
			n = 0
			return err
		}
		n = len(pending)
		var tenants []int64
		ids := make([]int64, len(pending))
		for i, p := range pending {
			ids[i] = p.ID
			if !slices.Contains(tenants, p.TenantID) {
				tenants = append(tenants, p.TenantID)
			}
		}
		active, err := tx.ActiveProjectsOf(ctx, tenants)
		if err != nil {
			return err
		}
		// One job per issue and kind however many of its deliveries the
		// batch holds (the queue would coalesce them too, at the cost of
		// an insert each); the first keeps its receipt time, so the
		// write-back lag counts from the earliest change.
		type slot struct {
			tenant       int64
			kind, dedupe string
		}
		seen := map[slot]bool{}
		var jobs []domain.TenantJob
		for _, p := range pending {
			if p.Job.Kind == "" || !active[p.TenantID][p.Project] {
				continue
			}
			if k := (slot{p.TenantID, p.Job.Kind, p.Job.DedupeKey}); k.dedupe != "" {
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			jobs = append(jobs, domain.TenantJob{TenantID: p.TenantID, NewJob: p.Job})
		}
		// Coalescing keys in one order across concurrent dispatchers.
		slices.SortFunc(jobs, func(a, b domain.TenantJob) int {
			return cmp.Or(cmp.Compare(a.TenantID, b.TenantID), strings.Compare(a.Kind, b.Kind), strings.Compare(a.DedupeKey, b.DedupeKey))
		})
		if err := tx.EnqueueBatch(ctx, jobs); err != nil {
			return err
		}
		return tx.MarkDispatched(ctx, ids)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
