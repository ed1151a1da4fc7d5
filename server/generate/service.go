package generate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/netguard"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/research"
	"github.com/backlogai/backlogai/server/secrets"
	"github.com/backlogai/backlogai/server/store"
)

// KindGenerate is the job kind of a generation run.
const KindGenerate = "generate"

// Defaults are the app-wide settings a tenant gets until it saves its own.
type Defaults struct {
	// OpenAIKey, OpenAIBaseURL and OpenAIModel are the app's LLM; an empty
	// key means no LLM by default.
	OpenAIKey     string
	OpenAIBaseURL string
	OpenAIModel   string
	// SerpAPIKey and SerpAPIBaseURL are the app's research provider.
	SerpAPIKey     string
	SerpAPIBaseURL string
	// LLMBudgetUSD is a tenant's monthly LLM budget (default 10).
	LLMBudgetUSD float64
	// SearchesPerMonth is a tenant's monthly search quota (default 250).
	SearchesPerMonth int
	// RetentionDays keeps runs and drafts this long (default 90).
	RetentionDays int
}

// Waker is told when jobs were enqueued (the pool's Wake).
type Waker interface{ Wake() }

// Service is the generation pipeline with its storage, Jira and LLM
// access. Set the fields, then call Init (New does both).
type Service struct {
	Store *store.Store
	// JiraClients gives tenants' Jira clients; Models the projects'
	// analysis models (a project never activated gets an empty one). Both
	// are shared with the sync service and the pages.
	JiraClients *jiraclients.Registry
	Models      *projectmodel.Cache
	// Backlog writes the score property of the issues drafts become (it
	// is the property's only writer).
	Backlog *backlog.Service
	// Box seals tenants' API keys.
	Box      *secrets.Box
	Defaults Defaults
	// HTTP carries LLM and SerpAPI calls (default: no client timeout; each
	// LLM attempt has its own).
	HTTP   *http.Client
	Waker  Waker
	Logger *slog.Logger
	Now    func() time.Time
	// AllowInsecureURLs lets tenants point the LLM at http:// URLs (the
	// sandbox and tests only: an API key must not travel in clear text).
	AllowInsecureURLs bool
	// LLMTimeout bounds one LLM attempt (default 45 s, within the job
	// lease and the HTTP write timeout); LLMRetries is llm.Config.MaxRetries.
	LLMTimeout time.Duration
	LLMRetries int
	// LLMSleep replaces the retry wait (tests).
	LLMSleep func(ctx context.Context, d time.Duration) error
	// RunDeadline bounds one generation run (default 100 s, inside the
	// queue's 2-minute lease).
	RunDeadline time.Duration
	// WrapMeter, when set, wraps each tenant's LLM meter (metrics).
	WrapMeter func(llm.Meter) llm.Meter

	prompts *prompts
	once    sync.Once
	initErr error
	// afterCreate, when set, runs after Jira answered a bulk create and
	// before the answer is stored: tests simulate a crash there.
	afterCreate func() error
}

// New returns a ready service.
func New(s *Service) (*Service, error) {
	return s, s.Init()
}

// Init loads the prompts and fills defaults; the methods call it too.
func (s *Service) Init() error {
	s.once.Do(func() {
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.HTTP == nil {
			s.HTTP = &http.Client{}
		}
		if s.LLMTimeout <= 0 {
			s.LLMTimeout = 45 * time.Second
		}
		if s.RunDeadline <= 0 {
			s.RunDeadline = 100 * time.Second
		}
		if s.Defaults.LLMBudgetUSD <= 0 {
			s.Defaults.LLMBudgetUSD = 10
		}
		if s.Defaults.SearchesPerMonth <= 0 {
			s.Defaults.SearchesPerMonth = 250
		}
		if s.Defaults.RetentionDays <= 0 {
			s.Defaults.RetentionDays = 90
		}
		if s.Defaults.OpenAIBaseURL == "" {
			s.Defaults.OpenAIBaseURL = llm.DefaultBaseURL
		}
		if s.Defaults.OpenAIModel == "" {
			s.Defaults.OpenAIModel = llm.DefaultModel
		}
		if s.Defaults.SerpAPIBaseURL == "" {
			s.Defaults.SerpAPIBaseURL = research.DefaultSerpAPIURL
		}
		s.prompts, s.initErr = loadPrompts(PromptVersion)
	})
	return s.initErr
}

// Handlers returns the job handler of generation runs.
func (s *Service) Handlers() map[string]jobs.Handler {
	return map[string]jobs.Handler{KindGenerate: s.handleGenerate}
}

func (s *Service) wake() {
	if s.Waker != nil {
		s.Waker.Wake()
	}
}

// tenantConfig is what one project's settings resolve to.
type tenantConfig struct {
	llm         *llm.Client // nil: no LLM
	llmNotice   string      // why there is none, when there is none
	serp        *research.SerpAPI
	budgetMicro int64
	searches    int
	retention   int
}

// config resolves a project's settings (its own, else the site
// defaults, else the app's) into clients. The app's own key is only ever
// sent to the app's own base URL.
func (s *Service) config(ctx context.Context, t *domain.Tenant, project string) (tenantConfig, error) {
	if project == "" {
		return tenantConfig{}, fmt.Errorf("generate: config: no project: %w", domain.ErrInvalid)
	}
	st, err := s.settings(ctx, t, project)
	if err != nil {
		return tenantConfig{}, err
	}
	tc := tenantConfig{budgetMicro: int64(st.LLMBudgetUSD * 1e6), searches: st.SearchesPerMonth, retention: st.RetentionDays}
	key := st.llmKey
	if key == "" && st.LLMProvider != ProviderNone && sameURL(st.LLMBaseURL, s.Defaults.OpenAIBaseURL) {
		key = s.Defaults.OpenAIKey
	}
	// A compatible server saved without a key is used without one (local
	// servers take none); only OpenAI itself needs a key to be used.
	keyless := key == "" && st.LLMProvider == ProviderCompatible && st.llmSource != SourceApp
	switch {
	case st.LLMProvider == ProviderNone:
		tc.llmNotice = noticeNoLLM
	case key == "" && !keyless:
		tc.llmNotice = noticeNoLLM
	default:
		var m llm.Meter = &meter{ts: s.Store.Tenant(t).ForProject(project), now: s.Now, budget: tc.budgetMicro}
		if s.WrapMeter != nil {
			m = s.WrapMeter(m)
		}
		c, err := llm.New(llm.Config{APIKey: key, NoKey: keyless, BaseURL: st.LLMBaseURL, Model: st.LLMModel, HTTP: s.HTTP,
			Timeout: s.LLMTimeout, MaxRetries: s.LLMRetries, Sleep: s.LLMSleep, Logger: s.Logger.With("tenant_id", t.ID),
			Meter: m})
		if err != nil {
			return tc, err
		}
		tc.llm = c
	}
	rkey := st.researchKey
	if rkey == "" && st.ResearchProvider == ProviderSerpAPI {
		rkey = s.Defaults.SerpAPIKey
	}
	if st.ResearchProvider == ProviderSerpAPI && rkey != "" {
		tc.serp = &research.SerpAPI{BaseURL: s.Defaults.SerpAPIBaseURL, APIKey: rkey, HTTP: &http.Client{Timeout: 20 * time.Second, Transport: s.HTTP.Transport}}
	}
	return tc, nil
}

func sameURL(a, b string) bool {
	return strings.TrimSuffix(strings.TrimSpace(a), "/") == strings.TrimSuffix(strings.TrimSpace(b), "/")
}

// meter enforces a project's monthly LLM budget against that project's
// spending and records usage. Calls
// on several replicas at once may overshoot the budget by the calls in
// flight; the next one is refused.
type meter struct {
	ts     *store.TenantStore
	now    func() time.Time
	budget int64
}

func (m *meter) Allow(ctx context.Context) error {
	u, err := m.ts.Usage(ctx, domain.UsagePeriod(m.now()))
	if err != nil {
		return err
	}
	if u.LLMCostMicro >= m.budget {
		return fmt.Errorf("generate: this month's AI budget of $%.2f is spent: %w", float64(m.budget)/1e6, domain.ErrBudget)
	}
	return nil
}

func (m *meter) Record(ctx context.Context, u llm.Usage) error {
	return m.ts.AddLLMUsage(ctx, domain.UsagePeriod(m.now()), u.Calls, int64(u.PromptTokens), int64(u.CompletionTokens), u.CostMicroUSD)
}

// searchQuota is research.Quota over a project's monthly usage counters.
type searchQuota struct{ ts *store.TenantStore }

func (q searchQuota) TakeSearch(ctx context.Context, now time.Time, limit int) (bool, error) {
	return q.ts.TakeSearch(ctx, domain.UsagePeriod(now), limit)
}

func (q searchQuota) ReturnSearch(ctx context.Context, now time.Time) error {
	return q.ts.ReturnSearch(ctx, domain.UsagePeriod(now))
}

// analyser returns a function that analyses a pseudo-issue against the
// project's model, taking the model's lock for each call only (LLM calls
// must not hold it). A project never activated gets an empty model.
func (s *Service) analyser(ctx context.Context, t *domain.Tenant, project string) (Analyser, domain.Strategy, error) {
	model, unlock, err := s.model(ctx, t, project)
	if err != nil {
		return nil, domain.Strategy{}, err
	}
	strategy := model.Strategy()
	unlock()
	return func(is domain.Issue, in analysis.ExtraInput) domain.Analysis {
		m, unlock, err := s.model(ctx, t, project)
		if err != nil {
			m, unlock = model, func() {}
		}
		defer unlock()
		return m.AnalyseIssue(is, in)
	}, strategy, nil
}

func (s *Service) model(ctx context.Context, t *domain.Tenant, project string) (*analysis.Project, func(), error) {
	if s.Models != nil {
		m, unlock, err := s.Models.Get(ctx, t, project)
		if err == nil {
			return m, unlock, nil
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return nil, nil, err
		}
	}
	return analysis.NewProject(domain.DefaultStrategy(), nil, s.Now), func() {}, nil
}

// appClient is tenant t's Jira client acting as the app.
func (s *Service) appClient(t *domain.Tenant) (*jira.Client, error) {
	if err := s.Init(); err != nil {
		return nil, err
	}
	if s.JiraClients == nil {
		return nil, fmt.Errorf("generate: no Jira clients configured: %w", domain.ErrUnavailable)
	}
	return s.JiraClients.App(t)
}

// userClient is tenant t's Jira client acting as the person.
func (s *Service) userClient(ctx context.Context, t *domain.Tenant, accountID string) (*jira.Client, error) {
	if err := s.Init(); err != nil {
		return nil, err
	}
	if s.JiraClients == nil {
		return nil, fmt.Errorf("generate: no Jira clients configured: %w", domain.ErrUnavailable)
	}
	return s.JiraClients.ForUser(ctx, t, accountID)
}

// newIdemKey is a draft's idempotency label: random, so that drafts of a
// restored or shared database never match another's issue.
func newIdemKey() string {
	b := make([]byte, 8)
	rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	return "bai-" + hex.EncodeToString(b)
}

// validBaseURL checks a tenant-supplied LLM base URL.
func (s *Service) validBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.RawQuery != "" {
		return invalid("the base URL (llm.baseUrl) must be an absolute https URL without credentials or query")
	}
	if u.Scheme == "http" && !s.AllowInsecureURLs {
		return invalid("the base URL (llm.baseUrl) must use https so the API key is not sent in clear text")
	}
	// Tenants must not point the app at its own network (SSRF); the HTTP
	// client checks the resolved address again at connect time.
	guard := netguard.Policy{AllowPrivate: s.AllowInsecureURLs, AllowHTTP: s.AllowInsecureURLs}
	if err := guard.CheckURL(raw); err != nil {
		return invalid("the base URL (llm.baseUrl) must point to a public host (not localhost, a private or a link-local address)")
	}
	return nil
}
