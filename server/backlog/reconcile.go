package backlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/jira"
	"math"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
)

// reconcileJob asks Jira for the issues updated since the last sync
// and folds them in: it catches webhooks that never came.
func (s *Service) reconcileJob(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
	return each(batch, func(j domain.Job) error {
		var p projectPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Project == "" {
			return fmt.Errorf("reconcile payload: %w", jobs.ErrPermanent)
		}
		ts := s.Store.Tenant(t)
		proj, err := ts.Project(ctx, p.Project)
		if err != nil {
			return err
		}
		sc, err := ts.Scan(ctx, p.Project)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if sc != nil && sc.State == domain.ScanRunning {
			return nil // the scan will see everything
		}
		c, err := s.client(t)
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
		if err := ts.SetLastSync(ctx, p.Project, start); err != nil {
			return err
		}
		// Due dates draw nearer without any edit: the first reconciliation
		// of a day re-ranks the project, so that urgency and the Musts a
		// passed due date forces follow the calendar.
		if proj.LastSyncAt != nil && newDay(*proj.LastSyncAt, start) {
			return s.enqueue(ctx, t, projectJob(KindRescore, p.Project, prioScan, 0, start))
		}
		return nil
	})
}

// newDay reports whether now falls on a later UTC calendar day than last.
func newDay(last, now time.Time) bool {
	y1, m1, d1 := last.UTC().Date()
	y2, m2, d2 := now.UTC().Date()
	return time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).After(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC))
}
