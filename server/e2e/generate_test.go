package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/generate"
)

// fakeOpenAI answers chat completions in OpenAI's wire format with the
// checkout scenario's canned drafts and revision, an improvement and a
// split, chosen by the response schema's name.
type fakeOpenAI struct {
	mu      sync.Mutex
	schemas []string
	srv     *httptest.Server
}

func newFakeOpenAI(t *testing.T) *fakeOpenAI {
	scenarios, err := generate.LoadScenarios("../generate/testdata/scenarios")
	if err != nil {
		t.Fatalf("scenarios: %v", err)
	}
	sc := scenarios[0]
	answers := map[string]string{
		"story_drafts":      string(sc.Draft),
		"story_revisions":   string(sc.Revision),
		"issue_improvement": `{"summary":"Keep the cart when a shopper switches devices","description":"User story\n\nAs a signed-in shopper, I want my cart kept when I switch devices, so that I can finish buying on my phone.\n\nAcceptance criteria\n\n- Given I added 2 items on desktop, when I sign in on my phone, then the cart shows the 2 items","changes":["Rewrote the summary.","Added acceptance criteria."]}`,
		"story_split": `{"rationale":"One story per wallet.","stories":[` +
			`{"summary":"As a shopper, I want to pay with Apple Pay, so that I check out without typing card details","description":"Acceptance criteria\n\n- Given Apple Pay is set up, when I pay, then the order is placed within 3 seconds"},` +
			`{"summary":"As a shopper, I want to pay with Google Pay, so that I check out without typing card details","description":"Acceptance criteria\n\n- Given Google Pay is set up, when I pay, then the order is placed within 3 seconds"}]}`,
	}
	f := &fakeOpenAI{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model          string `json:"model"`
			ResponseFormat struct {
				JSONSchema struct {
					Name string `json:"name"`
				} `json:"json_schema"`
			} `json:"response_format"`
		}
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" || json.NewDecoder(r.Body).Decode(&req) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return
		}
		name := req.ResponseFormat.JSONSchema.Name
		f.mu.Lock()
		f.schemas = append(f.schemas, name)
		f.mu.Unlock()
		content, ok := answers[name]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"unknown schema","type":"invalid_request_error"}}`)
			return
		}
		body, _ := json.Marshal(map[string]any{"id": "chatcmpl-e2e", "object": "chat.completion", "created": 1777881600, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 2100, "completion_tokens": 900, "total_tokens": 3000}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpenAI) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.schemas)
}

// fakeSerpAPI answers Google searches in SerpAPI's format.
type fakeSerpAPI struct {
	mu       sync.Mutex
	searches int
	srv      *httptest.Server
}

func newFakeSerpAPI(t *testing.T) *fakeSerpAPI {
	body, err := os.ReadFile("../research/testdata/checkout.json")
	if err != nil {
		t.Fatalf("serpapi answer: %v", err)
	}
	f := &fakeSerpAPI{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/search.json" || r.URL.Query().Get("api_key") != "serp-key" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"Invalid API key."}`)
			return
		}
		f.mu.Lock()
		f.searches++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSerpAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.searches
}

// startGenEnv is startEnv with the configuration adjusted (the LLM and
// research endpoints).
func startGenEnv(t *testing.T, mod func(*config.Config)) *env {
	t.Helper()
	o := envOptions{}
	cfg := testConfig(t, &o)
	if mod != nil {
		mod(cfg)
	}
	sb, err := cli.StartSandbox(context.Background(), cli.SandboxOptions{Config: cfg, Logger: logger(), Start: o.start})
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	e := &env{t: t, sb: sb, emu: sb.Emu, app: sb.App.URL, cfg: cfg}
	t.Cleanup(func() { e.close() })
	return e
}

// apiAs calls the app API as another user (accountId subject) on the
// project page, returning the status and body.
func (e *env) apiAs(subject, method, path string, body any) (int, []byte) {
	e.t.Helper()
	ctxJSON, _ := json.Marshal(map[string]any{"jira": map[string]any{"project": map[string]string{"key": "SHOP", "id": "10000"}}})
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.emu.ClientKey(), Subject: subject, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute))},
		QSH: connect.ContextQSH, Context: ctxJSON}, e.sharedSecret())
	if err != nil {
		e.t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.app+path, rd)
	req.Header.Set("Authorization", "JWT "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

type runView struct {
	ID       int64   `json:"id"`
	State    string  `json:"state"`
	Progress float64 `json:"progress"`
	Mode     string  `json:"mode"`
	Notice   string  `json:"notice"`
	Error    string  `json:"error"`
	Drafts   []struct {
		ID                 int64    `json:"id"`
		Status             string   `json:"status"`
		Title              string   `json:"title"`
		UserStory          string   `json:"userStory"`
		AcceptanceCriteria []string `json:"acceptanceCriteria"`
		ParentEpic         string   `json:"parentEpic"`
		Revised            bool     `json:"revised"`
		Sources            []struct {
			URL  string `json:"url"`
			Date string `json:"date"`
		} `json:"sources"`
		Check struct {
			Quality int `json:"quality"`
		} `json:"check"`
		Score struct {
			Total float64 `json:"total"`
		} `json:"score"`
		Estimate struct {
			Points float64 `json:"points"`
			Method string  `json:"method"`
		} `json:"estimate"`
	} `json:"drafts"`
	Research *struct {
		Sources []any `json:"sources"`
		Similar []struct {
			Key string `json:"key"`
		} `json:"similar"`
	} `json:"research"`
}

// generateRun submits a form and waits for its run to end.
func (e *env) generateRun(form map[string]any) runView {
	e.t.Helper()
	var sub struct {
		RunID int64 `json:"runId"`
	}
	if c := e.api("POST", "/api/projects/SHOP/generate", form, &sub); c != http.StatusAccepted || sub.RunID == 0 {
		e.t.Fatalf("generate: %d %+v", c, sub)
	}
	var v runView
	waitUntil(e.t, 30*time.Second, "the generation run", func() bool {
		if c := e.api("GET", fmt.Sprintf("/api/generation-runs/%d", sub.RunID), nil, &v); c != 200 {
			e.t.Fatalf("run: %d", c)
		}
		return v.State == "done" || v.State == "failed"
	})
	if v.State != "done" {
		e.t.Fatalf("run failed: %+v", v)
	}
	return v
}

func anEpic(e *env) string {
	var page struct {
		Rows []struct {
			Key string `json:"key"`
		} `json:"rows"`
	}
	e.api("GET", "/api/projects/SHOP/backlog?type=epic&all=1&limit=1", nil, &page)
	if len(page.Rows) == 0 {
		e.t.Fatal("no epic in the demo project")
	}
	return page.Rows[0].Key
}

// TestGenerateAndCreateEndToEnd: form → research (SerpAPI, cached) →
// LLM drafts → checks → revision → drafts → edit → created in the
// emulated Jira once, however often it is submitted.
func TestGenerateAndCreateEndToEnd(t *testing.T) {
	llm, serp := newFakeOpenAI(t), newFakeSerpAPI(t)
	e := startGenEnv(t, func(c *config.Config) {
		c.OpenAIKey, c.OpenAIBaseURL, c.OpenAIModel = "sk-test", llm.srv.URL+"/v1", "gpt-4o-mini"
		c.SerpAPIKey, c.SerpAPIBaseURL = "serp-key", serp.srv.URL
	})
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		t.Fatalf("activate: %d", c)
	}
	e.waitScan(60 * time.Second)
	epic := anEpic(e)
	form := map[string]any{"context": "ShopFlow runs online stores for small merchants; 68% of sessions are on phones.",
		"objective": "Reduce checkout abandonment on mobile", "persona": "returning mobile shopper", "segment": "small merchants",
		"constraints": "PCI DSS scope must not grow", "metrics": "mobile checkout completion from 61% to 70%",
		"competitors": []string{"Shopify", "BigCommerce"}, "research": true, "count": 3, "parentEpic": epic}
	v := e.generateRun(form)
	if v.Mode != "llm" || len(v.Drafts) != 3 || v.Progress != 1 {
		t.Fatalf("run %+v", v)
	}
	if v.Research == nil || len(v.Research.Sources) == 0 || serp.count() != 3 {
		t.Errorf("research: %+v after %d searches", v.Research, serp.count())
	}
	if !v.Drafts[2].Revised || v.Drafts[2].Check.Quality < 70 || len(v.Drafts[0].Sources) == 0 || v.Drafts[0].Sources[0].Date == "" {
		t.Errorf("drafts %+v", v.Drafts)
	}
	for _, d := range v.Drafts {
		if d.ParentEpic != epic || d.Score.Total <= 0 || d.Status != "draft" {
			t.Errorf("draft %q: epic %q score %v status %s", d.Title, d.ParentEpic, d.Score.Total, d.Status)
		}
	}
	if got := llm.calls(); len(got) != 2 {
		t.Errorf("llm calls %v", got)
	}
	// The same research again comes from the cache.
	e.generateRun(form)
	if serp.count() != 3 {
		t.Errorf("%d searches: the cache was not used", serp.count())
	}

	// Edit the first draft: the page sends the whole draft back.
	var full map[string]any
	raw, _ := json.Marshal(v.Drafts[0])
	json.Unmarshal(raw, &full)
	full["title"] = "Pay with Apple Pay or Google Pay on mobile"
	var edited struct {
		Status string `json:"status"`
		Title  string `json:"title"`
	}
	if c := e.api("PUT", fmt.Sprintf("/api/drafts/%d", v.Drafts[0].ID), full, &edited); c != 200 || edited.Status != "edited" || edited.Title != full["title"] {
		t.Fatalf("edit: %d %+v", c, edited)
	}

	ids := []int64{v.Drafts[0].ID, v.Drafts[1].ID}
	before := e.emu.IssueCount("SHOP")
	var res struct {
		Created []struct {
			DraftID int64  `json:"draftId"`
			Key     string `json:"key"`
			URL     string `json:"url"`
		} `json:"created"`
		Failed []struct {
			Error string `json:"error"`
		} `json:"failed"`
	}
	if c := e.api("POST", "/api/projects/SHOP/drafts/create", map[string]any{"ids": ids}, &res); c != 200 || len(res.Created) != 2 || len(res.Failed) != 0 {
		t.Fatalf("create: %d %+v", c, res)
	}
	if c := e.api("POST", "/api/projects/SHOP/drafts/create", map[string]any{"ids": ids}, &res); c != 200 || len(res.Created) != 2 {
		t.Fatalf("second create: %d %+v", c, res)
	}
	if n := e.emu.IssueCount("SHOP") - before; n != 2 {
		t.Fatalf("%d issues created for 2 drafts submitted twice", n)
	}
	for _, c := range res.Created {
		// Jira sets bulk properties in an asynchronous task.
		waitUntil(t, 20*time.Second, c.Key+"'s backlogai property", func() bool {
			_, ok := e.property(c.Key)
			return ok
		})
		if !strings.HasPrefix(c.URL, e.emu.BaseURL()) {
			t.Errorf("url %s", c.URL)
		}
	}
	// The webhook of the new issues brings them into the backlog.
	waitUntil(t, 20*time.Second, "the created issues to be analysed", func() bool {
		var d struct {
			Analysed bool `json:"analysed"`
		}
		e.api("GET", "/api/issues/"+res.Created[0].Key, nil, &d)
		return d.Analysed
	})
	// Drafts are created without story points, whatever their suggested
	// estimate: a suggestion written there would read as the team's own
	// and later train the estimator. The demo site has a story points field.
	suggested := 0
	for _, c := range res.Created {
		var d struct {
			Issue struct {
				StoryPoints *float64 `json:"storyPoints"`
			} `json:"issue"`
		}
		waitUntil(t, 20*time.Second, "analysis of "+c.Key, func() bool {
			var a struct {
				Analysed bool `json:"analysed"`
			}
			e.api("GET", "/api/issues/"+c.Key, nil, &a)
			return a.Analysed
		})
		e.api("GET", "/api/issues/"+c.Key, nil, &d)
		if d.Issue.StoryPoints != nil {
			t.Errorf("%s: created with story points %v", c.Key, *d.Issue.StoryPoints)
		}
		for _, dr := range v.Drafts {
			if dr.ID == c.DraftID && dr.Estimate.Method == "neighbours" {
				suggested++
			}
		}
	}
	t.Logf("%d of %d created drafts had a suggested estimate; none was written as story points", suggested, len(res.Created))
	var list struct {
		Drafts []struct {
			ID         int64  `json:"id"`
			Status     string `json:"status"`
			CreatedKey string `json:"createdKey"`
		} `json:"drafts"`
	}
	if c := e.api("GET", "/api/projects/SHOP/drafts", nil, &list); c != 200 || len(list.Drafts) != 6 {
		t.Fatalf("drafts: %d, %d drafts", c, len(list.Drafts))
	}
	created := 0
	for _, d := range list.Drafts {
		if d.Status == "created" && d.CreatedKey != "" {
			created++
		}
	}
	if created != 2 {
		t.Errorf("%d drafts marked created", created)
	}
	// Runs of another project are not visible from this page.
	if c := e.api("GET", "/api/generation-runs/999999", nil, nil); c != http.StatusNotFound {
		t.Errorf("unknown run: %d", c)
	}
}

func TestGenerateWithoutLLMSaysSo(t *testing.T) {
	e := startGenEnv(t, nil)
	v := e.generateRun(map[string]any{"objective": "Let merchants export orders and email invoices", "persona": "store owner", "count": 2})
	if v.Mode != "deterministic" || !strings.Contains(v.Notice, "No LLM configured") || len(v.Drafts) != 2 {
		t.Fatalf("run %+v", v)
	}
	for _, d := range v.Drafts {
		if d.Check.Quality < 70 || len(d.AcceptanceCriteria) == 0 || !strings.HasPrefix(d.AcceptanceCriteria[0], "Given ") {
			t.Errorf("draft %+v", d)
		}
	}
	if c := e.api("POST", "/api/projects/SHOP/generate", map[string]any{"count": 2}, nil); c != http.StatusBadRequest {
		t.Errorf("form without objective: %d", c)
	}
}

func TestImproveAndSplitEndToEnd(t *testing.T) {
	llm := newFakeOpenAI(t)
	e := startGenEnv(t, func(c *config.Config) {
		c.OpenAIKey, c.OpenAIBaseURL = "sk-test", llm.srv.URL+"/v1"
	})
	const key = "SHOP-3"
	var imp struct {
		Mode    string `json:"mode"`
		Summary string `json:"summary"`
		Diff    struct {
			Summary []struct {
				Op   string `json:"op"`
				Text string `json:"text"`
			} `json:"summary"`
		} `json:"diff"`
		Before struct {
			Quality int `json:"quality"`
		} `json:"before"`
		After struct {
			Quality int `json:"quality"`
		} `json:"after"`
	}
	if c := e.api("POST", "/api/issues/"+key+"/improve", nil, &imp); c != 200 || imp.Mode != "llm" || len(imp.Diff.Summary) == 0 {
		t.Fatalf("improve: %d %+v", c, imp)
	}
	var applied struct {
		Key     string `json:"key"`
		Updated bool   `json:"updated"`
	}
	body := map[string]string{"summary": imp.Summary, "description": "As a signed-in shopper, I want my cart kept when I switch devices, so that I can finish buying on my phone."}
	if c := e.api("POST", "/api/issues/"+key+"/improve/apply", body, &applied); c != 200 || !applied.Updated {
		t.Fatalf("apply: %d %+v", c, applied)
	}
	var split struct {
		Stories []struct {
			Summary     string `json:"summary"`
			Description string `json:"description"`
			Quality     int    `json:"quality"`
		} `json:"stories"`
	}
	if c := e.api("POST", "/api/issues/"+key+"/split", nil, &split); c != 200 || len(split.Stories) != 2 {
		t.Fatalf("split: %d %+v", c, split)
	}
	before := e.emu.IssueCount("SHOP")
	var created struct {
		Created []struct {
			Key string `json:"key"`
		} `json:"created"`
	}
	if c := e.api("POST", "/api/issues/"+key+"/split/apply", map[string]any{"stories": split.Stories}, &created); c != http.StatusCreated || len(created.Created) != 2 {
		t.Fatalf("split apply: %d %+v", c, created)
	}
	if c := e.api("POST", "/api/issues/"+key+"/split/apply", map[string]any{"stories": split.Stories}, &created); c != http.StatusCreated || e.emu.IssueCount("SHOP") != before+2 {
		t.Fatalf("second split apply: %d, %d new issues", c, e.emu.IssueCount("SHOP")-before)
	}
	// An issue of another project is refused by the page's context.
	if c := e.api("POST", "/api/issues/OTHER-1/improve", nil, nil); c != http.StatusForbidden {
		t.Errorf("other project's issue: %d", c)
	}
}

func TestSettingsForProjectAdminsOnly(t *testing.T) {
	llm := newFakeOpenAI(t)
	e := startGenEnv(t, func(c *config.Config) {
		c.OpenAIKey, c.OpenAIBaseURL = "sk-test", llm.srv.URL+"/v1"
	})
	// Another account: permission answers are cached for up to a minute.
	c, raw := e.apiAs("557058:not-admin", "GET", "/api/projects/SHOP/settings", nil)
	if c != http.StatusForbidden || !strings.Contains(string(raw), "Only administrators of this project") {
		t.Fatalf("non-admin settings: %d %s", c, raw)
	}
	e.emu.SetProjectAdmins("SHOP", "557058:pm")
	var st struct {
		LLM struct {
			Provider string `json:"provider"`
			KeySet   bool   `json:"keySet"`
			AppKey   bool   `json:"appKey"`
		} `json:"llm"`
		Budgets struct {
			LLMMonthlyUSD    float64 `json:"llmMonthlyUsd"`
			SearchesPerMonth int     `json:"searchesPerMonth"`
		} `json:"budgets"`
		Usage struct {
			LLMUSDThisMonth float64 `json:"llmUsdThisMonth"`
		} `json:"usage"`
		IsAdmin bool `json:"isAdmin"`
	}
	if code := e.api("GET", "/api/projects/SHOP/settings", nil, &st); code != 200 || !st.IsAdmin || !st.LLM.AppKey || st.Budgets.SearchesPerMonth != 250 {
		t.Fatalf("admin settings: %d %+v", code, st)
	}
	put := map[string]any{"llm": map[string]any{"provider": "compatible", "baseUrl": llm.srv.URL + "/v1", "model": "gpt-4o-mini", "apiKey": "sk-test"},
		"research": map[string]any{"provider": "none"}, "budgets": map[string]any{"llmMonthlyUsd": 0, "searchesPerMonth": 10}}
	c, raw = e.apiAs("557058:pm", "PUT", "/api/projects/SHOP/settings", put)
	if c != 200 || strings.Contains(string(raw), "sk-test") || !strings.Contains(string(raw), `"keySet":true`) {
		t.Fatalf("put settings: %d %s", c, raw)
	}
	// A zero budget stops AI calls with a clear 402.
	c, raw = e.apiAs("557058:pm", "POST", "/api/issues/SHOP-3/improve", nil)
	if c != http.StatusPaymentRequired || !strings.Contains(string(raw), "budget") {
		t.Errorf("improve over budget: %d %s", c, raw)
	}
	if n := len(llm.calls()); n != 0 {
		t.Errorf("%d LLM calls over budget", n)
	}
	bad := map[string]any{"llm": map[string]any{"provider": "claude"}, "research": map[string]any{"provider": "none"}, "budgets": map[string]any{}}
	if c, raw = e.apiAs("557058:pm", "PUT", "/api/projects/SHOP/settings", bad); c != http.StatusBadRequest || !strings.Contains(string(raw), "none, openai or compatible") {
		t.Errorf("bad settings: %d %s", c, raw)
	}
	if c, _ = e.apiAs("557058:someone-else", "PUT", "/api/projects/SHOP/settings", put); c != http.StatusForbidden {
		t.Errorf("non-admin put: %d", c)
	}
}
