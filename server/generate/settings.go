package generate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/store"
)

// Providers a tenant may choose.
const (
	ProviderNone       = "none"
	ProviderOpenAI     = "openai"
	ProviderCompatible = "compatible"
	ProviderSerpAPI    = "serpapi"
)

// Settings is what the Settings tab shows. Keys are never returned, only
// whether one is set.
type Settings struct {
	LLM struct {
		Provider string `json:"provider"`
		BaseURL  string `json:"baseUrl"`
		Model    string `json:"model"`
		KeySet   bool   `json:"keySet"`
		// AppKey: no key of the tenant's own; the app's key is used.
		AppKey bool `json:"appKey"`
	} `json:"llm"`
	Research struct {
		Provider string `json:"provider"`
		KeySet   bool   `json:"keySet"`
		AppKey   bool   `json:"appKey"`
	} `json:"research"`
	Budgets struct {
		LLMMonthlyUSD    float64 `json:"llmMonthlyUsd"`
		SearchesPerMonth int     `json:"searchesPerMonth"`
	} `json:"budgets"`
	Usage struct {
		LLMUSDThisMonth   float64 `json:"llmUsdThisMonth"`
		SearchesThisMonth int     `json:"searchesThisMonth"`
		LLMCallsThisMonth int     `json:"llmCallsThisMonth"`
		TokensThisMonth   int64   `json:"tokensThisMonth"`
	} `json:"usage"`
	RetentionDays int  `json:"retentionDays"`
	IsAdmin       bool `json:"isAdmin"`
}

// SettingsUpdate is what an admin saves. A nil APIKey keeps the stored
// key, an empty one removes it.
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
		LLMMonthlyUSD    float64 `json:"llmMonthlyUsd"`
		SearchesPerMonth int     `json:"searchesPerMonth"`
	} `json:"budgets"`
	RetentionDays int `json:"retentionDays"`
}

// resolved are a tenant's effective settings with keys opened.
type resolved struct {
	LLMProvider, LLMBaseURL, LLMModel string
	llmKey                            string
	ResearchProvider                  string
	researchKey                       string
	LLMBudgetUSD                      float64
	SearchesPerMonth                  int
	RetentionDays                     int
}

func (s *Service) defaults() resolved {
	r := resolved{LLMProvider: ProviderNone, LLMBaseURL: s.Defaults.OpenAIBaseURL, LLMModel: s.Defaults.OpenAIModel,
		ResearchProvider: ProviderNone, LLMBudgetUSD: s.Defaults.LLMBudgetUSD, SearchesPerMonth: s.Defaults.SearchesPerMonth,
		RetentionDays: s.Defaults.RetentionDays}
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

func (s *Service) settings(ctx context.Context, t *domain.Tenant) (resolved, error) {
	if err := s.Init(); err != nil {
		return resolved{}, err
	}
	g, err := s.Store.Tenant(t).GenerateSettings(ctx)
	if errors.Is(err, domain.ErrNotFound) {
		return s.defaults(), nil
	}
	if err != nil {
		return resolved{}, err
	}
	r := resolved{LLMProvider: g.LLMProvider, LLMBaseURL: g.LLMBaseURL, LLMModel: g.LLMModel, ResearchProvider: g.ResearchProvider,
		LLMBudgetUSD: float64(g.LLMBudgetMicro) / 1e6, SearchesPerMonth: g.SearchesPerMonth, RetentionDays: g.RetentionDays}
	if r.llmKey, err = s.Box.Open(g.LLMKeySealed, aadLLM(t)); err != nil {
		return resolved{}, fmt.Errorf("generate: open llm key: %w", err)
	}
	if r.researchKey, err = s.Box.Open(g.ResearchKey, aadResearch(t)); err != nil {
		return resolved{}, fmt.Errorf("generate: open research key: %w", err)
	}
	return r, nil
}

// IsProjectAdmin asks Jira whether the account administers the project
// (projectID may be empty: it is then looked up).
func (s *Service) IsProjectAdmin(ctx context.Context, t *domain.Tenant, accountID, project, projectID string) (bool, error) {
	if accountID == "" {
		return false, nil
	}
	c, err := s.Backlog.Client(t)
	if err != nil {
		return false, err
	}
	if projectID == "" {
		p, err := c.GetProject(ctx, project)
		if err != nil {
			return false, err
		}
		projectID = p.ID
	}
	return c.HasProjectPermission(ctx, accountID, projectID, jira.PermissionAdministerProjects)
}

// Settings returns the tenant's settings view with this month's usage.
func (s *Service) Settings(ctx context.Context, t *domain.Tenant) (Settings, error) {
	r, err := s.settings(ctx, t)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	out.LLM.Provider, out.LLM.BaseURL, out.LLM.Model = r.LLMProvider, r.LLMBaseURL, r.LLMModel
	out.LLM.KeySet = r.llmKey != ""
	out.LLM.AppKey = r.llmKey == "" && r.LLMProvider != ProviderNone && s.Defaults.OpenAIKey != "" && sameURL(r.LLMBaseURL, s.Defaults.OpenAIBaseURL)
	out.Research.Provider = r.ResearchProvider
	out.Research.KeySet = r.researchKey != ""
	out.Research.AppKey = r.researchKey == "" && r.ResearchProvider == ProviderSerpAPI && s.Defaults.SerpAPIKey != ""
	out.Budgets.LLMMonthlyUSD, out.Budgets.SearchesPerMonth = r.LLMBudgetUSD, r.SearchesPerMonth
	out.RetentionDays = r.RetentionDays
	u, err := s.Store.Tenant(t).Usage(ctx, store.Period(s.Now()))
	if err != nil {
		return Settings{}, err
	}
	out.Usage.LLMUSDThisMonth = math.Round(float64(u.LLMCostMicro)/1e4) / 100
	out.Usage.SearchesThisMonth = u.Searches
	out.Usage.LLMCallsThisMonth = u.LLMCalls
	out.Usage.TokensThisMonth = u.PromptTokens + u.CompletionTokens
	return out, nil
}

// SaveSettings validates and stores an admin's settings; errors wrap
// domain.ErrInvalid with a message for the person.
func (s *Service) SaveSettings(ctx context.Context, t *domain.Tenant, accountID string, u SettingsUpdate) (Settings, error) {
	cur, err := s.settings(ctx, t)
	if err != nil {
		return Settings{}, err
	}
	g := store.GenerateSettings{UpdatedBy: accountID}
	switch u.LLM.Provider {
	case ProviderNone:
		g.LLMProvider, g.LLMBaseURL, g.LLMModel = ProviderNone, cur.LLMBaseURL, cur.LLMModel
	case ProviderOpenAI:
		g.LLMProvider, g.LLMBaseURL = ProviderOpenAI, llm.DefaultBaseURL
	case ProviderCompatible:
		g.LLMProvider, g.LLMBaseURL = ProviderCompatible, strings.TrimSuffix(strings.TrimSpace(u.LLM.BaseURL), "/")
		if err := s.validBaseURL(g.LLMBaseURL); err != nil {
			return Settings{}, err
		}
	default:
		return Settings{}, invalid("the LLM provider must be none, openai or compatible")
	}
	if g.LLMProvider != ProviderNone {
		g.LLMModel = strings.TrimSpace(u.LLM.Model)
		if g.LLMModel == "" {
			g.LLMModel = s.Defaults.OpenAIModel
		}
		if len(g.LLMModel) > 200 {
			return Settings{}, invalid("the model name is too long")
		}
	}
	llmKey := cur.llmKey
	// A key entered for one endpoint is not silently sent to another.
	if !sameURL(g.LLMBaseURL, cur.LLMBaseURL) && u.LLM.APIKey == nil {
		llmKey = ""
	}
	if u.LLM.APIKey != nil {
		llmKey = strings.TrimSpace(*u.LLM.APIKey)
	}
	if g.LLMKeySealed, err = s.Box.Seal(llmKey, aadLLM(t)); err != nil {
		return Settings{}, err
	}
	switch u.Research.Provider {
	case ProviderNone, ProviderSerpAPI:
		g.ResearchProvider = u.Research.Provider
	default:
		return Settings{}, invalid("the research provider must be none or serpapi")
	}
	rkey := cur.researchKey
	if u.Research.APIKey != nil {
		rkey = strings.TrimSpace(*u.Research.APIKey)
	}
	if g.ResearchKey, err = s.Box.Seal(rkey, aadResearch(t)); err != nil {
		return Settings{}, err
	}
	b := u.Budgets
	if math.IsNaN(b.LLMMonthlyUSD) || b.LLMMonthlyUSD < 0 || b.LLMMonthlyUSD > 100000 {
		return Settings{}, invalid("the monthly LLM budget must be between 0 and 100000 USD")
	}
	if b.SearchesPerMonth < 0 || b.SearchesPerMonth > 1000000 {
		return Settings{}, invalid("the monthly search quota must be between 0 and 1000000")
	}
	g.LLMBudgetMicro, g.SearchesPerMonth = int64(math.Round(b.LLMMonthlyUSD*1e6)), b.SearchesPerMonth
	g.RetentionDays = u.RetentionDays
	if g.RetentionDays == 0 {
		g.RetentionDays = cur.RetentionDays
	}
	if g.RetentionDays < 1 || g.RetentionDays > 3650 {
		return Settings{}, invalid("retention must be between 1 and 3650 days")
	}
	if err := s.Store.Tenant(t).SaveGenerateSettings(ctx, g); err != nil {
		return Settings{}, err
	}
	return s.Settings(ctx, t)
}
