package access_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jiraemu"
)

const secret = "access-test-shared-secret"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	emu     *jiraemu.Emulator
	clock   *clock
	checker *access.Checker
	tenant  *domain.Tenant
}

// newEnv is a Checker over a real jira.Client talking to the emulated
// site (demo project SHOP, id 10000) over HTTP.
func newEnv(t *testing.T, checker *access.Checker) *env {
	t.Helper()
	emu := jiraemu.New(jiraemu.Options{SharedSecret: secret})
	srv := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(srv.URL)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	signer := &connect.SigningClient{HTTP: srv.Client(), AppKey: jiraemu.DefaultAppKey, BaseURL: srv.URL, Secret: secret}
	client, err := jira.New(signer, srv.URL, jira.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	checker.Now = c.Now
	checker.Clients = func(*domain.Tenant) (*jira.Client, error) { return client, nil }
	tenant := &domain.Tenant{ID: 1, ClientKey: emu.ClientKey(), BaseURL: srv.URL}
	return &env{emu: emu, clock: c, checker: checker, tenant: tenant}
}

// checks counts the permission-check calls the emulated site answered.
func (e *env) checks() int {
	n := 0
	for ep, s := range e.emu.Stats().ByEndpoint {
		if strings.Contains(ep, "permissions/check") {
			n += s.Requests
		}
	}
	return n
}

var shop = access.Project{Key: "SHOP", ID: "10000"}

func TestRequireByDemoUser(t *testing.T) {
	e := newEnv(t, &access.Checker{})
	all := []access.Permission{access.EditIssues, access.CreateIssues, access.LinkIssues, access.AdministerProjects, access.Administer, access.ScheduleIssues}
	cases := []struct {
		account string
		allowed []access.Permission
	}{
		{jiraemu.DemoSiteAdminID, all},
		{jiraemu.DemoProjectAdminID, []access.Permission{access.EditIssues, access.CreateIssues, access.LinkIssues, access.AdministerProjects, access.ScheduleIssues}},
		{jiraemu.DemoMemberID, []access.Permission{access.EditIssues, access.CreateIssues, access.LinkIssues, access.ScheduleIssues}},
		{jiraemu.DemoViewerID, nil},
	}
	for _, tc := range cases {
		t.Run(tc.account, func(t *testing.T) {
			for _, p := range all {
				err := e.checker.Require(context.Background(), e.tenant, tc.account, shop, p)
				want := false
				for _, a := range tc.allowed {
					want = want || a == p
				}
				var denied *access.DeniedError
				switch {
				case want && err != nil:
					t.Errorf("%s: %v, want allowed", p, err)
				case !want && !errors.As(err, &denied):
					t.Errorf("%s: %v, want *DeniedError", p, err)
				case !want && (denied.Permission != p || !errors.Is(err, domain.ErrForbidden)):
					t.Errorf("%s: denial names %s (forbidden %v)", p, denied.Permission, errors.Is(err, domain.ErrForbidden))
				}
			}
		})
	}
	// Several permissions at once: the first missing one is named.
	err := e.checker.Require(context.Background(), e.tenant, jiraemu.DemoMemberID, shop, access.CreateIssues, access.AdministerProjects)
	var denied *access.DeniedError
	if !errors.As(err, &denied) || denied.Permission != access.AdministerProjects || denied.Project != "SHOP" {
		t.Errorf("member create+admin: %v", err)
	}
}

func TestRequireRefusesAnonymousWithoutAskingJira(t *testing.T) {
	e := newEnv(t, &access.Checker{})
	err := e.checker.Require(context.Background(), e.tenant, "", shop, access.LinkIssues)
	if !errors.Is(err, access.ErrAnonymous) || !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("anonymous: %v", err)
	}
	if n := e.checks(); n != 0 {
		t.Errorf("%d Jira calls for an anonymous write", n)
	}
}

func TestCacheLastsAtMostSixtySeconds(t *testing.T) {
	e := newEnv(t, &access.Checker{})
	ctx := context.Background()
	require := func() {
		t.Helper()
		if err := e.checker.Require(ctx, e.tenant, jiraemu.DemoMemberID, shop, access.EditIssues); err != nil {
			t.Fatal(err)
		}
	}
	require()
	if n := e.checks(); n != 1 {
		t.Fatalf("first check: %d Jira calls", n)
	}
	e.clock.Add(59 * time.Second)
	require()
	// Another permission of the same project is answered by the same call.
	if err := e.checker.Require(ctx, e.tenant, jiraemu.DemoMemberID, shop, access.LinkIssues, access.CreateIssues); err != nil {
		t.Fatal(err)
	}
	if n := e.checks(); n != 1 {
		t.Errorf("within 60 s: %d Jira calls, want 1", n)
	}
	// The rights change in Jira: seen once the minute is over.
	e.emu.SetProjectRole("SHOP", jiraemu.DemoMemberID, jiraemu.RoleViewer)
	e.clock.Add(time.Second)
	var denied *access.DeniedError
	if err := e.checker.Require(ctx, e.tenant, jiraemu.DemoMemberID, shop, access.EditIssues); !errors.As(err, &denied) {
		t.Errorf("after 60 s with edit revoked: %v", err)
	}
	if n := e.checks(); n != 2 {
		t.Errorf("after 60 s: %d Jira calls, want 2", n)
	}
	// Other accounts, projects and tenants are other entries.
	e.checker.Require(ctx, e.tenant, jiraemu.DemoViewerID, shop, access.EditIssues)
	other := *e.tenant
	other.ID = 2
	e.checker.Require(ctx, &other, jiraemu.DemoViewerID, shop, access.EditIssues)
	if n := e.checks(); n != 4 {
		t.Errorf("other account and tenant: %d Jira calls, want 4", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	e := newEnv(t, &access.Checker{MaxEntries: 2})
	ctx := context.Background()
	for _, a := range []string{jiraemu.DemoMemberID, jiraemu.DemoViewerID, jiraemu.DemoProjectAdminID, jiraemu.DemoMemberID} {
		e.checker.Require(ctx, e.tenant, a, shop, access.EditIssues)
	}
	// The member's entry was evicted by the third account: asked again.
	if n := e.checks(); n != 4 {
		t.Errorf("%d Jira calls, want 4 with room for 2 entries", n)
	}
}

func TestJiraFailuresFailClosed(t *testing.T) {
	cases := []struct {
		name   string
		faults jiraemu.Faults
	}{
		{"jira down", jiraemu.Faults{Errors: []jiraemu.ErrorRule{{Endpoint: "/rest/api/3/permissions/check", Status: 503}}}},
		{"jira refuses the app", jiraemu.Faults{Errors: []jiraemu.ErrorRule{{Endpoint: "/rest/api/3/permissions/check", Status: 403}}}},
		{"rate limited", jiraemu.Faults{Throttle: []jiraemu.ThrottleRule{{Endpoint: "/rest/api/3/permissions/check", Probability: 1}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, &access.Checker{})
			e.emu.SetFaults(tc.faults)
			err := e.checker.Require(context.Background(), e.tenant, jiraemu.DemoProjectAdminID, shop, access.EditIssues)
			var un *access.UnavailableError
			if !errors.As(err, &un) || !errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrForbidden) {
				t.Fatalf("got %v, want an UnavailableError that is not a denial", err)
			}
			// A failure is not cached: once Jira answers, the write goes through.
			e.emu.SetFaults(jiraemu.Faults{})
			if err := e.checker.Require(context.Background(), e.tenant, jiraemu.DemoProjectAdminID, shop, access.EditIssues); err != nil {
				t.Errorf("after recovery: %v", err)
			}
		})
	}
}

// A zero Checker (no Clients wired) refuses rather than panics or allows.
func TestZeroCheckerFailsClosed(t *testing.T) {
	var c access.Checker
	tn := &domain.Tenant{ID: 1, ClientKey: "k"}
	for _, p := range []access.Project{shop, {Key: "SHOP"}} {
		err := c.Require(context.Background(), tn, jiraemu.DemoSiteAdminID, p, access.EditIssues)
		if !errors.Is(err, domain.ErrUnavailable) || errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%+v: got %v, want unavailable", p, err)
		}
	}
}

func TestProjectIDLookedUpByKey(t *testing.T) {
	e := newEnv(t, &access.Checker{})
	ctx := context.Background()
	if err := e.checker.Require(ctx, e.tenant, jiraemu.DemoMemberID, access.Project{Key: "SHOP"}, access.EditIssues); err != nil {
		t.Fatalf("by key: %v", err)
	}
	var denied *access.DeniedError
	if err := e.checker.Require(ctx, e.tenant, jiraemu.DemoMemberID, access.Project{Key: "NOPE"}, access.EditIssues); !errors.As(err, &denied) {
		t.Errorf("unknown project: %v, want a denial", err)
	}
	if err := e.checker.Require(ctx, e.tenant, jiraemu.DemoMemberID, access.Project{}, access.EditIssues); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("no project: %v", err)
	}
	// The global permission needs no project.
	if err := e.checker.Require(ctx, e.tenant, jiraemu.DemoSiteAdminID, access.Project{}, access.Administer); err != nil {
		t.Errorf("site admin: %v", err)
	}
	if err := e.checker.Require(ctx, e.tenant, jiraemu.DemoProjectAdminID, access.Project{}, access.Administer); !errors.As(err, &denied) || denied.Project != "" {
		t.Errorf("project admin as site admin: %v", err)
	}
}

func TestLabels(t *testing.T) {
	for p, want := range map[access.Permission]string{access.EditIssues: "Edit issues", access.AdministerProjects: "Administer projects", "OTHER": "OTHER"} {
		if got := p.Label(); got != want {
			t.Errorf("%s: %q", p, got)
		}
	}
}

// TestConcurrentChecksShareOneCall: a burst of writes by one person waits
// on one Jira call instead of making one each.
func TestConcurrentChecksShareOneCall(t *testing.T) {
	e := newEnv(t, &access.Checker{})
	e.emu.SetFaults(jiraemu.Faults{Slow: []jiraemu.SlowRule{{Endpoint: "/rest/api/3/permissions/check", Delay: 200 * time.Millisecond}}})
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.checker.Require(context.Background(), e.tenant, jiraemu.DemoMemberID, shop, access.EditIssues)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := e.checks(); n != 1 {
		t.Errorf("10 concurrent checks made %d Jira calls, want 1", n)
	}
}

// TestRightsMatchRequire: a page's view of the rights agrees with what
// Require allows, and reuses its cached answer (one Jira call).
func TestRightsMatchRequire(t *testing.T) {
	e := newEnv(t, &access.Checker{})
	ctx := context.Background()
	for _, tc := range []struct {
		account string
		want    map[access.Permission]bool
	}{
		{jiraemu.DemoViewerID, map[access.Permission]bool{access.EditIssues: false, access.CreateIssues: false, access.LinkIssues: false, access.AdministerProjects: false}},
		{jiraemu.DemoMemberID, map[access.Permission]bool{access.EditIssues: true, access.CreateIssues: true, access.LinkIssues: true, access.AdministerProjects: false}},
		{jiraemu.DemoSiteAdminID, map[access.Permission]bool{access.EditIssues: true, access.CreateIssues: true, access.LinkIssues: true, access.AdministerProjects: true}},
	} {
		before := e.checks()
		got, err := e.checker.Rights(ctx, e.tenant, tc.account, shop)
		if err != nil {
			t.Fatalf("%s: %v", tc.account, err)
		}
		for p, want := range tc.want {
			if got[p] != want {
				t.Errorf("%s %s: %v, want %v", tc.account, p, got[p], want)
			}
			if allowed := e.checker.Require(ctx, e.tenant, tc.account, shop, p) == nil; allowed != got[p] {
				t.Errorf("%s %s: Rights says %v, Require %v", tc.account, p, got[p], allowed)
			}
		}
		if n := e.checks() - before; n != 1 {
			t.Errorf("%s: %d Jira calls, want 1 (cached)", tc.account, n)
		}
	}
	if _, err := e.checker.Rights(ctx, e.tenant, "", shop); !errors.Is(err, access.ErrAnonymous) {
		t.Errorf("anonymous: %v", err)
	}
}
