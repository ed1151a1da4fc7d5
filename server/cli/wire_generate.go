package cli

import (
	"log/slog"
	"time"

	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/netguard"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/secrets"
	"github.com/backlogai/backlogai/server/store"
)

// newGenerator wires the generation pipeline (LLM, research, drafts) from
// the configuration: the app's default LLM and research provider, the
// box that seals tenants' API keys, the Jira clients and project models
// shared with the sync service and the pages, and the sync service itself
// as the writer of the score property of created issues.
func newGenerator(cfg *config.Config, st *store.Store, keeper *backlog.Service, jiraClients *jiraclients.Registry,
	models *projectmodel.Cache, log *slog.Logger) (*generate.Service, error) {
	box, err := secrets.New(cfg.EncryptionKey, cfg.PreviousKeys...)
	if err != nil {
		return nil, err
	}
	guard := netguard.Policy{AllowPrivate: cfg.AllowPrivateURLs || cfg.Sandbox, AllowHTTP: cfg.AllowPrivateURLs || cfg.Sandbox}
	return generate.New(&generate.Service{
		Store:       st,
		JiraClients: jiraClients,
		Models:      models,
		Backlog:     keeper,
		Box:         box,
		Defaults: generate.Defaults{
			OpenAIKey: cfg.OpenAIKey, OpenAIBaseURL: cfg.OpenAIBaseURL, OpenAIModel: cfg.OpenAIModel,
			SerpAPIKey: cfg.SerpAPIKey, SerpAPIBaseURL: cfg.SerpAPIBaseURL,
		},
		// Tenants choose these URLs in Settings: every connection is
		// SSRF-guarded (public addresses only, re-checked after DNS and on
		// redirects) unless the operator allows private ones. Each LLM
		// attempt has its own timeout; this bounds a response's headers.
		HTTP:              guard.Client(60 * time.Second),
		Waker:             keeper.Waker,
		Logger:            log.With("component", "generate"),
		AllowInsecureURLs: cfg.Sandbox || cfg.AllowPrivateURLs,
	})
}
