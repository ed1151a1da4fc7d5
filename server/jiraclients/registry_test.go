package jiraclients

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
)

// countingHost is a Forge-like host whose app transport counts requests.
type countingHost struct {
	tenant string // the clientKey served through the host
	base   string
	calls  atomic.Int64
	http   *http.Client
}

func (h *countingHost) AppDoer(t *domain.Tenant) (jira.Doer, string, bool) {
	if t.ClientKey != h.tenant {
		return nil, "", false
	}
	return doerFunc(func(r *http.Request) (*http.Response, error) {
		h.calls.Add(1)
		return h.http.Do(r)
	}), h.base, true
}

func (h *countingHost) UserDoer(context.Context, *domain.Tenant, string) (jira.Doer, string, bool, error) {
	return nil, "", false, nil
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestAppClientIsCachedPerInstallation: a tenant's app client is built
// once, rebuilt when a re-install changes its secret, and taken from the
// host for a tenant on Forge.
func TestAppClientIsCachedPerInstallation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"10000","key":"SHOP","name":"Shop","issueTypes":[]}`))
	}))
	defer srv.Close()
	host := &countingHost{tenant: "forge-site", base: srv.URL, http: srv.Client()}
	r := &Registry{AppKey: "backlogai", HTTP: srv.Client(), Hosts: host}
	tn := &domain.Tenant{ID: 1, ClientKey: "connect-site", BaseURL: srv.URL, SharedSecret: "one"}
	c1, err := r.App(tn)
	if err != nil {
		t.Fatal(err)
	}
	if c2, _ := r.App(tn); c2 != c1 {
		t.Error("the app client was rebuilt without a change")
	}
	reinstalled := *tn
	reinstalled.SharedSecret = "two"
	if c3, _ := r.App(&reinstalled); c3 == c1 {
		t.Error("a new shared secret kept the old client")
	}
	forge := &domain.Tenant{ID: 2, ClientKey: "forge-site", BaseURL: "https://forge.atlassian.net"}
	fc, err := r.App(forge)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fc.GetProject(context.Background(), "SHOP"); err != nil {
		t.Fatal(err)
	}
	if host.calls.Load() == 0 {
		t.Error("the Forge tenant's call did not go through the host")
	}
}

// TestForUserRefusesToActAsTheApp: without impersonation, or without an
// account, a person's client is refused instead of acting as the app.
func TestForUserRefusesToActAsTheApp(t *testing.T) {
	r := &Registry{AppKey: "backlogai"}
	tn := &domain.Tenant{ID: 1, ClientKey: "connect-site", BaseURL: "https://a.atlassian.net", SharedSecret: "s"}
	if _, err := r.ForUser(context.Background(), tn, "acc-1"); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("without impersonation: %v, want ErrUnavailable", err)
	}
	r.Impersonator = &connect.Impersonator{AuthServerURL: "https://auth.example.com"}
	if _, err := r.ForUser(context.Background(), tn, ""); !errors.Is(err, domain.ErrUnauthorized) {
		t.Errorf("anonymous: %v, want ErrUnauthorized", err)
	}
}
