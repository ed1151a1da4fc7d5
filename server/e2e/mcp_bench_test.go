package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// BenchmarkMCPToolCalls10k measures MCP tool calls on a 10,000-issue
// project: explain_issue on random issues and list_backlog with varied
// filters, each a JSON-RPC tools/call over HTTP on loopback with a personal
// access token (token check, scope, Jira permission check (cached after
// the first), the tool, the audit row). Reports p50/p95 per tool. Run:
//
//	go test -run '^$' -bench BenchmarkMCPToolCalls10k -benchtime 1x ./server/e2e/
//
// BENCH_DRIVER=mysql runs it on the MariaDB/MySQL server of MYSQL_TEST_DSN.
func BenchmarkMCPToolCalls10k(b *testing.B) {
	fx := jiraemu.Generate(10_000, 1)
	for b.Loop() {
		e := startEnv(b, envOptions{driver: os.Getenv("BENCH_DRIVER"), fixtures: []*jiraemu.Fixture{fx}, start: cli.StartOptions{}})
		e.project = jiraemu.SyntheticKey
		if c := e.api("POST", "/api/projects/"+jiraemu.SyntheticKey+"/activate", nil, nil); c != http.StatusAccepted {
			b.Fatalf("activate: %d", c)
		}
		waitUntil(b, 5*time.Minute, "scan of 10k issues", func() bool {
			var s status
			e.api("GET", "/api/projects/"+jiraemu.SyntheticKey+"/status", nil, &s)
			return s.Scan != nil && s.Scan.State == "done"
		})
		var page struct {
			Rows []struct {
				Key string `json:"key"`
			} `json:"rows"`
		}
		e.api("GET", "/api/projects/"+jiraemu.SyntheticKey+"/backlog?limit=500&all=1", nil, &page)
		if len(page.Rows) < 100 {
			b.Fatalf("only %d rows", len(page.Rows))
		}
		// One token allows a burst of 60 calls: spread the samples over
		// several tokens so that the rate limit never answers.
		ctxTok := e.contextTokenWithID(jiraemu.SyntheticKey, e.jiraProjectID(jiraemu.SyntheticKey))
		var tokens []string
		for i := 0; i < 10; i++ {
			body, _ := json.Marshal(map[string]any{"name": fmt.Sprint("bench ", i), "projects": []string{jiraemu.SyntheticKey}})
			req, _ := http.NewRequest("POST", e.app+"/api/tokens", bytes.NewReader(body))
			req.Header.Set("Authorization", "JWT "+ctxTok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var t struct {
				Token string `json:"token"`
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &t) != nil {
				b.Fatalf("create token: %d %s", resp.StatusCode, raw)
			}
			tokens = append(tokens, t.Token)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		filters := []map[string]any{{}, {"moscow": "Must"}, {"flag": "duplicate"}, {"sort": "quality", "ascending": true}, {"query": "report"}, {"offset": 200}}
		const samples = 250
		lat := map[string][]time.Duration{}
		for i := 0; i < 2*samples; i++ {
			name, args := "explain_issue", map[string]any{"issue": page.Rows[rng.IntN(len(page.Rows))].Key}
			if i%2 == 1 {
				name, args = "list_backlog", map[string]any{"project": jiraemu.SyntheticKey, "limit": 25}
				for k, v := range filters[rng.IntN(len(filters))] {
					args[k] = v
				}
			}
			d := mcpCall(b, e.app, tokens[i%len(tokens)], name, args)
			// Baseline: the same read through the app's own REST API.
			q := url.Values{"limit": {"25"}}
			path := "/api/projects/" + jiraemu.SyntheticKey + "/backlog?"
			if name == "explain_issue" {
				path, q = "/api/issues/"+args["issue"].(string)+"?", url.Values{}
			}
			for k, v := range args {
				switch k {
				case "moscow", "flag", "sort":
					q.Set(k, v.(string))
				case "query":
					q.Set("q", v.(string))
				case "ascending":
					q.Set("dir", "asc")
				case "offset":
					q.Set("offset", fmt.Sprint(v))
				}
			}
			rd := restGet(b, e.app+path+q.Encode(), ctxTok)
			if i >= 10 { // the first calls fill the permission cache
				lat[name] = append(lat[name], d)
				lat[name+"-rest"] = append(lat[name+"-rest"], rd)
			}
		}
		for _, name := range []string{"explain_issue", "list_backlog", "explain_issue-rest", "list_backlog-rest"} {
			l := lat[name]
			sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
			b.ReportMetric(float64(l[len(l)/2].Microseconds())/1000, name+"-p50-ms")
			b.ReportMetric(float64(l[len(l)*95/100].Microseconds())/1000, name+"-p95-ms")
		}
		e.close()
	}
}

// jiraProjectID reads a project's id from the emulated Jira (as the app).
func (e *env) jiraProjectID(key string) string {
	e.t.Helper()
	u, _ := url.Parse(e.emu.BaseURL() + "/rest/api/3/project/" + key)
	tok, err := connect.OutgoingToken("backlogai", e.emu.SharedSecret(), "GET", u, "", time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", u.String(), nil)
	req.Header.Set("Authorization", "JWT "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || p.ID == "" {
		e.t.Fatalf("project %s: %d %v", key, resp.StatusCode, err)
	}
	return p.ID
}

// contextTokenWithID is contextToken for a page of project key with its
// real Jira id (permission checks ask Jira about that id).
func (e *env) contextTokenWithID(key, id string) string {
	ctxJSON, _ := json.Marshal(map[string]any{"jira": map[string]any{"project": map[string]string{"key": key, "id": id}}})
	e.emu.AddUser("557058:pm", "Product manager")
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.emu.ClientKey(), Subject: "557058:pm", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute))},
		QSH: connect.ContextQSH, Context: ctxJSON}, e.sharedSecret())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// restGet times one GET of the app API with a context token.
func restGet(tb testing.TB, u, ctxTok string) time.Duration {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "JWT "+ctxTok)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != 200 {
		tb.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return d
}

// mcpCall posts one tools/call and fails on anything but a tool result.
func mcpCall(tb testing.TB, app, token, name string, args map[string]any) time.Duration {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": map[string]any{"name": name, "arguments": args}})
	req, _ := http.NewRequest("POST", app+"/mcp", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	var out struct {
		Result *struct {
			IsError bool `json:"isError"`
		} `json:"result"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(raw, &out) != nil || out.Result == nil || out.Result.IsError {
		tb.Fatalf("%s: %d %.300s", name, resp.StatusCode, raw)
	}
	return d
}
