package web_test

import (
	"errors"
	"log/slog"
	"testing"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/store/storetest"
	"github.com/backlogai/backlogai/server/web"
)

// TestNewNeedsTheSharedClientsAndModels: the backlog routes use the Jira
// clients and project models directly, so a server with Backlog but
// without them fails at start, not on the first request.
func TestNewNeedsTheSharedClientsAndModels(t *testing.T) {
	st := storetest.Open(t, "sqlite", nil)
	clients := &jiraclients.Registry{AppKey: appKey}
	models := &projectmodel.Cache{Store: st}
	keeper := &backlog.Service{Store: st, AppKey: appKey, JiraClients: clients, Models: models}
	for _, tc := range []struct {
		name    string
		clients *jiraclients.Registry
		models  *projectmodel.Cache
		ok      bool
	}{
		{"both", clients, models, true},
		{"no clients", nil, models, false},
		{"no models", clients, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := web.New(web.Deps{Config: &config.Config{BaseURL: appBase, AppKey: appKey}, Store: st,
				Backlog: keeper, JiraClients: tc.clients, Models: tc.models,
				Descriptor: backlogai.DescriptorTemplate, Logger: slog.New(slog.DiscardHandler)})
			switch {
			case tc.ok && err != nil:
				t.Fatal(err)
			case tc.ok && srv.Access == nil:
				t.Error("no permission checker over the Jira clients")
			case !tc.ok && !errors.Is(err, domain.ErrInvalid):
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}
