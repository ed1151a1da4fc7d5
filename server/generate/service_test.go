package generate

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/research"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

const testAppKey = "backlogai"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// pm is the demo site's product manager (Priya), who applies and creates.
const pm = "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11"

// env is the service against the emulated Jira (demo project SHOP), a
// real SQLite store and the fake LLM server.
type env struct {
	t      *testing.T
	emu    *jiraemu.Emulator
	st     *store.Store
	tenant *domain.Tenant
	svc    *Service
	llm    *fakeLLM
	clock  *clock
	jira   *jira.Client
}

func newEnv(t *testing.T, answer func(c fakeCall) fakeReply) *env {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Now().UTC()}
	secret := "s3cr3t-shared-secret-for-tests-0123456789"
	emu := jiraemu.New(jiraemu.Options{AppKey: testAppKey, SharedSecret: secret})
	srv := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(srv.URL)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	st := storetest.Open(t, "sqlite", c.Now)
	tn, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: emu.ClientKey(), BaseURL: srv.URL, SharedSecret: secret, OAuthClientID: emu.OAuthClientID()})
	if err != nil {
		t.Fatal(err)
	}
	// Person-initiated writes act as the person: the emulator is also the
	// authorization server of user impersonation.
	clients := &jiraclients.Registry{AppKey: testAppKey, HTTP: srv.Client(),
		Impersonator: &connect.Impersonator{AuthServerURL: emu.AuthServerURL(), HTTP: srv.Client()}}
	models := &projectmodel.Cache{Store: st}
	keeper := &backlog.Service{Store: st, AppKey: testAppKey, JiraClients: clients, Models: models}
	e := &env{t: t, emu: emu, st: st, tenant: tn, clock: c}
	svc := &Service{Store: st, JiraClients: clients, Models: models, Backlog: keeper, Box: storetest.Box(t), Now: c.Now, LLMRetries: -1, Logger: slog.New(slog.DiscardHandler),
		LLMSleep: func(context.Context, time.Duration) error { return nil }, AllowInsecureURLs: true}
	if answer != nil {
		e.llm = newFakeLLM(t, answer)
		svc.Defaults.OpenAIKey, svc.Defaults.OpenAIBaseURL = "sk-test", e.llm.URL()
	}
	if err := svc.Init(); err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	if e.jira, err = clients.App(tn); err != nil {
		t.Fatal(err)
	}
	return e
}

// runJobs works the queued generation jobs as the pool would.
func (e *env) runJobs() {
	e.t.Helper()
	ctx := context.Background()
	jobs, err := e.st.ClaimJobs(ctx, e.tenant.ID, "worker-1", 10, time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	errs := e.svc.Handlers()[KindGenerate](ctx, e.tenant, jobs)
	for i, err := range errs {
		if err != nil {
			e.t.Fatalf("job %d: %v", jobs[i].ID, err)
		}
		e.st.CompleteJob(ctx, jobs[i].ID, "worker-1")
	}
}

func (e *env) generate(f Form) *RunView {
	e.t.Helper()
	ctx := context.Background()
	id, err := e.svc.Submit(ctx, e.tenant, "acc-pm", "SHOP", f)
	if err != nil {
		e.t.Fatal(err)
	}
	e.runJobs()
	v, err := e.svc.Run(ctx, e.tenant, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// anEpic returns an epic of the demo project.
func (e *env) anEpic() string {
	page, _, err := e.jira.ScanPage(context.Background(), "SHOP", jira.ScanOptions{JQLExtra: "issuetype = Epic", Fields: []string{"summary"}}, "")
	if err != nil || len(page.Issues) == 0 {
		e.t.Fatalf("no epic in the demo project: %v", err)
	}
	return page.Issues[0].Key
}

// shopAnswers answers SHOP's prompts with the checkout scenario and the
// canned improvement and split.
func shopAnswers(t *testing.T) func(c fakeCall) fakeReply {
	scenarios, err := LoadScenarios("testdata/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	sc := scenarios[0]
	return func(c fakeCall) fakeReply {
		switch c.Schema {
		case "story_drafts":
			return fakeReply{Content: string(sc.Draft)}
		case "story_revisions":
			return fakeReply{Content: string(sc.Revision)}
		case "issue_improvement":
			return fakeReply{Content: mustJSONString(llmImprove{
				Summary: "Save the cart across devices for signed-in shoppers",
				Description: "User story\n\nAs a signed-in shopper, I want my cart kept when I switch devices, so that I can finish buying on my phone.\n\n" +
					"Acceptance criteria\n\n- Given I added 2 items on desktop, when I sign in on my phone, then the cart shows the 2 items\n" +
					"- Given an item sold out meanwhile, when I open the cart, then it is marked sold out",
				Changes: []string{"Rewrote the summary as a user story.", "Added Given/When/Then acceptance criteria."}})}
		case "story_split":
			return fakeReply{Content: mustJSONString(map[string]any{"rationale": "One story per payment method.", "stories": []map[string]string{
				{"summary": "As a shopper, I want to pay with Apple Pay, so that I check out without typing card details", "description": "Split from the original.\n\nAcceptance criteria\n\n- Given Apple Pay is set up, when I pay, then the order is placed within 3 seconds"},
				{"summary": "As a shopper, I want to pay with Google Pay, so that I check out without typing card details", "description": "Split from the original.\n\nAcceptance criteria\n\n- Given Google Pay is set up, when I pay, then the order is placed within 3 seconds"},
			}})}
		}
		t.Errorf("unexpected schema %q", c.Schema)
		return fakeReply{Status: 400, Body: `{"error":{"message":"unexpected","type":"invalid_request_error"}}`}
	}
}

func mustJSONString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func checkoutForm(epic string) Form {
	return Form{Context: "ShopFlow runs online stores for small merchants.", Objective: "Reduce checkout abandonment on mobile",
		Persona: "returning mobile shopper", Metrics: "mobile checkout completion from 61% to 70%", Count: 3, ParentEpic: epic}
}

func TestGenerationRunWithLLM(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	v := e.generate(checkoutForm(""))
	if v.State != domain.RunDone || v.Mode != ModeLLM || v.Error != "" || v.PromptVersion != PromptVersion || v.Progress != 1 {
		t.Fatalf("run %+v", v)
	}
	if len(v.Drafts) != 3 {
		t.Fatalf("%d drafts", len(v.Drafts))
	}
	weak := v.Drafts[2]
	if !weak.Revised || weak.FirstQuality == nil || *weak.FirstQuality >= 70 || weak.Check.Quality < 70 || weak.Title != "Autofill the shipping address on mobile" {
		t.Errorf("revised draft: revised=%v first=%v now=%d title=%q", weak.Revised, weak.FirstQuality, weak.Check.Quality, weak.Title)
	}
	// Fields the revision left out keep the draft's values.
	if len(weak.Pillars) != 5 || weak.WhyThis != "Checkout is slow." {
		t.Errorf("revision blanks not filled from the draft: pillars %d, whyThis %q", len(weak.Pillars), weak.WhyThis)
	}
	for _, d := range v.Drafts {
		if d.Status != domain.DraftNew || d.Score.Total <= 0 || len(d.Score.Pillars) != 5 || d.Mode != ModeLLM {
			t.Errorf("draft %q: status %s score %+v", d.Title, d.Status, d.Score)
		}
	}
	if v.Stats == nil || v.Stats.Drafts != 3 || v.Stats.Revised != 1 || v.Stats.FirstPassPassed != 2 || v.Stats.PassedAfter != 3 {
		t.Errorf("stats %+v", v.Stats)
	}
	calls := e.llm.Calls()
	if len(calls) != 2 || calls[0].Schema != "story_drafts" || calls[1].Schema != "story_revisions" ||
		!strings.Contains(calls[0].User, "Reduce checkout abandonment on mobile") || !strings.Contains(calls[0].System, "INVEST") {
		t.Errorf("llm calls %+v", calls)
	}
	u, _ := e.st.Tenant(e.tenant).Usage(context.Background(), domain.UsagePeriod(e.clock.Now()))
	if u.LLMCalls != 2 || u.LLMCostMicro <= 0 || u.PromptTokens <= 0 {
		t.Errorf("usage not recorded: %+v", u)
	}
	// The run is done once: a job that runs again changes nothing.
	before := len(e.llm.Calls())
	e.svc.generate(context.Background(), e.tenant, domain.Job{Payload: []byte(`{"runId":` + jsonInt(v.ID) + `}`)})
	if len(e.llm.Calls()) != before {
		t.Error("a finished run was generated again")
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestGenerationWithoutLLMIsDeterministic(t *testing.T) {
	e := newEnv(t, nil)
	f := checkoutForm("")
	f.Context += " Shoppers cannot pay with a wallet today."
	v := e.generate(f)
	// The wallet capability and the metric: no more can be read from the
	// form without inventing, and the notice says what an LLM would add.
	if v.State != domain.RunDone || v.Mode != ModeDeterministic || !strings.Contains(v.Notice, "No LLM configured") ||
		!strings.Contains(v.Notice, "only 2 of the 3 stories") || !strings.Contains(v.Notice, "An LLM would") || len(v.Drafts) != 2 {
		t.Fatalf("run %+v", v)
	}
	if v.Drafts[0].Content.UserStory != "As a returning mobile shopper, I want to pay with a wallet, so that mobile checkout completion can move from 61% to 70%." {
		t.Errorf("first draft %q", v.Drafts[0].Content.UserStory)
	}
	for _, d := range v.Drafts {
		if d.Check.Quality == 100 || d.Mode != ModeDeterministic || d.Estimate.Points != 0 {
			t.Errorf("deterministic draft %q: quality %d, %v points: judged as written, not given 100 or points", d.Title, d.Check.Quality, d.Estimate.Points)
		}
	}
	// A business aim with no capability and no metric: no story is
	// invented ("As a customer, I want to sell more").
	v = e.generate(Form{Objective: "Sell more", Count: 2})
	if v.State != domain.RunDone || len(v.Drafts) != 0 || !strings.Contains(v.Notice, "no story could be written from this form (2 asked for)") ||
		!strings.Contains(v.Notice, "No success metric with a target") || strings.Contains(v.Notice, "One story tracks") || strings.Contains(v.Notice, "drafts were written") {
		t.Fatalf("run %+v", v)
	}
}

func TestGenerationFallsBackWhenTheLLMFails(t *testing.T) {
	e := newEnv(t, func(c fakeCall) fakeReply {
		return fakeReply{Status: 503, Body: `{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`}
	})
	v := e.generate(checkoutForm(""))
	if v.State != domain.RunDone || v.Mode != ModeDeterministic || !strings.Contains(v.Notice, "unavailable") || len(v.Drafts) != 1 {
		t.Fatalf("run %+v", v)
	}
}

func TestBudgetExhaustion(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	var up SettingsUpdate
	up.LLM.Provider, up.Research.Provider = ProviderCompatible, ProviderNone
	up.LLM.BaseURL, up.LLM.Model = e.llm.URL(), "gpt-4o-mini"
	key := "sk-test"
	up.LLM.APIKey = &key
	up.Budgets.LLMMonthlyUSD, up.Budgets.SearchesPerMonth = ptr(0.01), ptr(10)
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc-admin", up); err != nil {
		t.Fatal(err)
	}
	// Another project's spending does not count against SHOP's budget.
	if err := e.st.Tenant(e.tenant).ForProject("SYN").AddLLMUsage(ctx, domain.UsagePeriod(e.clock.Now()), 3, 1000, 1000, 20_000_000); err != nil {
		t.Fatal(err)
	}
	if tc, _ := e.svc.config(ctx, e.tenant, "SHOP"); tc.llm == nil {
		t.Fatal("no LLM for SHOP")
	} else if err := (&meter{ts: e.st.Tenant(e.tenant).ForProject("SHOP"), now: e.clock.Now, budget: tc.budgetMicro}).Allow(ctx); err != nil {
		t.Fatalf("SHOP refused for SYN's spending: %v", err)
	}
	// This month SHOP already spent 2 cents of a 1-cent budget.
	if err := e.st.Tenant(e.tenant).ForProject("SHOP").AddLLMUsage(ctx, domain.UsagePeriod(e.clock.Now()), 3, 1000, 1000, 20_000); err != nil {
		t.Fatal(err)
	}
	v := e.generate(checkoutForm(""))
	if v.Mode != ModeDeterministic || !strings.Contains(v.Notice, "AI budget is spent") || len(e.llm.Calls()) != 0 {
		t.Errorf("over budget: mode %s notice %q, %d LLM calls", v.Mode, v.Notice, len(e.llm.Calls()))
	}
	_, err := e.svc.Improve(ctx, e.tenant, "SHOP-1")
	if !errors.Is(err, domain.ErrBudget) || !errors.Is(err, ErrLLM) {
		t.Errorf("improve over budget: %v", err)
	}
	st, _ := e.svc.Settings(ctx, e.tenant, "SHOP", false)
	if st.Usage.LLMUSDThisMonth != 0.02 || st.Budgets.LLMMonthlyUSD != 0.01 {
		t.Errorf("settings usage %+v budgets %+v", st.Usage, st.Budgets)
	}
}

func TestCreateDraftsInJira(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	epic := e.anEpic()
	v := e.generate(checkoutForm(epic))
	ids := []int64{v.Drafts[0].ID, v.Drafts[1].ID}
	before := e.emu.IssueCount("SHOP")
	res, err := e.svc.CreateDrafts(ctx, e.tenant, pm, "SHOP", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 2 || len(res.Failed) != 0 || e.emu.IssueCount("SHOP") != before+2 {
		t.Fatalf("create: %+v (%d new issues)", res, e.emu.IssueCount("SHOP")-before)
	}
	for i, c := range res.Created {
		d := v.Drafts[i]
		is, err := e.jira.GetIssue(ctx, c.Key, false)
		if err != nil {
			t.Fatal(err)
		}
		if is.Summary != d.Title || is.EpicKey != epic || is.Type != domain.TypeStory || !slices.Equal(is.Labels, []string{Label}) {
			t.Errorf("%s: summary %q epic %q type %s labels %v", c.Key, is.Summary, is.EpicKey, is.Type, is.Labels)
		}
		for _, section := range []string{"User story", "Acceptance criteria", "Success metrics", "Metric | Baseline | Target", d.AcceptanceCriteria[0]} {
			if !strings.Contains(is.Description, section) {
				t.Errorf("%s: description lacks %q", c.Key, section)
			}
		}
		// Drafts carry no story points: a suggestion there would pass for
		// the team's estimate and later train the estimator.
		if is.StoryPoints != nil {
			t.Errorf("%s: created with story points %v", c.Key, *is.StoryPoints)
		}
		if raw, ok := e.emu.IssueProperty(c.Key, backlog.PropertyKey); !ok || !strings.Contains(string(raw), `"quality":`) {
			t.Errorf("%s: backlogai property %s", c.Key, raw)
		}
		// Written by backlog, the property's only writer: its one call
		// carries the glance's label beside the JQL property.
		if raw, ok := e.emu.IssueProperty(c.Key, analysis.GlanceStatusKey(testAppKey, backlog.GlanceModuleKey)); !ok || !strings.Contains(string(raw), `"label":`) {
			t.Errorf("%s: glance status %s, want the label written with the property", c.Key, raw)
		}
		if r := e.emu.Reporter(c.Key); r != pm {
			t.Errorf("%s: created by %q, want the person %q (not the app)", c.Key, r, pm)
		}
		if !strings.HasSuffix(c.URL, "/browse/"+c.Key) || c.DraftID != d.ID {
			t.Errorf("created %+v", c)
		}
	}
	// Submitting again creates nothing and answers with the same issues.
	again, err := e.svc.CreateDrafts(ctx, e.tenant, pm, "SHOP", ids)
	if err != nil || len(again.Created) != 2 || again.Created[0].Key != res.Created[0].Key || e.emu.IssueCount("SHOP") != before+2 {
		t.Errorf("second submit: %+v %v (%d new issues)", again, err, e.emu.IssueCount("SHOP")-before)
	}
	// A created draft can no longer be edited.
	if _, err := e.svc.EditDraft(ctx, e.tenant, "SHOP", ids[0], v.Drafts[0].Content); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("edit after create: %v", err)
	}
	// Another project's page cannot create this project's drafts.
	other, _ := e.svc.CreateDrafts(ctx, e.tenant, pm, "OTHER", []int64{v.Drafts[2].ID})
	if len(other.Failed) != 1 || len(other.Created) != 0 {
		t.Errorf("cross-project create: %+v", other)
	}
}

func TestDoubleSubmitCreatesOnce(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	v := e.generate(checkoutForm(""))
	ids := []int64{v.Drafts[0].ID, v.Drafts[1].ID, v.Drafts[2].ID}
	before := e.emu.IssueCount("SHOP")
	var wg sync.WaitGroup
	results := make([]CreateResult, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.svc.CreateDrafts(ctx, e.tenant, pm, "SHOP", ids)
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}()
	}
	wg.Wait()
	if n := e.emu.IssueCount("SHOP") - before; n != 3 {
		t.Fatalf("%d issues created by two simultaneous submits of 3 drafts", n)
	}
	for i, r := range results {
		if len(r.Created) != 3 {
			t.Errorf("submit %d: %+v", i, r)
		}
	}
}

// TestCreateSurvivesCrashBetweenJiraAndStore: the process dies after Jira
// created the issues and before their keys were stored. The retry finds
// the issues (the person's, with the draft's title) instead of creating
// them again; no idempotency label is left on them.
func TestCreateSurvivesCrashBetweenJiraAndStore(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	v := e.generate(checkoutForm(""))
	ids := []int64{v.Drafts[0].ID, v.Drafts[1].ID}
	before := e.emu.IssueCount("SHOP")
	e.svc.afterCreate = func() error { return errors.New("simulated crash") }
	if _, err := e.svc.CreateDrafts(ctx, e.tenant, pm, "SHOP", ids); err == nil {
		t.Fatal("the simulated crash did not stop the request")
	}
	e.svc.afterCreate = nil
	if e.emu.IssueCount("SHOP") != before+2 {
		t.Fatalf("Jira has %d new issues after the crash", e.emu.IssueCount("SHOP")-before)
	}
	d, _ := e.st.Tenant(e.tenant).Draft(ctx, ids[0])
	if d.Status != domain.DraftCreating || d.CreatedKey != "" {
		t.Fatalf("draft after the crash: %+v", d)
	}
	// Once the claim is stale, the retry recovers.
	e.clock.Add(claimStale + time.Second)
	res, err := e.svc.CreateDrafts(ctx, e.tenant, pm, "SHOP", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 2 || e.emu.IssueCount("SHOP") != before+2 {
		t.Fatalf("retry: %+v, %d new issues", res, e.emu.IssueCount("SHOP")-before)
	}
	for _, c := range res.Created {
		is, err := e.jira.GetIssue(ctx, c.Key, false)
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := e.st.Tenant(e.tenant).Draft(ctx, c.DraftID)
		if slices.Contains(is.Labels, rec.IdemKey) || rec.Status != domain.DraftCreated || rec.CreatedKey != c.Key {
			t.Errorf("recovered %s: labels %v, draft %+v", c.Key, is.Labels, rec)
		}
	}
}

func TestEditDraftRechecks(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	v := e.generate(checkoutForm(""))
	c := v.Drafts[0].Content
	c.UserStory = "As a shopper, I want a fast and easy checkout, so that checkout is easy."
	d, err := e.svc.EditDraft(ctx, e.tenant, "SHOP", v.Drafts[0].ID, c)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != domain.DraftEdited || d.Check.Quality >= v.Drafts[0].Check.Quality || d.UserStory != c.UserStory {
		t.Errorf("edited draft: status %s quality %d (was %d)", d.Status, d.Check.Quality, v.Drafts[0].Check.Quality)
	}
	c.Title = " "
	if _, err := e.svc.EditDraft(ctx, e.tenant, "SHOP", v.Drafts[0].ID, c); !errors.As(err, new(*InputError)) {
		t.Errorf("edit without a title: %v", err)
	}
	if _, err := e.svc.EditDraft(ctx, e.tenant, "OTHER", v.Drafts[0].ID, v.Drafts[0].Content); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("edit from another project: %v", err)
	}
}

func TestImproveAndApply(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	key := "SHOP-3"
	imp, err := e.svc.Improve(ctx, e.tenant, key)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Mode != ModeLLM || imp.Summary != "Save the cart across devices for signed-in shoppers" || len(imp.Changes) != 2 {
		t.Fatalf("improvement %+v", imp)
	}
	if imp.After.Quality < imp.Before.Quality && imp.Before.Quality < 90 {
		t.Errorf("quality %d → %d", imp.Before.Quality, imp.After.Quality)
	}
	a, b := apply(imp.Diff.Description)
	orig, _ := e.jira.GetIssue(ctx, key, false)
	if a != orig.Description || b != imp.Description {
		t.Errorf("description diff does not rebuild the texts")
	}
	if err := e.svc.ApplyImprovement(ctx, e.tenant, pm, key, imp.Summary, imp.Description); err != nil {
		t.Fatal(err)
	}
	if authors := e.emu.ChangeAuthors(key); len(authors) == 0 || authors[len(authors)-1] != pm {
		t.Errorf("changelog authors %v: the edit must be by %s, not the app (%s)", authors, pm, e.emu.AppAccountID())
	}
	now, _ := e.jira.GetIssue(ctx, key, false)
	if now.Summary != imp.Summary || !strings.Contains(now.Description, "- Given I added 2 items on desktop") {
		t.Errorf("issue after apply: %q\n%s", now.Summary, now.Description)
	}
	if err := e.svc.ApplyImprovement(ctx, e.tenant, pm, key, "  ", "x"); !errors.As(err, new(*InputError)) {
		t.Errorf("empty summary: %v", err)
	}
	// Applying the issue's own text again writes nothing to Jira.
	changes := len(e.emu.ChangeAuthors(key))
	if err := e.svc.ApplyImprovement(ctx, e.tenant, pm, key, now.Summary, now.Description); !errors.Is(err, ErrNoChange) {
		t.Errorf("identical apply: %v, want ErrNoChange", err)
	}
	if n := len(e.emu.ChangeAuthors(key)); n != changes {
		t.Errorf("identical apply wrote to Jira: %d changes, was %d", n, changes)
	}
}

func TestImproveWithoutLLMMakesOnlyCorrectEdits(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	// A story without acceptance criteria.
	if err := e.emu.UserUpdate("SHOP-3", map[string]any{"summary": "Wishlist sharing",
		"description": map[string]any{"type": "doc", "version": 1, "content": []any{map[string]any{"type": "paragraph",
			"content": []any{map[string]any{"type": "text", "text": "As a shopper, I want to share my wishlist, so that friends know what to buy me."}}}}}}, ""); err != nil {
		t.Fatal(err)
	}
	imp, err := e.svc.Improve(ctx, e.tenant, "SHOP-3")
	if err != nil {
		t.Fatal(err)
	}
	if imp.Mode != ModeDeterministic || !imp.Offered || !strings.Contains(imp.Notice, "No LLM configured") ||
		!strings.Contains(imp.Description, "Acceptance criteria\n\n- Given I am a shopper, when I share my wishlist, then friends know what to buy me") {
		t.Fatalf("deterministic improvement %+v", imp)
	}
	hasCode := func(q Quality, code string) bool {
		return slices.ContainsFunc(q.Findings, func(f domain.Finding) bool { return f.Code == code })
	}
	if !hasCode(imp.Before, "missing_acceptance_criteria") || hasCode(imp.After, "missing_acceptance_criteria") ||
		hasCode(imp.After, "placeholder") || strings.ContainsAny(imp.Description, "<>") || imp.After.Quality <= imp.Before.Quality {
		t.Errorf("before %d %+v after %d %+v", imp.Before.Quality, imp.Before.Findings, imp.After.Quality, imp.After.Findings)
	}

	// Nothing a rule can fix: no rewrite, a question per finding.
	if err := e.emu.UserUpdate("SHOP-3", map[string]any{"summary": "Improve performance",
		"description": map[string]any{"type": "doc", "version": 1, "content": []any{}}}, ""); err != nil {
		t.Fatal(err)
	}
	imp, err = e.svc.Improve(ctx, e.tenant, "SHOP-3")
	if err != nil {
		t.Fatal(err)
	}
	if imp.Offered || imp.Summary != "Improve performance" || len(imp.Changes) != 0 || len(imp.Questions) == 0 || imp.After.Quality != imp.Before.Quality {
		t.Fatalf("nothing to fix, yet %+v", imp)
	}
	if q := imp.Questions[0]; q.Code != "no_story_template" || !strings.HasSuffix(q.Text, "?") {
		t.Errorf("question %+v", q)
	}
	// The issues whose quality the placeholder rules lowered.
	for _, key := range []string{"SHOP-213", "SHOP-230", "SHOP-117"} {
		imp, err := e.svc.Improve(ctx, e.tenant, key)
		if err != nil {
			t.Fatal(err)
		}
		if imp.After.Quality < imp.Before.Quality || strings.ContainsAny(imp.Summary+imp.Description, "<>") || len(imp.Questions) == 0 {
			t.Errorf("%s: quality %d → %d, offered %v, %q / %q, questions %v", key, imp.Before.Quality, imp.After.Quality, imp.Offered, imp.Summary, imp.Description, imp.Questions)
		}
	}
	imp, err = e.svc.Improve(ctx, e.tenant, "SHOP-213")
	if err != nil {
		t.Fatal(err)
	}
	if !imp.Offered || imp.Summary != "As a user, I want the checkout to be fast and easy to use so that customers are happy" ||
		!slices.ContainsFunc(imp.Questions, func(q Question) bool { return q.Text == "What does 'fast' mean here: a time limit?" }) {
		t.Errorf("SHOP-213: %+v", imp)
	}
}

func TestSplitAndApply(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	epic := e.anEpic()
	const orig = "SHOP-3"
	if err := e.emu.UserUpdate(orig, map[string]any{"parent": map[string]string{"key": epic}}, ""); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Split(ctx, e.tenant, orig)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != ModeLLM || len(p.Stories) != 2 || p.Rationale == "" {
		t.Fatalf("split %+v", p)
	}
	for _, s := range p.Stories {
		if s.Quality < 70 {
			t.Errorf("split story %q quality %d: %+v", s.Summary, s.Quality, s.Findings)
		}
	}
	before := e.emu.IssueCount("SHOP")
	res, err := e.svc.ApplySplit(ctx, e.tenant, pm, orig, p.Stories)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 2 || e.emu.IssueCount("SHOP") != before+2 {
		t.Fatalf("apply: %+v", res)
	}
	for _, c := range res.Created {
		is, _ := e.jira.GetIssue(ctx, c.Key, false)
		linked := slices.ContainsFunc(is.Links, func(l domain.Link) bool { return l.OtherKey == orig && l.Kind == domain.LinkRelates })
		if is.EpicKey != epic || !linked {
			t.Errorf("%s: epic %q links %+v", c.Key, is.EpicKey, is.Links)
		}
		if r := e.emu.Reporter(c.Key); r != pm {
			t.Errorf("%s: created by %q, want %q", c.Key, r, pm)
		}
		if authors := e.emu.ChangeAuthors(c.Key); !slices.Contains(authors, pm) || slices.Contains(authors, e.emu.AppAccountID()) {
			t.Errorf("%s: link history authors %v, want %s only", c.Key, authors, pm)
		}
	}
	again, err := e.svc.ApplySplit(ctx, e.tenant, pm, orig, p.Stories)
	if err != nil || len(again.Created) != 2 || again.Created[0].Key != res.Created[0].Key || e.emu.IssueCount("SHOP") != before+2 {
		t.Errorf("second apply: %+v %v", again, err)
	}
	if _, err := e.svc.ApplySplit(ctx, e.tenant, pm, orig, p.Stories[:1]); !errors.As(err, new(*InputError)) {
		t.Errorf("split into one story: %v", err)
	}
}

func TestSplitWithoutLLMUsesTheConjunction(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if err := e.emu.UserUpdate("SHOP-3", map[string]any{"summary": "As a merchant, I want to download invoices and archive receipts, so that my accountant has what she needs"}, ""); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Split(ctx, e.tenant, "SHOP-3")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"As a merchant, I want to download invoices, so that my accountant has what she needs",
		"As a merchant, I want to archive receipts, so that my accountant has what she needs"}
	if p.Mode != ModeDeterministic || len(p.Stories) != 2 || p.Stories[0].Summary != want[0] || p.Stories[1].Summary != want[1] {
		t.Fatalf("split %+v", p)
	}
	if !strings.HasPrefix(p.Stories[0].Description, "Split from SHOP-3.") {
		t.Errorf("description %q", p.Stories[0].Description)
	}
	if err := e.emu.UserUpdate("SHOP-3", map[string]any{"summary": "As a merchant, I want to export orders, so that my accountant has them"}, ""); err != nil {
		t.Fatal(err)
	}
	var ns *NotSplittableError
	if _, err := e.svc.Split(ctx, e.tenant, "SHOP-3"); !errors.As(err, &ns) || !errors.Is(err, domain.ErrInvalid) || strings.Contains(ns.Reason, "reference") {
		t.Errorf("nothing to split on: %v", err)
	}
	// Only stories are split: a bug gets a plain reason.
	if _, err := e.svc.Split(ctx, e.tenant, "SHOP-64"); !errors.As(err, &ns) || ns.Reason != "SHOP-64 is a bug, not a story: only stories are split into smaller stories." {
		t.Errorf("split of a bug: %v", err)
	}
}

func TestSettingsKeysAndDefaults(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	st, err := e.svc.Settings(ctx, e.tenant, "SHOP", false)
	if err != nil {
		t.Fatal(err)
	}
	if st.LLM.Provider != ProviderCompatible || !st.LLM.AppKey || st.LLM.KeySet || st.Budgets.SearchesPerMonth != 250 || st.Budgets.LLMMonthlyUSD != 10 {
		t.Errorf("defaults %+v", st)
	}
	// A custom endpoint without the tenant's own key gets no key at all:
	// the app's key never travels to a URL a tenant chose. It is still
	// used, keyless (local servers take none).
	var up SettingsUpdate
	up.LLM.Provider, up.LLM.BaseURL, up.LLM.Model = ProviderCompatible, "https://llm.example.com/v1", "llama3.1"
	up.Research.Provider = ProviderNone
	up.Budgets.LLMMonthlyUSD, up.Budgets.SearchesPerMonth = ptr(5.0), ptr(100)
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", up); err != nil {
		t.Fatal(err)
	}
	tc, err := e.svc.config(ctx, e.tenant, "SHOP")
	if err != nil || tc.llm == nil || tc.llm.HasKey() {
		t.Errorf("custom endpoint without a key: client %v (want one without a key), %v", tc.llm, err)
	}
	key := "sk-tenant-own-key"
	up.LLM.APIKey = &key
	st, err = e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", up)
	if err != nil || !st.LLM.KeySet || st.LLM.AppKey || st.LLM.Model != "llama3.1" {
		t.Fatalf("with key: %+v %v", st, err)
	}
	raw, _ := json.Marshal(st)
	g, _ := e.st.Tenant(e.tenant).ScopeSettings(ctx, "SHOP")
	if strings.Contains(string(raw), key) || strings.Contains(g.LLMKeySealed, key) || !strings.HasPrefix(g.LLMKeySealed, "v1:") {
		t.Errorf("the key leaks: view %s, stored %q", raw, g.LLMKeySealed)
	}
	// A key sealed for one tenant does not open for another.
	other := *e.tenant
	other.ID, other.ClientKey = e.tenant.ID+1, "another-site"
	if _, err := e.svc.Box.Open(g.LLMKeySealed, store.ScopeAAD(other.ID, "SHOP", "llm")); err == nil {
		t.Error("a tenant's key opens under another tenant's binding")
	}
	// Keeping the key (nil) keeps it; switching endpoint drops it.
	up.LLM.APIKey = nil
	if st, _ = e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", up); !st.LLM.KeySet {
		t.Error("key lost on save without apiKey")
	}
	up.LLM.BaseURL = "https://other.example.com/v1"
	if st, _ = e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", up); st.LLM.KeySet {
		t.Error("key kept for a different endpoint")
	}
	for _, bad := range []func(*SettingsUpdate){
		func(u *SettingsUpdate) { u.LLM.Provider = "claude" },
		func(u *SettingsUpdate) { u.LLM.BaseURL = "ftp://x" },
		func(u *SettingsUpdate) { u.Budgets.LLMMonthlyUSD = ptr(-1.0) },
		func(u *SettingsUpdate) { u.Research.Provider = "bing" },
	} {
		u := up
		bad(&u)
		if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", u); !errors.As(err, new(*InputError)) {
			t.Errorf("bad settings accepted: %v", err)
		}
	}
	e.svc.AllowInsecureURLs = false
	up.LLM.BaseURL = "http://llm.internal/v1"
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", up); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("http URL accepted outside the sandbox: %v", err)
	}
}

func TestFormValidation(t *testing.T) {
	for _, f := range []Form{
		{},
		{Objective: "x", Count: 11},
		{Objective: "x", ParentEpic: "not a key"},
		{Objective: strings.Repeat("x", 5000)},
		{Objective: "x", Competitors: strings.Fields("a b c d e f g h i j k")},
	} {
		if err := f.Normalize(); !errors.As(err, new(*InputError)) {
			t.Errorf("form %+v accepted: %v", f, err)
		}
	}
	f := Form{Objective: " Save carts ", Competitors: []string{"Shopify", "", "Shopify", " Wix "}}
	if err := f.Normalize(); err != nil || f.Count != 3 || f.Objective != "Save carts" || len(f.Competitors) != 2 {
		t.Errorf("normalized %+v %v", f, err)
	}
}

func TestGenerationResearchWithinQuota(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	answer, err := os.ReadFile("../research/testdata/checkout.json")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	searches := 0
	serp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api_key") != "serp-tenant-key" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"Invalid API key."}`))
			return
		}
		mu.Lock()
		searches++
		mu.Unlock()
		w.Write(answer)
	}))
	defer serp.Close()
	e.svc.Defaults.SerpAPIBaseURL = serp.URL
	var up SettingsUpdate
	up.LLM.Provider, up.LLM.BaseURL, up.LLM.Model = ProviderCompatible, e.llm.URL(), "gpt-4o-mini"
	llmKey, serpKey := "sk-test", "serp-tenant-key"
	up.LLM.APIKey, up.Research.APIKey = &llmKey, &serpKey
	up.Research.Provider = ProviderSerpAPI
	up.Budgets.LLMMonthlyUSD, up.Budgets.SearchesPerMonth = ptr(5.0), ptr(1)
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", up); err != nil {
		t.Fatal(err)
	}
	f := checkoutForm("")
	f.Research, f.Competitors = true, []string{"Shopify"}
	v := e.generate(f)
	if v.Mode != ModeLLM || searches != 1 || v.Research == nil || len(v.Research.Sources) == 0 || !strings.Contains(v.Notice, "quota (1 searches) is used up") {
		t.Fatalf("run: mode %s, %d searches, notice %q, research %+v", v.Mode, searches, v.Notice, v.Research)
	}
	if !strings.Contains(e.llm.Calls()[0].User, "Research (cite by number") {
		t.Error("the drafting prompt did not get the research")
	}
	cited := 0
	for _, d := range v.Drafts {
		for _, s := range d.Sources {
			if !slices.ContainsFunc(v.Research.Sources, func(r research.Source) bool { return r.URL == s.URL }) {
				t.Errorf("draft cites %s, which research did not find", s.URL)
			}
			cited++
		}
	}
	if cited == 0 {
		t.Error("no draft cites a source")
	}
	st, _ := e.svc.Settings(ctx, e.tenant, "SHOP", false)
	if st.Usage.SearchesThisMonth != 1 || !st.Research.KeySet {
		t.Errorf("settings usage %+v research %+v", st.Usage, st.Research)
	}
}

// TestWritesActAsThePerson: person-initiated writes are made with the
// person's identity, so Jira's own permission checks apply to them; an
// anonymous viewer cannot write at all.
func TestWritesActAsThePerson(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	const key = "SHOP-5"
	before, _ := e.jira.GetIssue(ctx, key, false)
	history := len(e.emu.ChangeAuthors(key))

	if err := e.svc.ApplyImprovement(ctx, e.tenant, "", key, "Anonymous rewrite", "x"); !errors.Is(err, domain.ErrUnauthorized) {
		t.Errorf("anonymous apply: %v, want ErrUnauthorized", err)
	}
	const viewer = "712020:0a9e4c3d-2f61-4a8b-b5c7-91d2e6f4a802" // may browse, not edit
	e.emu.SetUserPermissions(func(account, project, perm string) bool {
		return account != viewer || perm == "BROWSE_PROJECTS"
	})
	if err := e.svc.ApplyImprovement(ctx, e.tenant, viewer, key, "Rewrite by a viewer", "x"); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("apply by a user without EDIT_ISSUES: %v, want ErrForbidden", err)
	}
	if _, err := e.svc.ApplySplit(ctx, e.tenant, viewer, key, []SplitStory{{Summary: "Part one"}, {Summary: "Part two"}}); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("split by a user without CREATE_ISSUES: %v, want ErrForbidden", err)
	}
	after, _ := e.jira.GetIssue(ctx, key, false)
	if after.Summary != before.Summary || len(e.emu.ChangeAuthors(key)) != history {
		t.Errorf("a refused write changed the issue: %q → %q", before.Summary, after.Summary)
	}
	if err := e.svc.ApplyImprovement(ctx, e.tenant, pm, key, "Rewrite by the PM", "x"); err != nil {
		t.Fatalf("apply by the PM: %v", err)
	}
	if a := e.emu.ChangeAuthors(key); a[len(a)-1] != pm {
		t.Errorf("last change by %s, want %s", a[len(a)-1], pm)
	}
}

// TestWithoutImpersonationWritesAreRefused: with no authorization server
// configured, a person's write fails instead of running as the app.
func TestWithoutImpersonationWritesAreRefused(t *testing.T) {
	e := newEnv(t, nil)
	e.svc.JiraClients.Impersonator = nil
	if err := e.svc.ApplyImprovement(context.Background(), e.tenant, pm, "SHOP-5", "Rewrite", "x"); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("apply without impersonation: %v, want ErrUnavailable", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestNewIssuesCarryNoSuggestedPoints(t *testing.T) {
	// Even a confident suggestion stays out of Story Points: the person
	// sets points, and only theirs may train the estimator.
	e := newEnv(t, shopAnswers(t))
	p := pending{rec: &domain.DraftRecord{ID: 1, IdemKey: "backlogai-idem-1"},
		content:  Content{Title: "Export the report as CSV"},
		analysis: domain.Analysis{Estimate: domain.Estimate{Points: 5, Low: 3, High: 8, Confidence: 0.9, Method: "neighbours"}}}
	out, err := e.svc.newIssues(context.Background(), e.jira, "SHOP", []pending{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].StoryPoints != nil {
		t.Errorf("newIssues = %+v, want one issue without story points", out)
	}
}

// TestImproveWithoutLLMRemovesExclamations: the rules apply their own fix
// ("Remove '!!!'") where it is safe, and never lower the quality.
func TestImproveWithoutLLMRemovesExclamations(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if err := e.emu.UserUpdate("SHOP-3", map[string]any{"summary": "As a merchant, I want to get paid faster!!! so that cash flow"}, ""); err != nil {
		t.Fatal(err)
	}
	imp, err := e.svc.Improve(ctx, e.tenant, "SHOP-3")
	if err != nil {
		t.Fatal(err)
	}
	if !imp.Offered || imp.Summary != "As a merchant, I want to get paid faster so that cash flow" {
		t.Fatalf("improvement offered %v: %q", imp.Offered, imp.Summary)
	}
	if imp.After.Quality < imp.Before.Quality || !slices.ContainsFunc(imp.Changes, func(c string) bool { return strings.Contains(c, "'!!!'") }) {
		t.Errorf("quality %d → %d, changes %q", imp.Before.Quality, imp.After.Quality, imp.Changes)
	}
	for _, f := range imp.After.Findings {
		if f.Code == checks.CodeExtraPunctuation {
			t.Errorf("finding left: %s", f.Message)
		}
	}
}
