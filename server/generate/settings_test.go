package generate

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func llmUpdate(provider, base, model string, key *string) SettingsUpdate {
	var u SettingsUpdate
	u.LLM.Provider, u.LLM.BaseURL, u.LLM.Model, u.LLM.APIKey = provider, base, model, key
	return u
}

// TestGenerationUsesTheProjectsSettings: a generation run of SHOP uses
// SHOP's resolution (here the app's LLM), never the endpoint, key or
// budget SYN's admin saved; SYN's own calls do.
func TestGenerationUsesTheProjectsSettings(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	attacker := newFakeLLM(t, func(c fakeCall) fakeReply { return fakeReply{Status: 500, Body: `{"error":{"message":"x"}}`} })
	u := llmUpdate(ProviderCompatible, attacker.URL(), "gpt-4o", ptr("sk-attacker"))
	u.Budgets.LLMMonthlyUSD = ptr(100000.0)
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SYN", "acc-syn", u); err != nil {
		t.Fatal(err)
	}
	v := e.generate(checkoutForm(""))
	if v.Mode != ModeLLM || len(e.llm.Calls()) == 0 {
		t.Fatalf("SHOP's run: mode %s, %d app LLM calls", v.Mode, len(e.llm.Calls()))
	}
	if n := len(attacker.Calls()); n != 0 {
		t.Fatalf("SHOP's run called SYN's endpoint %d times", n)
	}
	shop, _ := e.svc.config(ctx, e.tenant, "SHOP")
	syn, _ := e.svc.config(ctx, e.tenant, "SYN")
	if shop.budgetMicro != 10e6 || syn.budgetMicro != 100000e6 || syn.llm == nil {
		t.Errorf("budgets SHOP %d SYN %d, SYN client %v", shop.budgetMicro, syn.budgetMicro, syn.llm)
	}
	if _, err := e.svc.config(ctx, e.tenant, ""); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("config without a project: %v", err)
	}
}

// TestSettingsInheritance: a project without its own values takes the
// site defaults, else the app's; groups are inherited whole, so a
// project never gets the site's key for a URL of its own.
func TestSettingsInheritance(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	site := llmUpdate(ProviderCompatible, "https://llm.site.example/v1", "site-model", ptr("sk-site"))
	site.Research.Provider, site.Research.APIKey = ProviderSerpAPI, ptr("serp-site")
	site.Budgets.SearchesPerMonth = ptr(0)
	site.RetentionDays = ptr(45)
	if _, err := e.svc.SaveSettings(ctx, e.tenant, domain.SiteScope, "acc-site", site); err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.Settings(ctx, e.tenant, "SHOP", false)
	if err != nil {
		t.Fatal(err)
	}
	if st.LLM.BaseURL != "https://llm.site.example/v1" || st.LLM.Source != SourceSite || !st.LLM.KeySet || st.Research.Source != SourceSite ||
		st.Budgets.SearchesPerMonth != 0 || st.Budgets.SearchesSource != SourceSite || st.Budgets.LLMSource != SourceApp || st.RetentionDays != 45 {
		t.Fatalf("SHOP inherits: %+v", st.ScopeView)
	}
	if tc, _ := e.svc.config(ctx, e.tenant, "SHOP"); tc.retention != 45 || tc.searches != 0 || tc.serp == nil || tc.serp.APIKey != "serp-site" {
		t.Errorf("SHOP's config: %+v", tc)
	}
	// SHOP chooses its own endpoint without a key: no key at all, neither
	// the site's nor the app's.
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", llmUpdate(ProviderCompatible, "https://llm.shop.example/v1", "m", nil)); err != nil {
		t.Fatal(err)
	}
	st, _ = e.svc.Settings(ctx, e.tenant, "SHOP", false)
	if st.LLM.KeySet || st.LLM.AppKey || st.LLM.Source != SourceProject || st.Research.Source != SourceSite {
		t.Errorf("SHOP's own group: %+v", st.ScopeView)
	}
	if tc, _ := e.svc.config(ctx, e.tenant, "SHOP"); tc.llm == nil || tc.llm.HasKey() {
		t.Error("a project's own endpoint got a key it was not given (or no keyless client)")
	}
	// Its own key is bound to SHOP: it does not open as another project's.
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", llmUpdate(ProviderCompatible, "https://llm.shop.example/v1", "m", ptr("sk-shop"))); err != nil {
		t.Fatal(err)
	}
	g, _ := e.st.Tenant(e.tenant).ScopeSettings(ctx, "SHOP")
	if k, err := e.svc.Box.Open(g.LLMKeySealed, store.ScopeAAD(e.tenant.ID, "SHOP", "llm")); err != nil || k != "sk-shop" {
		t.Errorf("SHOP's key: %q %v", k, err)
	}
	if _, err := e.svc.Box.Open(g.LLMKeySealed, store.ScopeAAD(e.tenant.ID, "SYN", "llm")); err == nil {
		t.Error("SHOP's key opens as SYN's")
	}
	// Back to inherit: the site's group again.
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", llmUpdate(ProviderInherit, "", "", nil)); err != nil {
		t.Fatal(err)
	}
	if st, _ = e.svc.Settings(ctx, e.tenant, "SHOP", false); st.LLM.Source != SourceSite || st.LLM.Model != "site-model" {
		t.Errorf("after inherit: %+v", st.ScopeView)
	}
	// Retention is a site setting: a project-scope change is refused,
	// repeating the current value is not a change.
	u := llmUpdate(ProviderInherit, "", "", nil)
	u.RetentionDays = ptr(7)
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", u); !errors.Is(err, ErrSiteSetting) || !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("project retention: %v", err)
	}
	u.RetentionDays = ptr(45)
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", u); err != nil {
		t.Errorf("same retention: %v", err)
	}
	// Out of range, or 0, is refused with the field named; never
	// replaced by a default.
	for _, days := range []int{99999, 0, -1} {
		u.RetentionDays = ptr(days)
		if _, err := e.svc.SaveSettings(ctx, e.tenant, domain.SiteScope, "acc", u); err == nil || !strings.Contains(err.Error(), "retentionDays") {
			t.Errorf("site retention %d: %v", days, err)
		}
	}
	if st, _ := e.svc.Settings(ctx, e.tenant, domain.SiteScope, false); st.RetentionDays != 45 {
		t.Errorf("refused retention changed the stored one: %d", st.RetentionDays)
	}
}

// TestCompatibleWithoutKey: an OpenAI-compatible server saved without a
// key is used, without an Authorization header, not silently replaced by
// the deterministic mode.
func TestCompatibleWithoutKey(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	var auth []string
	var mu sync.Mutex
	keyless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		r.Header.Set("Authorization", "Bearer sk-test") // the fake's own check
		e.llm.serve(w, r)
	}))
	defer keyless.Close()
	if _, err := e.svc.SaveSettings(ctx, e.tenant, "SHOP", "acc", llmUpdate(ProviderCompatible, keyless.URL+"/v1", "local-model", nil)); err != nil {
		t.Fatal(err)
	}
	v := e.generate(checkoutForm(""))
	if v.Mode != ModeLLM {
		t.Fatalf("mode %s, notice %q: the keyless server was not used", v.Mode, v.Notice)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) == 0 {
		t.Fatal("no call reached the keyless server")
	}
	for _, a := range auth {
		if a != "" {
			t.Errorf("Authorization %q sent to a server without a key", a)
		}
	}
}
