package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/research"
)

// Notices shown with a run.
const (
	noticeNoLLM  = "No LLM configured: drafts were written from your form by rules, without AI. They hold only what the form states: a story for each capability it names, the success metrics, constraints as NFRs and competitors as a note, with open questions for the rest. Edit them before creating, or ask an admin to set up an LLM in Settings."
	noticeBudget = "This month's AI budget is spent, so drafts were written from your form without AI. An admin can raise the budget in Settings."
	noticeFailed = "The AI provider did not answer usefully (%s), so drafts were written from your form without AI. Try again later."
)

// pipeline drafts the stories of one form: LLM drafts (or the
// deterministic mode), the checks, one revision pass for drafts below the
// quality bar, and the scores. It stores nothing; the job and the
// evaluation both drive it.
type pipeline struct {
	// LLM writes the drafts; nil means deterministic drafting.
	LLM      *llm.Client
	prompts  *prompts
	Analyse  Analyser
	Project  string
	Strategy domain.Strategy
	// Progress, if set, hears each step (a run state and 0-1).
	Progress func(state string, progress float64)
	Logger   *slog.Logger
}

// generated is one draft the pipeline produced.
type generated struct {
	Content  Content
	Analysis domain.Analysis
	// First is the analysis before the revision pass, when there was one.
	First   *domain.Analysis
	Revised bool
}

// outcome is what a pipeline run produced.
type outcome struct {
	Mode    string
	Notices []string
	Drafts  []generated
	Usage   llm.Usage
	Stats   Stats
}

// Stats measure a run: how many drafts passed the quality bar on the
// first pass and after the revision pass, and how criteria were written.
type Stats struct {
	Drafts          int     `json:"drafts"`
	QualityBar      int     `json:"qualityBar"`
	FirstPassPassed int     `json:"firstPassPassed"`
	Revised         int     `json:"revised"`      // drafts sent to the revision pass
	RevisionKept    int     `json:"revisionKept"` // revisions that scored at least as well
	PassedAfter     int     `json:"passedAfter"`  // drafts at or above the bar in the end
	MeanFirst       float64 `json:"meanQualityFirst"`
	MeanFinal       float64 `json:"meanQualityFinal"`
	Criteria        int     `json:"criteria"`
	GWTCriteria     int     `json:"gwtCriteria"`
	Repaired        int     `json:"repaired"` // answers fixed by the repair attempt
}

func (p *pipeline) progress(state string, v float64) {
	if p.Progress != nil {
		p.Progress(state, v)
	}
}

func (p *pipeline) log() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (p *pipeline) bar() int {
	if p.Strategy.QualityBar > 0 {
		return p.Strategy.QualityBar
	}
	return domain.DefaultStrategy().QualityBar
}

// Run drafts the form's stories grounded in the findings. It fails only
// when ctx ends; LLM trouble falls back to deterministic drafting with a
// notice.
func (p *pipeline) Run(ctx context.Context, form Form, f research.Findings) (outcome, error) {
	out := outcome{Mode: ModeLLM}
	p.progress(domain.RunDrafting, 0.35)
	var contents []Content
	if p.LLM == nil {
		out.Mode, out.Notices = ModeDeterministic, []string{noticeNoLLM}
	} else {
		var err error
		contents, err = p.llmDrafts(ctx, form, f, &out)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if err != nil {
			p.log().Warn("llm drafting failed; drafting deterministically", "err", err)
			out.Mode = ModeDeterministic
			if errors.Is(err, domain.ErrBudget) {
				out.Notices = append(out.Notices, noticeBudget)
			} else {
				out.Notices = append(out.Notices, fmt.Sprintf(noticeFailed, reason(err)))
			}
		}
	}
	if out.Mode == ModeDeterministic {
		contents = Deterministic(form, f)
		if len(contents) < form.Count {
			if len(contents) == 0 {
				// "drafts were written from your form" would contradict it
				out.Notices = slices.DeleteFunc(out.Notices, func(n string) bool { return n == noticeNoLLM })
			}
			out.Notices = append(out.Notices, shortfallNotice(form, f, len(contents)))
		}
	}
	p.progress(domain.RunChecking, 0.6)
	for _, c := range contents {
		out.Drafts = append(out.Drafts, generated{Content: c, Analysis: c.Analyse(p.Analyse, p.Project)})
	}
	firstQuality := make([]int, len(out.Drafts))
	for i, g := range out.Drafts {
		firstQuality[i] = g.Analysis.Check.Quality
	}
	if out.Mode == ModeLLM {
		if err := p.revise(ctx, &out); err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			p.log().Warn("revision pass failed; keeping first drafts", "err", err)
			msg := "The revision pass could not run (" + reason(err) + "); drafts below the quality bar are shown as first written."
			if errors.Is(err, domain.ErrBudget) {
				msg = "This month's AI budget ran out before the revision pass; drafts below the quality bar are shown as first written."
			}
			out.Notices = append(out.Notices, msg)
		}
	}
	out.Stats = p.stats(out.Drafts, firstQuality, out.Stats)
	return out, nil
}

// reason is an error's cause in words a person can act on.
func reason(err error) string {
	var ae *llm.APIError
	switch {
	case errors.As(err, &ae) && ae.AuthFailed():
		return "it refused the API key"
	case errors.Is(err, domain.ErrRateLimited):
		return "it is rate limiting us"
	case errors.Is(err, domain.ErrUnavailable):
		return unavailableReason(err)
	case errors.Is(err, llm.ErrInvalidOutput):
		return "its answer was not usable"
	case errors.As(err, &ae):
		return "it rejected the request"
	}
	return "an unexpected error"
}

// chunkSize is the most stories one LLM call writes or revises: longer
// answers take longer than an attempt's timeout and the job's lease allow,
// so bigger requests are planned first and written in parallel.
const chunkSize = 4

// llmCall is one structured call of a parallel batch.
type llmCall struct {
	req llm.Request
	ans llmDrafts
	res llm.Result
	err error
}

// completeAll makes the calls in parallel, adds their usage to out and
// returns the first error.
func (p *pipeline) completeAll(ctx context.Context, calls []*llmCall, out *outcome) error {
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.res, c.err = p.LLM.Complete(ctx, c.req, &c.ans)
		}()
	}
	wg.Wait()
	var first error
	for _, c := range calls {
		addUsage(&out.Usage, c.res.Usage)
		if c.res.Repaired {
			out.Stats.Repaired++
		}
		if c.err != nil && first == nil {
			first = c.err
		}
	}
	return first
}

func (p *pipeline) llmDrafts(ctx context.Context, form Form, f research.Findings, out *outcome) ([]Content, error) {
	out.Usage.Model = p.LLM.Model()
	system, err := render(p.prompts.system, nil)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"Count": form.Count, "Project": p.Project, "Form": form, "Findings": f, "Strategy": p.Strategy, "Plan": nil}
	var chunks [][]planItem
	if form.Count > chunkSize {
		plan, err := p.plan(ctx, system, data, out)
		if err != nil {
			return nil, err
		}
		for i := 0; i < len(plan) && i < form.Count; i += chunkSize {
			chunks = append(chunks, plan[i:min(i+chunkSize, len(plan), form.Count)])
		}
	}
	var calls []*llmCall
	if len(chunks) == 0 {
		calls = append(calls, nil)
	}
	for range chunks {
		calls = append(calls, nil)
	}
	for i := range calls {
		n := form.Count
		if len(chunks) > 0 {
			data["Plan"], n = chunks[i], len(chunks[i])
		}
		data["Count"] = n
		user, err := render(p.prompts.draft, data)
		if err != nil {
			return nil, err
		}
		calls[i] = &llmCall{req: llm.Request{Name: "story_drafts", Schema: draftsSchema, System: system, User: user,
			MaxTokens: 1200 + 900*n, Temperature: 0.4}}
	}
	if err := p.completeAll(ctx, calls, out); err != nil {
		return nil, err
	}
	var cs []Content
	for _, c := range calls {
		for _, d := range c.ans.Drafts {
			ct := fromLLM(d, f.Sources, form.ParentEpic)
			if ct.UserStory == "" && len(ct.AcceptanceCriteria) == 0 {
				continue
			}
			if len(cs) < form.Count {
				cs = append(cs, ct)
			}
		}
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("generate: the model returned no usable draft: %w", llm.ErrInvalidOutput)
	}
	if len(cs) < form.Count {
		out.Notices = append(out.Notices, fmt.Sprintf("The AI wrote %d of the %d stories asked for.", len(cs), form.Count))
	}
	return cs, nil
}

// plan asks for the titles and goals of a large request's stories.
func (p *pipeline) plan(ctx context.Context, system string, data map[string]any, out *outcome) ([]planItem, error) {
	user, err := render(p.prompts.plan, data)
	if err != nil {
		return nil, err
	}
	var ans llmPlan
	res, err := p.LLM.Complete(ctx, llm.Request{Name: "story_plan", Schema: planSchema, System: system, User: user,
		MaxTokens: 300 + 100*data["Count"].(int), Temperature: 0.4}, &ans)
	addUsage(&out.Usage, res.Usage)
	if res.Repaired {
		out.Stats.Repaired++
	}
	if err != nil {
		return nil, err
	}
	var plan []planItem
	for _, it := range ans.Stories {
		it.Title, it.Goal = oneLine(it.Title), oneLine(it.Goal)
		if it.Title != "" {
			plan = append(plan, it)
		}
	}
	if len(plan) == 0 {
		return nil, fmt.Errorf("generate: the model planned no story: %w", llm.ErrInvalidOutput)
	}
	return plan, nil
}

func addUsage(dst *llm.Usage, u llm.Usage) {
	dst.Calls += u.Calls
	dst.PromptTokens += u.PromptTokens
	dst.CompletionTokens += u.CompletionTokens
	dst.CostMicroUSD += u.CostMicroUSD
}

// fromLLM turns an answered draft into content, resolving its cited
// source numbers against the research (unknown numbers are dropped: a
// model cannot cite what it was not given).
func fromLLM(d llmDraft, sources []research.Source, epic string) Content {
	c := Content{Title: d.Title, UserStory: d.UserStory, AcceptanceCriteria: d.AcceptanceCriteria, NFRs: d.NFRs,
		Metrics: d.Metrics, Risks: d.Risks, Dependencies: d.Dependencies, Rollout: d.Rollout, OpenQuestions: d.OpenQuestions,
		Pillars: d.Pillars, WhyNow: d.WhyNow, WhyThis: d.WhyThis, WhyUs: d.WhyUs, ParentEpic: epic}
	seen := map[int]bool{}
	for _, n := range d.Sources {
		if n >= 1 && n <= len(sources) && !seen[n] {
			seen[n] = true
			c.Sources = append(c.Sources, sources[n-1])
		}
	}
	c.normalize()
	if c.Title == "" {
		c.Title = titleFrom(c.UserStory)
	}
	return c
}

// titleFrom makes a title of a story sentence's goal.
func titleFrom(story string) string {
	l := strings.ToLower(story)
	if i := strings.Index(l, "i want "); i >= 0 {
		goal := story[i+len("i want "):]
		if j := strings.Index(strings.ToLower(goal), ", so that"); j >= 0 {
			goal = goal[:j]
		} else if j := strings.Index(strings.ToLower(goal), " so that"); j >= 0 {
			goal = goal[:j]
		}
		goal = strings.TrimPrefix(strings.TrimPrefix(goal, "to "), "to be able to ")
		return truncate(upperFirst(strings.TrimRight(goal, " .,")), 80)
	}
	return truncate(story, 80)
}

type reviseItem struct {
	Index    int
	Quality  int
	JSON     string
	Findings []domain.Finding
}

// revise sends the drafts below the bar to one revision pass and keeps
// each revision that scores at least as well as its draft.
func (p *pipeline) revise(ctx context.Context, out *outcome) error {
	bar := p.bar()
	var items []reviseItem
	for i, g := range out.Drafts {
		if g.Analysis.Check.Quality >= bar {
			continue
		}
		view := g.Content
		view.Sources = nil // kept as they are; not the model's to rewrite
		raw, _ := json.MarshalIndent(view, "", "  ")
		items = append(items, reviseItem{Index: i + 1, Quality: g.Analysis.Check.Quality, JSON: string(raw), Findings: g.Analysis.Check.Findings})
	}
	if len(items) == 0 {
		return nil
	}
	p.progress(domain.RunRevising, 0.7)
	out.Stats.Revised = len(items)
	system, err := render(p.prompts.system, nil)
	if err != nil {
		return err
	}
	var calls []*llmCall
	for i := 0; i < len(items); i += chunkSize {
		chunk := items[i:min(i+chunkSize, len(items))]
		user, err := render(p.prompts.revise, map[string]any{"Project": p.Project, "QualityBar": bar, "Drafts": chunk})
		if err != nil {
			return err
		}
		calls = append(calls, &llmCall{req: llm.Request{Name: "story_revisions", Schema: revisionSchema, System: system, User: user,
			MaxTokens: 1200 + 900*len(chunk), Temperature: 0.2}})
	}
	if err := p.completeAll(ctx, calls, out); err != nil {
		return err
	}
	var ans llmDrafts
	for _, c := range calls {
		ans.Drafts = append(ans.Drafts, c.ans.Drafts...)
	}
	for _, r := range ans.Drafts {
		i := r.Index - 1
		if i < 0 || i >= len(out.Drafts) || out.Drafts[i].Revised || out.Drafts[i].Analysis.Check.Quality >= bar {
			continue
		}
		g := &out.Drafts[i]
		rev := fromLLM(r, nil, g.Content.ParentEpic)
		rev.Sources = nil
		merged := merge(g.Content, rev)
		merged.normalize()
		a := merged.Analyse(p.Analyse, p.Project)
		first := g.Analysis
		g.First, g.Revised = &first, true
		if a.Check.Quality >= first.Check.Quality {
			g.Content, g.Analysis = merged, a
			out.Stats.RevisionKept++
		}
	}
	return nil
}

func (p *pipeline) stats(ds []generated, first []int, s Stats) Stats {
	bar := p.bar()
	s.Drafts, s.QualityBar = len(ds), bar
	var sumFirst, sumFinal int
	for i, g := range ds {
		if first[i] >= bar {
			s.FirstPassPassed++
		}
		if g.Analysis.Check.Quality >= bar {
			s.PassedAfter++
		}
		sumFirst += first[i]
		sumFinal += g.Analysis.Check.Quality
		gwt, n := GWTShare(g.Content.AcceptanceCriteria)
		s.GWTCriteria += gwt
		s.Criteria += n
	}
	if len(ds) > 0 {
		s.MeanFirst = float64(sumFirst) / float64(len(ds))
		s.MeanFinal = float64(sumFinal) / float64(len(ds))
	}
	return s
}
