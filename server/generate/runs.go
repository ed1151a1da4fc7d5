package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/research"
	"github.com/backlogai/backlogai/server/store"
)

// Draft is a stored draft as the API shows it.
type Draft struct {
	ID      int64  `json:"id"`
	RunID   int64  `json:"runId"`
	Project string `json:"project"`
	Status  string `json:"status"`
	Content
	Check      domain.CheckResult `json:"check"`
	Score      domain.Score       `json:"score"`
	Estimate   domain.Estimate    `json:"estimate"`
	Duplicates []domain.Candidate `json:"duplicates"`
	// Revised: the revision pass rewrote this draft; FirstQuality is the
	// quality before it.
	Revised      bool      `json:"revised"`
	FirstQuality *int      `json:"firstQuality,omitempty"`
	Mode         string    `json:"mode"`
	CreatedKey   string    `json:"createdKey,omitempty"`
	CreatedURL   string    `json:"createdUrl,omitempty"`
	Error        string    `json:"error,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
}

// storedAnalysis is what a draft row's analysis column holds.
type storedAnalysis struct {
	Analysis     domain.Analysis `json:"analysis"`
	Revised      bool            `json:"revised,omitempty"`
	FirstQuality *int            `json:"firstQuality,omitempty"`
	Mode         string          `json:"mode,omitempty"`
}

func (s *Service) view(t *domain.Tenant, r *domain.DraftRecord) (Draft, error) {
	d := Draft{ID: r.ID, RunID: r.RunID, Project: r.Project, Status: r.Status, CreatedKey: r.CreatedKey, Error: r.Error, CreatedAt: r.CreatedAt}
	if err := json.Unmarshal(r.Content, &d.Content); err != nil {
		return d, fmt.Errorf("generate: draft %d content: %w", r.ID, err)
	}
	d.Content.normalize()
	var sa storedAnalysis
	if len(r.Analysis) > 0 {
		if err := json.Unmarshal(r.Analysis, &sa); err != nil {
			return d, fmt.Errorf("generate: draft %d analysis: %w", r.ID, err)
		}
	}
	d.Check, d.Score, d.Estimate, d.Duplicates = sa.Analysis.Check, sa.Analysis.Score, sa.Analysis.Estimate, sa.Analysis.Duplicates
	if d.Duplicates == nil {
		d.Duplicates = []domain.Candidate{}
	}
	if d.Check.Findings == nil {
		d.Check.Findings = []domain.Finding{}
	}
	d.Revised, d.FirstQuality, d.Mode = sa.Revised, sa.FirstQuality, sa.Mode
	if r.CreatedKey != "" {
		d.CreatedURL = issueURL(t, r.CreatedKey)
	}
	return d, nil
}

func issueURL(t *domain.Tenant, key string) string {
	return strings.TrimSuffix(t.DisplayURLOrBase(), "/") + "/browse/" + key
}

// RunView is a run's progress and, once done, its drafts.
type RunView struct {
	ID            int64              `json:"id"`
	Project       string             `json:"project"`
	State         string             `json:"state"`
	Step          string             `json:"step"`
	Progress      float64            `json:"progress"`
	Mode          string             `json:"mode"`
	Notice        string             `json:"notice"`
	Error         string             `json:"error"`
	PromptVersion string             `json:"promptVersion,omitempty"`
	Drafts        []Draft            `json:"drafts"`
	Research      *research.Findings `json:"research,omitempty"`
	Stats         *Stats             `json:"stats,omitempty"`
	CreatedAt     time.Time          `json:"createdAt"`
	FinishedAt    *time.Time         `json:"finishedAt,omitempty"`
}

type runPayload struct {
	RunID int64 `json:"runId"`
}

// Submit validates a form and queues its run; the run's id lets the page
// follow its progress.
func (s *Service) Submit(ctx context.Context, t *domain.Tenant, accountID, project string, f Form) (int64, error) {
	if err := s.Init(); err != nil {
		return 0, err
	}
	if err := f.Normalize(); err != nil {
		return 0, err
	}
	if err := s.checkFormParent(ctx, t, project, f.ParentEpic); err != nil {
		return 0, err
	}
	form, _ := json.Marshal(f)
	var id int64
	err := s.Store.Tenant(t).WithTx(ctx, func(tx *store.TenantStore) error {
		run, err := tx.CreateRun(ctx, project, accountID, form)
		if err != nil {
			return err
		}
		id = run.ID
		payload, _ := json.Marshal(runPayload{RunID: run.ID})
		// One attempt more for a crashed worker; a run that failed
		// cleanly is marked failed and not retried.
		_, err = tx.Enqueue(ctx, domain.NewJob{Kind: KindGenerate, Payload: payload, Priority: 8, MaxAttempts: 2})
		return err
	})
	if err != nil {
		return 0, err
	}
	s.wake()
	return id, nil
}

// Run returns a run with its drafts.
func (s *Service) Run(ctx context.Context, t *domain.Tenant, id int64) (*RunView, error) {
	ts := s.Store.Tenant(t)
	r, err := ts.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &RunView{ID: r.ID, Project: r.Project, State: r.State, Step: r.Step, Progress: r.Progress, Mode: r.Mode, Notice: r.Notice,
		Error: r.Error, PromptVersion: r.PromptVersion, Drafts: []Draft{}, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt}
	if len(r.Research) > 0 {
		var f research.Findings
		if json.Unmarshal(r.Research, &f) == nil {
			v.Research = &f
		}
	}
	if len(r.Stats) > 0 {
		var st Stats
		if json.Unmarshal(r.Stats, &st) == nil {
			v.Stats = &st
		}
	}
	if r.State != domain.RunDone {
		return v, nil
	}
	recs, err := ts.RunDrafts(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		d, err := s.view(t, &recs[i])
		if err != nil {
			return nil, err
		}
		v.Drafts = append(v.Drafts, d)
	}
	return v, nil
}

// Drafts lists a project's recent drafts, newest first.
func (s *Service) Drafts(ctx context.Context, t *domain.Tenant, project string) ([]Draft, error) {
	recs, err := s.Store.Tenant(t).Drafts(ctx, project, 100)
	if err != nil {
		return nil, err
	}
	out := make([]Draft, 0, len(recs))
	for i := range recs {
		d, err := s.view(t, &recs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Draft returns one draft (ErrNotFound when it is not the project's).
func (s *Service) Draft(ctx context.Context, t *domain.Tenant, project string, id int64) (Draft, error) {
	r, err := s.Store.Tenant(t).Draft(ctx, id)
	if err != nil {
		return Draft{}, err
	}
	if r.Project != project {
		return Draft{}, fmt.Errorf("generate: draft %d: %w", id, domain.ErrNotFound)
	}
	return s.view(t, r)
}

// EditDraft saves a person's edit of a draft, re-checked and re-scored.
func (s *Service) EditDraft(ctx context.Context, t *domain.Tenant, project string, id int64, c Content) (Draft, error) {
	cur, err := s.Draft(ctx, t, project, id)
	if err != nil {
		return Draft{}, err
	}
	c.ParentEpic = strings.TrimSpace(c.ParentEpic)
	if c.ParentEpic != "" && !issueKey(c.ParentEpic) {
		return Draft{}, invalid("the parent epic must be an issue key such as SHOP-12")
	}
	if err := c.checkLists(); err != nil {
		return Draft{}, err
	}
	c.normalize()
	if c.Title == "" {
		return Draft{}, invalid("a draft needs a title")
	}
	analyse, _, err := s.analyser(ctx, t, project)
	if err != nil {
		return Draft{}, err
	}
	a := c.Analyse(analyse, project)
	content, _ := json.Marshal(c)
	sa, _ := json.Marshal(storedAnalysis{Analysis: a, Revised: cur.Revised, FirstQuality: cur.FirstQuality, Mode: cur.Mode})
	r, err := s.Store.Tenant(t).EditDraft(ctx, id, content, sa)
	if err != nil {
		return Draft{}, err
	}
	return s.view(t, r)
}

// errCancelled: the job was taken away (uninstall, lease lost).
var errCancelled = fmt.Errorf("generate: job no longer held: %w", jobs.ErrPermanent)

// handleGenerate works on a batch of runs in parallel (up to 10 at once):
// each is mostly waiting on the LLM, and all must end within the queue's
// lease.
func (s *Service) handleGenerate(ctx context.Context, t *domain.Tenant, batch []domain.Job) []error {
	errs := make([]error, len(batch))
	if err := s.Init(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i, j := range batch {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = s.generate(ctx, t, j)
		}()
	}
	wg.Wait()
	return errs
}

func (s *Service) generate(ctx context.Context, t *domain.Tenant, j domain.Job) error {
	var p runPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.RunID == 0 {
		return fmt.Errorf("generate payload: %w", jobs.ErrPermanent)
	}
	ts := s.Store.Tenant(t)
	run, err := ts.Run(ctx, p.RunID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // pruned or the tenant's data purged
	}
	if err != nil {
		return err
	}
	if run.State == domain.RunDone || run.State == domain.RunFailed {
		return nil
	}
	log := s.Logger.With("tenant_id", t.ID, "run_id", run.ID)
	rctx, cancel := context.WithTimeout(ctx, s.RunDeadline)
	defer cancel()
	err = s.work(rctx, t, j, run)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errCancelled):
		return err
	case ctx.Err() != nil:
		return ctx.Err() // shutting down: the job runs again elsewhere
	}
	log.Error("generation run failed", "err", err)
	msg := "Generation failed. Try again; if it keeps failing, contact your admin."
	if rctx.Err() != nil {
		msg = "Generation took too long and was stopped. Try fewer stories, or try again later."
	}
	failed := domain.RunFailed
	if uerr := ts.UpdateRun(context.WithoutCancel(ctx), run.ID, store.RunUpdate{State: &failed, Error: &msg, Finished: true}); uerr != nil {
		return uerr
	}
	return nil
}

func (s *Service) work(ctx context.Context, t *domain.Tenant, j domain.Job, run *domain.GenerationRun) error {
	ts := s.Store.Tenant(t)
	var form Form
	if err := json.Unmarshal(run.Form, &form); err != nil {
		return fmt.Errorf("generate: run %d form: %w", run.ID, err)
	}
	update := func(state string, progress float64) {
		st, step := state, stepText(state)
		if err := ts.UpdateRun(ctx, run.ID, store.RunUpdate{State: &st, Step: &step, Progress: &progress}); err != nil {
			s.Logger.Warn("run progress not saved", "run_id", run.ID, "err", err)
		}
	}
	update(domain.RunResearching, 0.05)
	tc, err := s.config(ctx, t, run.Project)
	if err != nil {
		return err
	}
	analyse, strategy, err := s.analyser(ctx, t, run.Project)
	if err != nil {
		return err
	}
	req := research.Request{Context: form.Context, Objective: form.Objective, Persona: form.Persona, Segment: form.Segment, Competitors: form.Competitors}
	var findings research.Findings
	var notices []string
	if form.Research {
		if tc.serp != nil {
			pts := ts.ForProject(run.Project)
			w := &research.Web{Serp: tc.serp, Cache: pts, Quota: searchQuota{pts}, Limit: tc.searches, Now: s.Now, Logger: s.Logger.With("tenant_id", t.ID)}
			if findings, err = w.Research(ctx, req); err != nil {
				return err
			}
			notices = append(notices, findings.Notices...)
		} else {
			notices = append(notices, "No research provider is configured, so drafts are grounded in your form and project only.")
		}
	}
	model, unlock, err := s.model(ctx, t, run.Project)
	if err != nil {
		return err
	}
	findings.Similar = research.Similar(model, req, 5)
	unlock()
	if raw, err := json.Marshal(findings); err == nil {
		// The findings are shown beside the drafts; the run goes on without them.
		if err := ts.UpdateRun(ctx, run.ID, store.RunUpdate{Research: raw}); err != nil {
			s.Logger.Warn("save research findings", "tenant_id", t.ID, "run_id", run.ID, "err", err)
		}
	}
	pipe := &pipeline{LLM: tc.llm, prompts: s.prompts, Analyse: analyse, Project: run.Project, Strategy: strategy,
		Progress: update, Logger: s.Logger.With("tenant_id", t.ID, "run_id", run.ID)}
	out, err := pipe.Run(ctx, form, findings)
	if err != nil {
		return err
	}
	// With no draft, "drafts were written from your form" would contradict
	// the shortfall notice.
	noDrafts := len(out.Drafts) == 0 && tc.llmNotice == noticeNoLLM
	if out.Mode == ModeDeterministic && tc.llm == nil && tc.llmNotice != "" && !noDrafts && !containsNotice(out.Notices, tc.llmNotice) {
		out.Notices = append([]string{tc.llmNotice}, out.Notices...)
	}
	notices = append(out.Notices, notices...)
	drafts := make([]store.DraftInput, len(out.Drafts))
	for i, g := range out.Drafts {
		content, _ := json.Marshal(g.Content)
		sa := storedAnalysis{Analysis: g.Analysis, Revised: g.Revised, Mode: out.Mode}
		if g.First != nil {
			q := g.First.Check.Quality
			sa.FirstQuality = &q
		}
		analysisJSON, _ := json.Marshal(sa)
		drafts[i] = store.DraftInput{Content: content, Analysis: analysisJSON, IdemKey: newIdemKey()}
	}
	if held, err := s.Store.StillHeld(ctx, j.ID, j.LockedBy); err != nil || !held {
		return errCancelled
	}
	out.Stats.Drafts = len(out.Drafts)
	stats, _ := json.Marshal(out.Stats)
	done, step, progress, mode, notice, version := domain.RunDone, "Drafts ready", 1.0, out.Mode, strings.Join(notices, " "), PromptVersion
	if err := ts.FinishRun(ctx, run.ID, drafts, store.RunUpdate{State: &done, Step: &step, Progress: &progress, Mode: &mode,
		Notice: &notice, PromptVersion: &version, Stats: stats, Finished: true}); err != nil {
		return err
	}
	s.prune(ctx, ts, tc.retention)
	return nil
}

func containsNotice(ns []string, n string) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

// prune applies the tenant's retention to runs and drafts and drops
// expired research; failures only log.
func (s *Service) prune(ctx context.Context, ts *store.TenantStore, days int) {
	if days <= 0 {
		return
	}
	if _, err := ts.PruneGenerated(ctx, s.Now().Add(-time.Duration(days)*24*time.Hour)); err != nil {
		s.Logger.Warn("prune drafts", "err", err)
	}
	if _, err := ts.PruneResearchCache(ctx); err != nil {
		s.Logger.Warn("prune research cache", "err", err)
	}
}

func stepText(state string) string {
	switch state {
	case domain.RunResearching:
		return "Researching the market and your project"
	case domain.RunDrafting:
		return "Drafting stories"
	case domain.RunChecking:
		return "Checking INVEST and scoring"
	case domain.RunRevising:
		return "Revising drafts below the quality bar"
	case domain.RunDone:
		return "Drafts ready"
	}
	return ""
}
