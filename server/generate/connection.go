package generate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/conncheck"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/llm"
	"github.com/backlogai/backlogai/server/store"
)

// connTimeout bounds one Test connection call.
const connTimeout = 10 * time.Second

// Targets of TestConnection.
const (
	TargetLLM      = "llm"
	TargetResearch = "research"
)

// TestConnection makes one real call with the settings an admin is
// editing for scope (not yet saved) and reports how it went. A key left
// empty is the one that saving would keep: the scope's own for the same
// URL, else the app's for the app's URL, else none. Bad values are
// refused like SaveSettings refuses them.
func (s *Service) TestConnection(ctx context.Context, t *domain.Tenant, scope, target string, u SettingsUpdate) (conncheck.Result, error) {
	if err := s.Init(); err != nil {
		return conncheck.Result{}, err
	}
	own, err := s.scopeRow(ctx, t, scope)
	if err != nil {
		return conncheck.Result{}, err
	}
	switch target {
	case TargetLLM:
		return s.testLLM(ctx, t, scope, own, u)
	case TargetResearch:
		return s.testResearch(ctx, t, scope, own, u)
	}
	return conncheck.Result{}, invalid("the connection to test (target) must be llm or research")
}

// parentSettings are what a scope inherits: the site defaults for a
// project, the app's for the site.
func (s *Service) parentSettings(ctx context.Context, t *domain.Tenant, scope string) (resolved, error) {
	if scope == domain.SiteScope {
		return s.defaults(), nil
	}
	return s.settings(ctx, t, domain.SiteScope)
}

func (s *Service) testLLM(ctx context.Context, t *domain.Tenant, scope string, own *domain.ScopeSettings, u SettingsUpdate) (conncheck.Result, error) {
	p := strings.TrimSpace(u.LLM.Provider)
	var base, model, key string
	switch p {
	case "", ProviderInherit:
		r, err := s.parentSettings(ctx, t, scope)
		if err != nil {
			return conncheck.Result{}, err
		}
		if r.LLMProvider == ProviderNone {
			return conncheck.Result{Kind: conncheck.KindNone, Message: "The inherited setting uses no AI model: there is nothing to test."}, nil
		}
		base, model, key = r.LLMBaseURL, r.LLMModel, r.llmKey
		if key == "" && sameURL(base, s.Defaults.OpenAIBaseURL) {
			key = s.Defaults.OpenAIKey
		}
		return conncheck.LLM(ctx, s.HTTP, base, key, model, connTimeout), nil
	case ProviderNone:
		return conncheck.Result{Kind: conncheck.KindNone, Message: "No AI model is selected: there is nothing to test."}, nil
	case ProviderOpenAI:
		base = llm.DefaultBaseURL
	case ProviderCompatible:
		base = strings.TrimSuffix(strings.TrimSpace(u.LLM.BaseURL), "/")
		if err := s.validBaseURL(base); err != nil {
			return conncheck.Result{}, err
		}
	default:
		return conncheck.Result{}, invalid("the LLM provider (llm.provider) must be inherit, none, openai or compatible")
	}
	model = strings.TrimSpace(u.LLM.Model)
	if model == "" {
		model = s.Defaults.OpenAIModel
	}
	if len(model) > maxModelLen {
		return conncheck.Result{}, invalid("the model name (llm.model) must be at most %d characters", maxModelLen)
	}
	switch {
	case u.LLM.APIKey != nil && strings.TrimSpace(*u.LLM.APIKey) != "":
		key = strings.TrimSpace(*u.LLM.APIKey)
	case own.LLMProvider != nil && sameURL(own.LLMBaseURL, base):
		k, err := s.Box.Open(own.LLMKeySealed, store.ScopeAAD(t.ID, own.Project, "llm"))
		if err != nil {
			return conncheck.Result{}, err
		}
		key = k
	}
	if key == "" && sameURL(base, s.Defaults.OpenAIBaseURL) {
		key = s.Defaults.OpenAIKey
	}
	if key == "" && p == ProviderOpenAI {
		return conncheck.Result{Kind: conncheck.KindAuth, Message: "OpenAI needs an API key: enter one."}, nil
	}
	return conncheck.LLM(ctx, s.HTTP, base, key, model, connTimeout), nil
}

func (s *Service) testResearch(ctx context.Context, t *domain.Tenant, scope string, own *domain.ScopeSettings, u SettingsUpdate) (conncheck.Result, error) {
	p := strings.TrimSpace(u.Research.Provider)
	key := ""
	switch p {
	case "", ProviderInherit:
		r, err := s.parentSettings(ctx, t, scope)
		if err != nil {
			return conncheck.Result{}, err
		}
		if r.ResearchProvider != ProviderSerpAPI {
			return conncheck.Result{Kind: conncheck.KindNone, Message: "The inherited setting uses no research provider: there is nothing to test."}, nil
		}
		key = r.researchKey
	case ProviderNone:
		return conncheck.Result{Kind: conncheck.KindNone, Message: "No research provider is selected: there is nothing to test."}, nil
	case ProviderSerpAPI:
		switch {
		case u.Research.APIKey != nil && strings.TrimSpace(*u.Research.APIKey) != "":
			key = strings.TrimSpace(*u.Research.APIKey)
		case own.ResearchProvider != nil:
			k, err := s.Box.Open(own.ResearchKeySealed, store.ScopeAAD(t.ID, own.Project, "research"))
			if err != nil {
				return conncheck.Result{}, err
			}
			key = k
		}
	default:
		return conncheck.Result{}, invalid("the research provider (research.provider) must be inherit, none or serpapi")
	}
	if key == "" {
		key = s.Defaults.SerpAPIKey
	}
	if len(key) > maxAPIKeyLen {
		return conncheck.Result{}, invalid("the SerpAPI key (research.apiKey) must be at most %d characters", maxAPIKeyLen)
	}
	return conncheck.SerpAPI(ctx, s.HTTP, s.Defaults.SerpAPIBaseURL, key, connTimeout), nil
}

// unavailableReason says how an LLM call failed to get an answer: a
// refused connection or an unknown host is not a slow answer.
func unavailableReason(err error) string {
	var ae *llm.APIError
	if errors.As(err, &ae) && ae.Status >= 500 {
		return fmt.Sprintf("it is unavailable: HTTP %d", ae.Status)
	}
	kind, _ := conncheck.Describe(err, nil, 0)
	switch kind {
	case conncheck.KindRefused:
		return "the connection was refused"
	case conncheck.KindDNS:
		return "its host name could not be resolved"
	case conncheck.KindTLS:
		return "its TLS certificate was not accepted"
	case conncheck.KindBlocked:
		return "its address is not allowed"
	case conncheck.KindTimeout:
		return "it did not answer in time"
	}
	return "it is unavailable"
}
