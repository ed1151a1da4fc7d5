package backlog

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/store"
)

// rescoreJob re-analyses a whole project from its stored snapshots
// (no Jira reads): after a strategy change, and in capacity mode to re-rank.
func (s *Service) rescoreJob(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
	return each(batch, func(j domain.Job) error {
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
	model, unlock, err := s.models().Get(ctx, t, project)
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
		a, _ := model.Analyse(k, ov)
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
	return ts.RecordTrend(ctx, project, domain.TrendOf(s.now(), open))
}
