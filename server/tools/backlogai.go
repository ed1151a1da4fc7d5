package tools

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/store"
)

// Services are what the BacklogAI tools call: the same services the web
// handlers call. Functions that live in the web layer are passed in
// rather than copied.
type Services struct {
	Store   *store.Store
	Backlog *backlog.Service
	// JiraClients and Models are the Jira clients and project models the
	// web handlers use.
	JiraClients *jiraclients.Registry
	Models      *projectmodel.Cache
	// Generator drafts, improves and splits (nil: those tools are left out).
	Generator *generate.Service
	// ValidateStrategy checks and completes a strategy as the Strategy tab
	// does; it returns a message for the person, or "".
	ValidateStrategy func(*domain.Strategy) string
	// Health is the project's health summary as the Health tab shows it.
	Health func(ctx context.Context, t *domain.Tenant, project string) (map[string]any, error)
	Now    func() time.Time
}

// ProjectArg names the project a tool acts on.
type ProjectArg struct {
	Project string `json:"project" jsonschema:"Jira project key, for example SHOP"`
}

// ProjectKey implements Scoped.
func (a ProjectArg) ProjectKey() string { return a.Project }

// IssueArg names the issue a tool acts on (its project is the key's).
type IssueArg struct {
	Issue string `json:"issue" jsonschema:"Jira issue key, for example SHOP-12"`
}

// ProjectKey implements Scoped.
func (a IssueArg) ProjectKey() string { return ProjectOfIssue(a.Issue) }

// Register adds the BacklogAI tools to r.
func Register(r *Registry, s Services) {
	if s.Now == nil {
		s.Now = time.Now
	}
	r.Add(
		New(Spec{Name: "list_backlog", Title: "List the ranked backlog", ReadOnly: true,
			Description: "Lists the project's analysed issues ranked by BacklogAI score (0-100, highest first), with MoSCoW class, " +
				"story quality (0-100, -1 when no story check applies), story-point estimate and flags. Filter by MoSCoW class, " +
				"flag (duplicate, vague, stale, too_big), issue type or text; page with limit and offset."}, s.listBacklog),
		New(Spec{Name: "explain_issue", Title: "Explain one issue", ReadOnly: true,
			Description: "Explains an issue's rank: total score, the five weighted pillars with their evidence, why now / why this / " +
				"why us, MoSCoW class (and any override), INVEST letters and quality findings each with a suggested fix, " +
				"likely duplicates and the story-point estimate with the similar past issues it is based on."}, s.explainIssue),
		New(Spec{Name: "check_story", Title: "Check a story text", ReadOnly: true,
			Description: "Checks a story text (summary and description) against INVEST and the Quality User Story criteria of the " +
				"project, without writing anything: quality 0-100, INVEST letters and findings with fixes."}, s.checkStory),
		New(Spec{Name: "find_duplicates", Title: "Find duplicates of a text", ReadOnly: true,
			Description: "Finds the project's issues most similar to a summary and description (similarity 0-1; near = likely " +
				"duplicate). Writes nothing."}, s.findDuplicates),
		New(Spec{Name: "estimate_story", Title: "Estimate a text", ReadOnly: true,
			Description: "Estimates story points for a summary and description from the team's own estimated history (the most " +
				"similar past issues), with a confidence 0-1. Writes nothing."}, s.estimateStory),
		New(Spec{Name: "get_strategy", Title: "Read the strategy", ReadOnly: true,
			Description: "Returns the project's prioritisation strategy: vision, objectives, competitors, pillar weights, MoSCoW " +
				"mode and thresholds or capacity, and the quality, split and staleness settings."}, s.getStrategy),
		New(Spec{Name: "update_strategy", Title: "Update the strategy", Destructive: true,
			Permissions: []access.Permission{access.AdministerProjects},
			Description: "Changes the project's strategy (project administrators only). Only the fields given change. Saving " +
				"re-scores and re-ranks every issue of the project and writes the new scores back to Jira."}, s.updateStrategy),
		New(Spec{Name: "get_health", Title: "Backlog health", ReadOnly: true,
			Description: "Summarises the backlog's health: open issues, score histogram, MoSCoW counts, INVEST pass rates, quality " +
				"over time, duplicate clusters and stale issues."}, s.health),
		New(Spec{Name: "link_duplicate", Title: "Link as duplicate",
			Permissions: []access.Permission{access.LinkIssues},
			Description: "Records in Jira, as you, that issue duplicates another issue of the same project (a Duplicate link)."}, s.linkDuplicate),
		New(Spec{Name: "override_priority", Title: "Override the MoSCoW class", Destructive: true,
			Permissions: []access.Permission{access.EditIssues},
			Description: "Overrides an issue's MoSCoW class (Must, Should, Could or Won't) with a reason, or clears the override " +
				"(clear: true). The issue is re-ranked at once."}, s.overridePriority),
	)
	if s.Generator == nil {
		return
	}
	r.Add(
		New(Spec{Name: "draft_stories", Title: "Draft stories for an objective",
			Permissions: []access.Permission{access.CreateIssues},
			Description: "Drafts INVEST-ready user stories from a product context and an objective (nothing is created in Jira: " +
				"drafts are saved in BacklogAI; create_drafts creates them). Waits up to waitSeconds for the drafts; if the run " +
				"is still going, poll get_draft_run with the runId. Uses the project's AI budget."}, s.draftStories),
		New(Spec{Name: "get_draft_run", Title: "Get a drafting run", ReadOnly: true,
			Description: "Returns a drafting run's state and its drafts (with quality, score, estimate and duplicates)."}, s.getDraftRun),
		New(Spec{Name: "create_drafts", Title: "Create drafts in Jira",
			Permissions: []access.Permission{access.CreateIssues},
			Description: "Creates the selected drafts as Jira issues, as you. Requires confirm: true after the person chose the " +
				"drafts. Creating the same draft twice creates it once."}, s.createDrafts),
		New(Spec{Name: "propose_improvement", Title: "Propose an improvement", ReadOnly: true,
			Description: "Proposes a rewrite of an issue's summary and description that fixes its quality findings, with the " +
				"quality before and after and a diff. Changes nothing; apply_improvement applies it."}, s.proposeImprovement),
		New(Spec{Name: "apply_improvement", Title: "Apply an improvement", Destructive: true,
			Permissions: []access.Permission{access.EditIssues},
			Description: "Replaces an issue's summary and description in Jira, as you, with the given text (usually from " +
				"propose_improvement). Requires confirm: true after the person approved the change."}, s.applyImprovement),
		New(Spec{Name: "propose_split", Title: "Propose a split", ReadOnly: true,
			Description: "Proposes 2-5 smaller stories that together replace a too-big issue, each checked for quality. Changes " +
				"nothing; apply_split creates them."}, s.proposeSplit),
		New(Spec{Name: "apply_split", Title: "Apply a split",
			Permissions: []access.Permission{access.CreateIssues, access.EditIssues},
			Description: "Creates the given stories in Jira, as you, under the original's epic and links each to the original. " +
				"Requires confirm: true after the person approved the stories."}, s.applySplit),
	)
}

// BacklogRow is one line of the ranked backlog.
type BacklogRow struct {
	Key      string   `json:"key"`
	Summary  string   `json:"summary"`
	Type     string   `json:"type"`
	Score    int      `json:"score"`
	Moscow   string   `json:"moscow"`
	Quality  int      `json:"quality"`
	Estimate *float64 `json:"estimate"`
	Flags    []string `json:"flags"`
}

// BacklogRowOf is a stored backlog row as the tools and the app API show
// it: the score floored, flags never null.
func BacklogRowOf(r store.BacklogRow) BacklogRow {
	row := BacklogRow{Key: r.Key, Summary: r.Summary, Type: r.Type, Score: int(math.Floor(r.Score)), Moscow: r.Moscow,
		Quality: r.Quality, Estimate: r.Estimate, Flags: r.Flags}
	if row.Flags == nil {
		row.Flags = []string{}
	}
	return row
}

// ListBacklogIn filters and pages the backlog.
type ListBacklogIn struct {
	ProjectArg
	Moscow        string `json:"moscow,omitempty" jsonschema:"only this MoSCoW class: Must, Should, Could or Won't"`
	Flag          string `json:"flag,omitempty" jsonschema:"only issues with this flag: duplicate, vague, stale or too_big"`
	Type          string `json:"type,omitempty" jsonschema:"only this issue type: story, bug, task, epic, subtask"`
	Query         string `json:"query,omitempty" jsonschema:"only issues whose key or summary contains this text"`
	Sort          string `json:"sort,omitempty" jsonschema:"score (default), quality, estimate, key or updated"`
	Ascending     bool   `json:"ascending,omitempty" jsonschema:"sort ascending instead of descending"`
	IncludeClosed bool   `json:"includeClosed,omitempty" jsonschema:"include done issues"`
	Limit         int    `json:"limit,omitempty" jsonschema:"rows to return, 1-100 (default 25)"`
	Offset        int    `json:"offset,omitempty" jsonschema:"rows to skip"`
}

// ListBacklogOut is a page of the backlog.
type ListBacklogOut struct {
	Rows   []BacklogRow `json:"rows"`
	Total  int64        `json:"total"`
	Offset int          `json:"offset"`
}

func (s Services) listBacklog(ctx context.Context, c Caller, in ListBacklogIn) (ListBacklogOut, error) {
	switch in.Moscow {
	case "", "Must", "Should", "Could", "Won't":
	default:
		return ListBacklogOut{}, Invalid("moscow must be Must, Should, Could or Won't")
	}
	switch in.Flag {
	case "", domain.FlagDuplicate, domain.FlagVague, domain.FlagStale, domain.FlagTooBig:
	default:
		return ListBacklogOut{}, Invalid("flag must be duplicate, vague, stale or too_big")
	}
	switch in.Sort {
	case "", "score", "quality", "estimate", "key", "updated":
	default:
		return ListBacklogOut{}, Invalid("sort must be score, quality, estimate, key or updated")
	}
	if in.Limit < 0 || in.Limit > 100 || in.Offset < 0 {
		return ListBacklogOut{}, Invalid("limit must be 1-100 and offset 0 or more")
	}
	if in.Limit == 0 {
		in.Limit = 25
	}
	q := store.BacklogQuery{Sort: in.Sort, Asc: in.Ascending, Moscow: in.Moscow, Flag: in.Flag, Type: in.Type, Text: in.Query,
		OpenOnly: !in.IncludeClosed, Offset: in.Offset, Limit: in.Limit}
	rows, total, err := s.Store.Tenant(c.Tenant).Backlog(ctx, in.Project, q)
	if err != nil {
		return ListBacklogOut{}, err
	}
	out := ListBacklogOut{Rows: make([]BacklogRow, len(rows)), Total: total, Offset: in.Offset}
	for i, r := range rows {
		out.Rows[i] = BacklogRowOf(r)
	}
	return out, nil
}

// ExplainOut explains one issue's rank and quality.
type ExplainOut struct {
	Key      string `json:"key"`
	Analysed bool   `json:"analysed" jsonschema:"false while the issue waits for its first analysis"`
	Summary  string `json:"summary"`
	Type     string `json:"type"`
	Status   string `json:"status"`
	URL      string `json:"url"`
	// Rank.
	Score          float64              `json:"score"`
	Moscow         string               `json:"moscow"`
	ComputedMoscow string               `json:"computedMoscow" jsonschema:"the class before any override"`
	Override       *domain.Override     `json:"override"`
	Pillars        []domain.PillarScore `json:"pillars"`
	UrgencyBonus   float64              `json:"urgencyBonus"`
	WhyNow         string               `json:"whyNow"`
	WhyThis        string               `json:"whyThis"`
	WhyUs          string               `json:"whyUs"`
	// Quality.
	Quality  int               `json:"quality" jsonschema:"0-100, or -1 when no story check applies"`
	Letters  map[string]string `json:"letters" jsonschema:"INVEST letter to pass, warn, fail or n/a"`
	Findings []domain.Finding  `json:"findings"`
	// Duplicates and estimate.
	Duplicates []domain.Candidate `json:"duplicates"`
	Estimate   domain.Estimate    `json:"estimate"`
	Flags      []string           `json:"flags"`
}

func (s Services) explainIssue(ctx context.Context, c Caller, in IssueArg) (ExplainOut, error) {
	r, err := s.Store.Tenant(c.Tenant).Result(ctx, in.Issue)
	if errors.Is(err, domain.ErrNotFound) {
		return ExplainOut{}, &Error{Status: 404, Code: "not_found", Message: "BacklogAI does not know issue " + in.Issue + " (not in an activated project, or deleted).", Err: err}
	}
	if err != nil {
		return ExplainOut{}, err
	}
	out := ExplainOut{Key: in.Issue, Summary: r.Issue.Summary, Type: string(r.Issue.Type), Status: r.Issue.Status,
		URL:     strings.TrimRight(c.Tenant.DisplayURLOrBase(), "/") + "/browse/" + in.Issue,
		Pillars: []domain.PillarScore{}, Findings: []domain.Finding{}, Duplicates: []domain.Candidate{}, Flags: []string{}, Letters: map[string]string{}}
	if a := r.Analysis; a != nil {
		out.Analysed = true
		out.Score, out.Moscow, out.ComputedMoscow, out.Override = a.Score.Total, string(a.Score.Moscow), string(a.Score.Computed), a.Score.Override
		out.UrgencyBonus, out.WhyNow, out.WhyThis, out.WhyUs = a.Score.UrgencyBonus, a.Score.WhyNow, a.Score.WhyThis, a.Score.WhyUs
		out.Quality, out.Estimate = a.Check.Quality, a.Estimate
		if a.Score.Pillars != nil {
			out.Pillars = a.Score.Pillars
		}
		if a.Check.Letters != nil {
			out.Letters = a.Check.Letters
		}
		if a.Check.Findings != nil {
			out.Findings = a.Check.Findings
		}
		if a.Duplicates != nil {
			out.Duplicates = a.Duplicates
		}
		if a.Flags != nil {
			out.Flags = a.Flags
		}
	}
	return out, nil
}

// TextIn is a story text to analyse without writing anything.
type TextIn struct {
	ProjectArg
	Summary     string `json:"summary" jsonschema:"the story's title, for example: As a shopper I want to save my cart so that I can buy later"`
	Description string `json:"description,omitempty" jsonschema:"the story's description, with acceptance criteria"`
	Type        string `json:"type,omitempty" jsonschema:"issue type: story (default), bug, task or epic"`
}

// analyse runs the project's analysis engine on the text as if it were a
// new issue of the project (the engine's own entry point for drafts).
func (s Services) analyse(ctx context.Context, c Caller, in TextIn) (domain.Analysis, error) {
	in.Summary, in.Description = strings.TrimSpace(in.Summary), strings.TrimSpace(in.Description)
	if in.Summary == "" || len(in.Summary) > 255 {
		return domain.Analysis{}, Invalid("summary is required (at most 255 characters)")
	}
	if len(in.Description) > 32000 {
		return domain.Analysis{}, Invalid("description is too long (at most 32000 characters)")
	}
	typ := domain.TypeStory
	if in.Type != "" {
		typ = domain.NormaliseIssueType(in.Type)
	}
	model, unlock, err := s.Models.Get(ctx, c.Tenant, in.Project)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Analysis{}, &Error{Status: 404, Code: "not_activated", Message: "BacklogAI is not active on project " + in.Project + ": open it once in Jira first.", Err: err}
	}
	if err != nil {
		return domain.Analysis{}, err
	}
	defer unlock()
	now := s.Now()
	is := domain.Issue{Key: "DRAFT", ProjectKey: in.Project, Type: typ, Summary: in.Summary, Description: in.Description,
		StatusCat: domain.StatusToDo, Created: now, Updated: now}
	return model.AnalyseIssue(is, analysis.ExtraInput{}), nil
}

// CheckOut is a story text's quality.
type CheckOut struct {
	Quality       int               `json:"quality" jsonschema:"0-100, or -1 when no story check applies to the type"`
	JudgedAsStory bool              `json:"judgedAsStory"`
	Letters       map[string]string `json:"letters"`
	Findings      []domain.Finding  `json:"findings"`
}

func (s Services) checkStory(ctx context.Context, c Caller, in TextIn) (CheckOut, error) {
	a, err := s.analyse(ctx, c, in)
	if err != nil {
		return CheckOut{}, err
	}
	out := CheckOut{Quality: a.Check.Quality, JudgedAsStory: a.Check.JudgedAsStory, Letters: a.Check.Letters, Findings: a.Check.Findings}
	if out.Findings == nil {
		out.Findings = []domain.Finding{}
	}
	if out.Letters == nil {
		out.Letters = map[string]string{}
	}
	return out, nil
}

// DuplicatesOut lists similar issues.
type DuplicatesOut struct {
	Duplicates []domain.Candidate `json:"duplicates"`
}

func (s Services) findDuplicates(ctx context.Context, c Caller, in TextIn) (DuplicatesOut, error) {
	a, err := s.analyse(ctx, c, in)
	if err != nil {
		return DuplicatesOut{}, err
	}
	if a.Duplicates == nil {
		a.Duplicates = []domain.Candidate{}
	}
	return DuplicatesOut{Duplicates: a.Duplicates}, nil
}

// EstimateOut is a story-point estimate.
type EstimateOut struct {
	Estimate domain.Estimate `json:"estimate"`
}

func (s Services) estimateStory(ctx context.Context, c Caller, in TextIn) (EstimateOut, error) {
	a, err := s.analyse(ctx, c, in)
	if err != nil {
		return EstimateOut{}, err
	}
	return EstimateOut{Estimate: a.Estimate}, nil
}

// StrategyOut is a project's strategy.
type StrategyOut struct {
	Project  string          `json:"project"`
	Strategy domain.Strategy `json:"strategy"`
}

func (s Services) getStrategy(ctx context.Context, c Caller, in ProjectArg) (StrategyOut, error) {
	p, err := s.Store.Tenant(c.Tenant).Project(ctx, in.Project)
	if errors.Is(err, domain.ErrNotFound) {
		return StrategyOut{Project: in.Project, Strategy: domain.DefaultStrategy()}, nil
	}
	if err != nil {
		return StrategyOut{}, err
	}
	return StrategyOut{Project: in.Project, Strategy: p.Strategy}, nil
}

// StrategyPatch holds the strategy fields to change.
type StrategyPatch struct {
	Vision           *string     `json:"vision,omitempty"`
	Objectives       *[]string   `json:"objectives,omitempty"`
	Competitors      *[]string   `json:"competitors,omitempty"`
	Weights          *[5]float64 `json:"weights,omitempty" jsonschema:"0-10 per pillar, in the order of get_strategy's pillars"`
	Mode             *string     `json:"mode,omitempty" jsonschema:"thresholds or capacity"`
	Thresholds       *[3]float64 `json:"thresholds,omitempty" jsonschema:"Must, Should, Could lower bounds (100 ≥ Must ≥ Should ≥ Could ≥ 0)"`
	Capacity         *float64    `json:"capacity,omitempty" jsonschema:"story points of capacity mode"`
	CommercialLabels *[]string   `json:"commercialLabels,omitempty"`
	SplitThreshold   *float64    `json:"splitThreshold,omitempty"`
	QualityBar       *int        `json:"qualityBar,omitempty"`
	StaleDays        *int        `json:"staleDays,omitempty"`
}

// UpdateStrategyIn changes some strategy fields.
type UpdateStrategyIn struct {
	ProjectArg
	Strategy StrategyPatch `json:"strategy"`
}

func (s Services) updateStrategy(ctx context.Context, c Caller, in UpdateStrategyIn) (StrategyOut, error) {
	cur, err := s.getStrategy(ctx, c, in.ProjectArg)
	if err != nil {
		return StrategyOut{}, err
	}
	st, p := cur.Strategy, in.Strategy
	if p.Vision != nil {
		st.Vision = *p.Vision
	}
	if p.Objectives != nil {
		st.Objectives = *p.Objectives
	}
	if p.Competitors != nil {
		st.Competitors = *p.Competitors
	}
	if p.Weights != nil {
		st.Weights = *p.Weights
	}
	if p.Mode != nil {
		st.Mode = domain.MoscowMode(*p.Mode)
	}
	if p.Thresholds != nil {
		st.Thresholds = *p.Thresholds
	}
	if p.Capacity != nil {
		st.Capacity = *p.Capacity
	}
	if p.CommercialLabels != nil {
		st.CommercialLabels = *p.CommercialLabels
	}
	if p.SplitThreshold != nil {
		st.SplitThreshold = *p.SplitThreshold
	}
	if p.QualityBar != nil {
		st.QualityBar = *p.QualityBar
	}
	if p.StaleDays != nil {
		st.StaleDays = *p.StaleDays
	}
	if msg := s.ValidateStrategy(&st); msg != "" {
		return StrategyOut{}, Invalid("strategy: " + msg)
	}
	ts := s.Store.Tenant(c.Tenant)
	if _, err := ts.EnsureProject(ctx, in.Project, "", ""); err != nil {
		return StrategyOut{}, err
	}
	if err := ts.SetStrategy(ctx, in.Project, st); err != nil {
		return StrategyOut{}, err
	}
	if err := s.Backlog.QueueRescore(ctx, c.Tenant, in.Project); err != nil {
		return StrategyOut{}, err
	}
	return StrategyOut{Project: in.Project, Strategy: st}, nil
}

// HealthOut is the health summary of the Health tab.
type HealthOut struct {
	Project string         `json:"project"`
	Health  map[string]any `json:"health"`
}

func (s Services) health(ctx context.Context, c Caller, in ProjectArg) (HealthOut, error) {
	if s.Health == nil {
		return HealthOut{}, &Error{Status: 503, Code: "unavailable", Message: "The health summary is not available on this server."}
	}
	h, err := s.Health(ctx, c.Tenant, in.Project)
	if err != nil {
		return HealthOut{}, err
	}
	return HealthOut{Project: in.Project, Health: h}, nil
}

// LinkDuplicateIn links an issue as a duplicate of another.
type LinkDuplicateIn struct {
	IssueArg
	DuplicateOf string `json:"duplicateOf" jsonschema:"the issue it duplicates, of the same project, for example SHOP-7"`
}

// LinkOut confirms a link.
type LinkOut struct {
	Key        string `json:"key"`
	Duplicates string `json:"duplicates"`
	Linked     bool   `json:"linked"`
}

func (s Services) linkDuplicate(ctx context.Context, c Caller, in LinkDuplicateIn) (LinkOut, error) {
	other := strings.TrimSpace(in.DuplicateOf)
	switch {
	case ProjectOfIssue(other) == "" || !ValidProjectKey(ProjectOfIssue(other)):
		return LinkOut{}, Invalid("duplicateOf must be an issue key such as SHOP-12")
	case other == in.Issue:
		return LinkOut{}, Invalid("duplicateOf: an issue cannot duplicate itself")
	case ProjectOfIssue(other) != ProjectOfIssue(in.Issue):
		return LinkOut{}, Invalid("duplicateOf must be an issue of the same project")
	}
	client, err := s.JiraClients.ForUser(ctx, c.Tenant, c.AccountID) // linked as the person
	if err != nil {
		return LinkOut{}, err
	}
	if err := client.CreateLink(ctx, "Duplicate", in.Issue, other); err != nil {
		return LinkOut{}, err
	}
	return LinkOut{Key: in.Issue, Duplicates: other, Linked: true}, nil
}

// OverrideIn sets or clears a MoSCoW override.
type OverrideIn struct {
	IssueArg
	Moscow string `json:"moscow,omitempty" jsonschema:"Must, Should, Could or Won't (omit with clear: true)"`
	Reason string `json:"reason,omitempty" jsonschema:"why, shown to the team (required with moscow)"`
	Clear  bool   `json:"clear,omitempty" jsonschema:"remove the override instead"`
}

func (s Services) overridePriority(ctx context.Context, c Caller, in OverrideIn) (ExplainOut, error) {
	ts := s.Store.Tenant(c.Tenant)
	if in.Clear {
		if in.Moscow != "" {
			return ExplainOut{}, Invalid("give either moscow and reason, or clear: true")
		}
		if err := ts.ClearOverride(ctx, in.Issue); err != nil {
			return ExplainOut{}, err
		}
	} else {
		err := ts.SetOverride(ctx, in.Issue, domain.Override{Moscow: domain.Moscow(in.Moscow), Reason: strings.TrimSpace(in.Reason), AccountID: c.AccountID})
		if errors.Is(err, domain.ErrInvalid) {
			return ExplainOut{}, Invalid("moscow must be Must, Should, Could or Won't, and reason is required")
		}
		if err != nil {
			return ExplainOut{}, err
		}
	}
	if err := s.Backlog.Reanalyse(ctx, c.Tenant, ProjectOfIssue(in.Issue), in.Issue); err != nil {
		return ExplainOut{}, err
	}
	return s.explainIssue(ctx, c, in.IssueArg)
}

// DraftIn asks for drafts.
type DraftIn struct {
	ProjectArg
	Context     string   `json:"context" jsonschema:"the product context: who the users are, what exists, what is wrong"`
	Objective   string   `json:"objective" jsonschema:"what the stories should achieve"`
	Persona     string   `json:"persona,omitempty"`
	Segment     string   `json:"segment,omitempty"`
	Constraints string   `json:"constraints,omitempty"`
	Metrics     string   `json:"metrics,omitempty" jsonschema:"how success is measured"`
	Competitors []string `json:"competitors,omitempty"`
	Research    bool     `json:"research,omitempty" jsonschema:"research the market first (uses the search quota)"`
	Count       int      `json:"count,omitempty" jsonschema:"how many stories, 1-10 (default 5)"`
	ParentEpic  string   `json:"parentEpic,omitempty" jsonschema:"epic key the stories belong to"`
	WaitSeconds int      `json:"waitSeconds,omitempty" jsonschema:"how long to wait for the drafts, 0-50 (default 30)"`
}

// RunOut is a drafting run.
type RunOut struct {
	RunID int64             `json:"runId"`
	Done  bool              `json:"done"`
	Run   *generate.RunView `json:"run"`
}

func (s Services) draftStories(ctx context.Context, c Caller, in DraftIn) (RunOut, error) {
	if in.WaitSeconds < 0 || in.WaitSeconds > 50 {
		return RunOut{}, Invalid("waitSeconds must be 0-50")
	}
	if in.WaitSeconds == 0 {
		in.WaitSeconds = 30
	}
	f := generate.Form{Context: in.Context, Objective: in.Objective, Persona: in.Persona, Segment: in.Segment, Constraints: in.Constraints,
		Metrics: in.Metrics, Competitors: in.Competitors, Research: in.Research, Count: in.Count, ParentEpic: in.ParentEpic}
	id, err := s.Generator.Submit(ctx, c.Tenant, c.AccountID, in.Project, f)
	if err != nil {
		return RunOut{}, err
	}
	deadline := time.NewTimer(time.Duration(in.WaitSeconds) * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		out, err := s.run(ctx, c, in.Project, id)
		if err != nil || out.Done {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, nil
		case <-deadline.C:
			return out, nil
		case <-tick.C:
		}
	}
}

func (s Services) run(ctx context.Context, c Caller, project string, id int64) (RunOut, error) {
	v, err := s.Generator.Run(ctx, c.Tenant, id)
	if err != nil {
		return RunOut{}, err
	}
	if v.Project != project {
		return RunOut{}, &Error{Status: 404, Code: "not_found", Message: fmt.Sprintf("Project %s has no drafting run %d.", project, id)}
	}
	return RunOut{RunID: id, Done: v.FinishedAt != nil, Run: v}, nil
}

// RunIn names a drafting run.
type RunIn struct {
	ProjectArg
	RunID int64 `json:"runId"`
}

func (s Services) getDraftRun(ctx context.Context, c Caller, in RunIn) (RunOut, error) {
	return s.run(ctx, c, in.Project, in.RunID)
}

// CreateDraftsIn selects drafts to create.
type CreateDraftsIn struct {
	ProjectArg
	DraftIDs []int64 `json:"draftIds" jsonschema:"ids of the drafts to create (from draft_stories or get_draft_run)"`
	Confirm  bool    `json:"confirm" jsonschema:"must be true: the person confirmed these drafts should become Jira issues"`
}

func (s Services) createDrafts(ctx context.Context, c Caller, in CreateDraftsIn) (generate.CreateResult, error) {
	if !in.Confirm {
		return generate.CreateResult{}, ConfirmationRequired("create issues in Jira")
	}
	if len(in.DraftIDs) == 0 {
		return generate.CreateResult{}, Invalid("draftIds must list at least one draft")
	}
	return s.Generator.CreateDrafts(ctx, c.Tenant, c.AccountID, in.Project, in.DraftIDs)
}

func (s Services) proposeImprovement(ctx context.Context, c Caller, in IssueArg) (generate.Improvement, error) {
	imp, err := s.Generator.Improve(ctx, c.Tenant, in.Issue)
	if err != nil {
		return generate.Improvement{}, err
	}
	return *imp, nil
}

// ApplyImprovementIn is the approved rewrite.
type ApplyImprovementIn struct {
	IssueArg
	Summary     string `json:"summary"`
	Description string `json:"description"`
	Confirm     bool   `json:"confirm" jsonschema:"must be true: the person approved replacing the summary and description"`
}

// UpdatedOut confirms an update; Updated is false when there was nothing
// to change, and Message says so.
type UpdatedOut struct {
	Key     string `json:"key"`
	Updated bool   `json:"updated"`
	Message string `json:"message,omitempty"`
}

func (s Services) applyImprovement(ctx context.Context, c Caller, in ApplyImprovementIn) (UpdatedOut, error) {
	if !in.Confirm {
		return UpdatedOut{}, ConfirmationRequired("change the issue in Jira")
	}
	err := s.Generator.ApplyImprovement(ctx, c.Tenant, c.AccountID, in.Issue, in.Summary, in.Description)
	if errors.Is(err, generate.ErrNoChange) {
		return UpdatedOut{Key: in.Issue, Message: "The text is the same as the issue's: nothing was written to Jira."}, nil
	}
	if err != nil {
		return UpdatedOut{}, err
	}
	return UpdatedOut{Key: in.Issue, Updated: true}, nil
}

func (s Services) proposeSplit(ctx context.Context, c Caller, in IssueArg) (generate.SplitProposal, error) {
	p, err := s.Generator.Split(ctx, c.Tenant, in.Issue)
	if err != nil {
		return generate.SplitProposal{}, err
	}
	return *p, nil
}

// StoryText is one story of a split.
type StoryText struct {
	Summary     string `json:"summary"`
	Description string `json:"description"`
}

// ApplySplitIn is the approved split.
type ApplySplitIn struct {
	IssueArg
	Stories []StoryText `json:"stories" jsonschema:"the stories to create (usually from propose_split)"`
	Confirm bool        `json:"confirm" jsonschema:"must be true: the person approved creating these stories"`
}

func (s Services) applySplit(ctx context.Context, c Caller, in ApplySplitIn) (generate.SplitResult, error) {
	if !in.Confirm {
		return generate.SplitResult{}, ConfirmationRequired("create the stories in Jira")
	}
	stories := make([]generate.SplitStory, len(in.Stories))
	for i, st := range in.Stories {
		stories[i] = generate.SplitStory{Summary: st.Summary, Description: st.Description}
	}
	res, err := s.Generator.ApplySplit(ctx, c.Tenant, c.AccountID, in.Issue, stories)
	if err != nil {
		return generate.SplitResult{}, err
	}
	return *res, nil
}
