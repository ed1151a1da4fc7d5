package forgeapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/forge"
	"github.com/backlogai/backlogai/server/forge/forgeapi"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// A long scan keeps calling Jira after the token of the invocation that
// started it expired: each call takes the latest stored system token.
func TestAppDoerUsesLatestStoredSystemToken(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	defer api.Close()
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := storetest.Open(t, "sqlite", clock)
	ctx := context.Background()
	base := api.URL + "/ex/jira/cloud-1"
	tn, err := st.SaveForgeInstallation(ctx, domain.ForgeInstallation{InstallationID: "inst-1", SiteURL: "https://acme.atlassian.net",
		APIBaseURL: base, CloudID: "cloud-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveForgeSystemToken(ctx, "inst-1", "sys-1", now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	c := &forgeapi.Clients{Store: st, Now: clock, CacheTTL: time.Nanosecond}
	doer, gotBase, ok := c.AppDoer(tn)
	if !ok || gotBase != base {
		t.Fatalf("AppDoer = %v %q", ok, gotBase)
	}
	call := func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/rest/api/3/myself", nil)
		resp, err := doer.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := call(); err != nil {
		t.Fatal(err)
	}
	// The first token expires; with no newer one, calls fail clearly.
	now = now.Add(11 * time.Minute)
	if err := call(); !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), "system token") {
		t.Fatalf("expired token: %v", err)
	}
	// The next invocation (or the hourly scheduled trigger) brings a new one.
	if _, err := st.SaveForgeSystemToken(ctx, "inst-1", "sys-2", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := call(); err != nil {
		t.Fatal(err)
	}
	want := []string{"/ex/jira/cloud-1/rest/api/3/myself Bearer sys-1", "/ex/jira/cloud-1/rest/api/3/myself Bearer sys-2"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("calls = %q, want %q", seen, want)
	}
	// The token never goes anywhere but the API base URL.
	req, _ := http.NewRequest(http.MethodGet, "https://evil.example/rest/api/3/myself", nil)
	if _, err := doer.Do(req); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("request outside base: %v", err)
	}
}

func TestUserDoerNeedsThePersonsToken(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	st := storetest.Open(t, "sqlite", func() time.Time { return now })
	ctx := context.Background()
	tn, err := st.SaveForgeInstallation(ctx, domain.ForgeInstallation{InstallationID: "inst-1", SiteURL: "https://acme.atlassian.net",
		APIBaseURL: "https://api.atlassian.com/ex/jira/c"})
	if err != nil {
		t.Fatal(err)
	}
	ut := &forge.UserTokens{Now: func() time.Time { return now }}
	c := &forgeapi.Clients{Store: st, UserTokens: ut, Now: func() time.Time { return now }}
	if _, _, ok, err := c.UserDoer(ctx, tn, "acc-1"); !ok || !errors.Is(err, domain.ErrUnauthorized) {
		t.Fatalf("without token: ok=%v err=%v", ok, err)
	}
	ut.Put(tn.ID, "acc-1", "user-tok", now.Add(time.Hour))
	if d, _, ok, err := c.UserDoer(ctx, tn, "acc-1"); !ok || err != nil || d == nil {
		t.Fatalf("with token: ok=%v err=%v", ok, err)
	}
	// A tenant on Connect only is not the Forge adapter's business.
	connectOnly, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "c", BaseURL: "https://c.atlassian.net", SharedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := c.UserDoer(ctx, connectOnly, "acc-1"); ok || err != nil {
		t.Fatalf("connect tenant: ok=%v err=%v", ok, err)
	}
}
