package generate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/store"
)

// Providers a project or the site defaults may choose. ProviderInherit
// (or an empty provider) in an update leaves the group unset in that
// scope: the next scope out applies.
const (
	ProviderInherit    = "inherit"
	ProviderNone       = "none"
	ProviderOpenAI     = "openai"
	ProviderCompatible = "compatible"
	ProviderSerpAPI    = "serpapi"
)

// Where an effective value comes from: the project's own settings, the
// site defaults, or the app's environment.
const (
	SourceProject = "project"
	SourceSite    = "site"
	SourceApp     = "app"
)

// Limits of what may be saved.
const (
	maxBudgetUSD   = 100000
	maxSearches    = 1000000
	maxModelLen    = 200
	maxAPIKeyLen   = 1024
	maxRetentionDs = 3650
)

// ErrSiteSetting is a project-scope update that tries to change a site
// setting (data retention). It wraps domain.ErrForbidden.
var ErrSiteSetting = fmt.Errorf("generate: retentionDays is a site setting: %w", domain.ErrForbidden)

// ScopeView is one scope's effective settings; each group says which
// scope its value comes from. Keys are never returned, only whether one
// is set.
type ScopeView struct {
	LLM struct {
		Provider string `json:"provider"`
		BaseURL  string `json:"baseUrl"`
		Model    string `json:"model"`
		KeySet   bool   `json:"keySet"`
		// AppKey: no key of the scope's own; the app's key is used.
		AppKey bool   `json:"appKey"`
		Source string `json:"source"`
	} `json:"llm"`
	Research struct {
		Provider string `json:"provider"`
		KeySet   bool   `json:"keySet"`
		AppKey   bool   `json:"appKey"`
		Source   string `json:"source"`
	} `json:"research"`
	Budgets struct {
		LLMMonthlyUSD    float64 `json:"llmMonthlyUsd"`
		SearchesPerMonth int     `json:"searchesPerMonth"`
		LLMSource        string  `json:"llmSource"`
		SearchesSource   string  `json:"searchesSource"`
	} `json:"budgets"`
	RetentionDays   int    `json:"retentionDays"`
	RetentionSource string `json:"retentionSource"`
}

// Settings is what the Settings tab shows: the project's effective
// settings with this month's usage and, for Jira site administrators
// only, the site defaults.
type Settings struct {
	ScopeView
	Usage struct {
		LLMUSDThisMonth   float64 `json:"llmUsdThisMonth"`
		SearchesThisMonth int     `json:"searchesThisMonth"`
		LLMCallsThisMonth int     `json:"llmCallsThisMonth"`
		TokensThisMonth   int64   `json:"tokensThisMonth"`
	} `json:"usage"`
	IsAdmin     bool       `json:"isAdmin"`
	IsSiteAdmin bool       `json:"isSiteAdmin"`
	Site        *ScopeView `json:"site,omitempty"`
}

// SettingsUpdate is what an admin saves for one scope. A nil APIKey keeps
// the scope's stored key, an empty one removes it. A nil budget inherits.
// RetentionDays (site scope only): nil keeps the current value; any
// value given is stored as given or refused (0 is refused, never
// silently replaced by a default).
type SettingsUpdate struct {
	LLM struct {
		Provider string  `json:"provider"`
		BaseURL  string  `json:"baseUrl"`
		Model    string  `json:"model"`
		APIKey   *string `json:"apiKey,omitempty"`
	} `json:"llm"`
	Research struct {
		Provider string  `json:"provider"`
		APIKey   *string `json:"apiKey,omitempty"`
	} `json:"research"`
	Budgets struct {
		LLMMonthlyUSD    *float64 `json:"llmMonthlyUsd"`
		SearchesPerMonth *int     `json:"searchesPerMonth"`
	} `json:"budgets"`
	RetentionDays *int `json:"retentionDays,omitempty"`
}

// resolved are a scope's effective settings with keys opened.
type resolved struct {
	LLMProvider, LLMBaseURL, LLMModel string
	llmKey, llmSource                 string
	ResearchProvider                  string
	researchKey, researchSource       string
	LLMBudgetUSD                      float64
	budgetSource                      string
	SearchesPerMonth                  int
	searchesSource                    string
	RetentionDays                     int
	retentionSource                   string
}

func (s *Service) defaults() resolved {
	r := resolved{LLMProvider: ProviderNone, LLMBaseURL: s.Defaults.OpenAIBaseURL, LLMModel: s.Defaults.OpenAIModel,
		ResearchProvider: ProviderNone, LLMBudgetUSD: s.Defaults.LLMBudgetUSD, SearchesPerMonth: s.Defaults.SearchesPerMonth,
		RetentionDays: s.Defaults.RetentionDays, llmSource: SourceApp, researchSource: SourceApp, budgetSource: SourceApp,
		searchesSource: SourceApp, retentionSource: SourceApp}
	if s.Defaults.OpenAIKey != "" {
		r.LLMProvider = ProviderCompatible
		if sameURL(r.LLMBaseURL, llm.DefaultBaseURL) {
			r.LLMProvider = ProviderOpenAI
		}
	}
	if s.Defaults.SerpAPIKey != "" {
		r.ResearchProvider = ProviderSerpAPI
	}
	return r
}

// scopeRow returns a scope's own stored settings (empty when none).
func (s *Service) scopeRow(ctx context.Context, t *domain.Tenant, scope string) (*domain.ScopeSettings, error) {
	g, err := s.Store.Tenant(t).ScopeSettings(ctx, scope)
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.ScopeSettings{Project: scope}, nil
	}
	return g, err
}

// settings resolves the effective settings of a project (or of the site
// defaults for domain.SiteScope): the project's value, else the site
// default, else the app's. The LLM and the research group are taken
// whole from one scope, so a key only ever goes to its own scope's URL.
func (s *Service) settings(ctx context.Context, t *domain.Tenant, project string) (resolved, error) {
	if err := s.Init(); err != nil {
		return resolved{}, err
	}
	r := s.defaults()
	scopes := []string{domain.SiteScope}
	if project != domain.SiteScope {
		scopes = append(scopes, project)
	}
	for _, scope := range scopes {
		g, err := s.scopeRow(ctx, t, scope)
		if err != nil {
			return resolved{}, err
		}
		if err := s.apply(&r, t, g); err != nil {
			return resolved{}, err
		}
	}
	return r, nil
}

// apply lays one scope's stored values over r.
func (s *Service) apply(r *resolved, t *domain.Tenant, g *domain.ScopeSettings) error {
	src := SourceProject
	if g.Project == domain.SiteScope {
		src = SourceSite
	}
	if g.LLMProvider != nil {
		key, err := s.Box.Open(g.LLMKeySealed, store.ScopeAAD(t.ID, g.Project, "llm"))
		if err != nil {
			return fmt.Errorf("generate: open %s llm key: %w", src, err)
		}
		r.LLMProvider, r.LLMBaseURL, r.LLMModel, r.llmKey, r.llmSource = *g.LLMProvider, g.LLMBaseURL, g.LLMModel, key, src
	}
	if g.ResearchProvider != nil {
		key, err := s.Box.Open(g.ResearchKeySealed, store.ScopeAAD(t.ID, g.Project, "research"))
		if err != nil {
			return fmt.Errorf("generate: open %s research key: %w", src, err)
		}
		r.ResearchProvider, r.researchKey, r.researchSource = *g.ResearchProvider, key, src
	}
	if g.LLMBudgetMicro != nil {
		r.LLMBudgetUSD, r.budgetSource = float64(*g.LLMBudgetMicro)/1e6, src
	}
	if g.SearchesPerMonth != nil {
		r.SearchesPerMonth, r.searchesSource = *g.SearchesPerMonth, src
	}
	if g.RetentionDays != nil && g.Project == domain.SiteScope {
		r.RetentionDays, r.retentionSource = *g.RetentionDays, src
	}
	return nil
}

func (s *Service) scopeView(r resolved) ScopeView {
	var out ScopeView
	out.LLM.Provider, out.LLM.BaseURL, out.LLM.Model, out.LLM.Source = r.LLMProvider, r.LLMBaseURL, r.LLMModel, r.llmSource
	out.LLM.KeySet = r.llmKey != ""
	out.LLM.AppKey = r.llmKey == "" && r.LLMProvider != ProviderNone && s.Defaults.OpenAIKey != "" && sameURL(r.LLMBaseURL, s.Defaults.OpenAIBaseURL)
	out.Research.Provider, out.Research.Source = r.ResearchProvider, r.researchSource
	out.Research.KeySet = r.researchKey != ""
	out.Research.AppKey = r.researchKey == "" && r.ResearchProvider == ProviderSerpAPI && s.Defaults.SerpAPIKey != ""
	out.Budgets.LLMMonthlyUSD, out.Budgets.SearchesPerMonth = r.LLMBudgetUSD, r.SearchesPerMonth
	out.Budgets.LLMSource, out.Budgets.SearchesSource = r.budgetSource, r.searchesSource
	out.RetentionDays, out.RetentionSource = r.RetentionDays, r.retentionSource
	return out
}

// Settings returns a project's settings view with the project's usage
// this month;
// withSite adds the site defaults (for Jira site administrators only).
func (s *Service) Settings(ctx context.Context, t *domain.Tenant, project string, withSite bool) (Settings, error) {
	r, err := s.settings(ctx, t, project)
	if err != nil {
		return Settings{}, err
	}
	out := Settings{ScopeView: s.scopeView(r), IsSiteAdmin: withSite}
	if withSite {
		sr, err := s.settings(ctx, t, domain.SiteScope)
		if err != nil {
			return Settings{}, err
		}
		v := s.scopeView(sr)
		out.Site = &v
	}
	u, err := s.Store.Tenant(t).ForProject(project).Usage(ctx, domain.UsagePeriod(s.Now()))
	if err != nil {
		return Settings{}, err
	}
	out.Usage.LLMUSDThisMonth = math.Round(float64(u.LLMCostMicro)/1e4) / 100
	out.Usage.SearchesThisMonth = u.Searches
	out.Usage.LLMCallsThisMonth = u.LLMCalls
	out.Usage.TokensThisMonth = u.PromptTokens + u.CompletionTokens
	return out, nil
}

// SaveSettings validates and stores one scope's settings: a project's
// (scope is its key) or the site defaults (domain.SiteScope). Who may do
// which is the caller's check. Bad values wrap domain.ErrInvalid with a
// message naming the field; a project-scope change of retention is
// ErrSiteSetting. It returns the scope's new view.
func (s *Service) SaveSettings(ctx context.Context, t *domain.Tenant, scope, accountID string, u SettingsUpdate) (Settings, error) {
	if err := s.Init(); err != nil {
		return Settings{}, err
	}
	own, err := s.scopeRow(ctx, t, scope)
	if err != nil {
		return Settings{}, err
	}
	cur, err := s.settings(ctx, t, scope)
	if err != nil {
		return Settings{}, err
	}
	g := domain.ScopeSettings{Project: scope, UpdatedBy: accountID}
	if err := s.updateLLM(t, own, &g, u); err != nil {
		return Settings{}, err
	}
	if err := s.updateResearch(t, own, &g, u); err != nil {
		return Settings{}, err
	}
	if b := u.Budgets.LLMMonthlyUSD; b != nil {
		v := *b
		if math.IsNaN(v) || v < 0 || v > maxBudgetUSD {
			return Settings{}, invalid("the monthly LLM budget (budgets.llmMonthlyUsd) must be between 0 and %d USD", maxBudgetUSD)
		}
		cents := v * 100
		if math.Abs(cents-math.Round(cents)) > 1e-6 {
			return Settings{}, invalid("the monthly LLM budget (budgets.llmMonthlyUsd) must be in whole cents")
		}
		micro := int64(math.Round(cents)) * 1e4
		g.LLMBudgetMicro = &micro
	}
	if n := u.Budgets.SearchesPerMonth; n != nil {
		if *n < 0 || *n > maxSearches {
			return Settings{}, invalid("the monthly search quota (budgets.searchesPerMonth) must be between 0 and %d", maxSearches)
		}
		v := *n
		g.SearchesPerMonth = &v
	}
	if scope == domain.SiteScope {
		g.RetentionDays = own.RetentionDays
		if u.RetentionDays != nil {
			if *u.RetentionDays < 1 || *u.RetentionDays > maxRetentionDs {
				return Settings{}, invalid("retention (retentionDays) must be between 1 and %d days (%d is not)", maxRetentionDs, *u.RetentionDays)
			}
			v := *u.RetentionDays
			g.RetentionDays = &v
		}
	} else if u.RetentionDays != nil && *u.RetentionDays != cur.RetentionDays {
		return Settings{}, ErrSiteSetting
	}
	if err := s.Store.Tenant(t).SaveScopeSettings(ctx, g); err != nil {
		return Settings{}, err
	}
	return s.Settings(ctx, t, scope, false)
}

// updateLLM fills g's LLM group from u. The stored key kept by a nil
// APIKey is the scope's own, never an inherited one, and only while the
// base URL stays the same: a key entered for one endpoint is not
// silently sent to another.
func (s *Service) updateLLM(t *domain.Tenant, own, g *domain.ScopeSettings, u SettingsUpdate) error {
	p := strings.TrimSpace(u.LLM.Provider)
	switch p {
	case "", ProviderInherit:
		if u.LLM.APIKey != nil && strings.TrimSpace(*u.LLM.APIKey) != "" {
			return invalid("an API key (llm.apiKey) needs an LLM provider (llm.provider) of this scope's own")
		}
		return nil
	case ProviderNone:
		if own.LLMProvider != nil {
			g.LLMBaseURL, g.LLMModel = own.LLMBaseURL, own.LLMModel
		}
	case ProviderOpenAI:
		g.LLMBaseURL = llm.DefaultBaseURL
	case ProviderCompatible:
		g.LLMBaseURL = strings.TrimSuffix(strings.TrimSpace(u.LLM.BaseURL), "/")
		if err := s.validBaseURL(g.LLMBaseURL); err != nil {
			return err
		}
	default:
		return invalid("the LLM provider (llm.provider) must be inherit, none, openai or compatible")
	}
	g.LLMProvider = &p
	if p != ProviderNone {
		g.LLMModel = strings.TrimSpace(u.LLM.Model)
		if g.LLMModel == "" {
			g.LLMModel = s.Defaults.OpenAIModel
		}
		if len(g.LLMModel) > maxModelLen {
			return invalid("the model name (llm.model) must be at most %d characters", maxModelLen)
		}
	}
	key := ""
	if own.LLMProvider != nil && sameURL(own.LLMBaseURL, g.LLMBaseURL) {
		k, err := s.Box.Open(own.LLMKeySealed, store.ScopeAAD(t.ID, own.Project, "llm"))
		if err != nil {
			return fmt.Errorf("generate: open llm key: %w", err)
		}
		key = k
	}
	if u.LLM.APIKey != nil {
		key = strings.TrimSpace(*u.LLM.APIKey)
	}
	if len(key) > maxAPIKeyLen {
		return invalid("the API key (llm.apiKey) must be at most %d characters", maxAPIKeyLen)
	}
	sealed, err := s.Box.Seal(key, store.ScopeAAD(t.ID, g.Project, "llm"))
	if err != nil {
		return err
	}
	g.LLMKeySealed = sealed
	return nil
}

// updateResearch fills g's research group from u; a nil APIKey keeps the
// scope's own key.
func (s *Service) updateResearch(t *domain.Tenant, own, g *domain.ScopeSettings, u SettingsUpdate) error {
	p := strings.TrimSpace(u.Research.Provider)
	switch p {
	case "", ProviderInherit:
		if u.Research.APIKey != nil && strings.TrimSpace(*u.Research.APIKey) != "" {
			return invalid("a SerpAPI key (research.apiKey) needs a research provider (research.provider) of this scope's own")
		}
		return nil
	case ProviderNone, ProviderSerpAPI:
	default:
		return invalid("the research provider (research.provider) must be inherit, none or serpapi")
	}
	g.ResearchProvider = &p
	key := ""
	if own.ResearchProvider != nil {
		k, err := s.Box.Open(own.ResearchKeySealed, store.ScopeAAD(t.ID, own.Project, "research"))
		if err != nil {
			return fmt.Errorf("generate: open research key: %w", err)
		}
		key = k
	}
	if u.Research.APIKey != nil {
		key = strings.TrimSpace(*u.Research.APIKey)
	}
	if len(key) > maxAPIKeyLen {
		return invalid("the SerpAPI key (research.apiKey) must be at most %d characters", maxAPIKeyLen)
	}
	sealed, err := s.Box.Seal(key, store.ScopeAAD(t.ID, g.Project, "research"))
	if err != nil {
		return err
	}
	g.ResearchKeySealed = sealed
	return nil
}
