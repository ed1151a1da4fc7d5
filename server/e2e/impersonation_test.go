package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/connect"
)

// userTokenLike matches the user access tokens the emulated authorization
// server issues.
var userTokenLike = regexp.MustCompile(`emu-user-[0-9a-f]{8,}`)

// TestPersonActsAsThemselvesInJira: the scan and the score write-back run
// as the app; an improvement applied by a person is made with that
// person's user token, so the issue's history names them and not the app;
// nothing logged at debug level holds a user token.
func TestPersonActsAsThemselvesInJira(t *testing.T) {
	buf := &syncBuffer{}
	o := envOptions{}
	cfg := testConfig(t, &o)
	cfg.LogLevel = slog.LevelDebug
	sb, err := cli.StartSandbox(context.Background(), cli.SandboxOptions{Config: cfg,
		Logger: slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sb: sb, emu: sb.Emu, app: sb.App.URL, cfg: cfg}
	t.Cleanup(e.close)

	activate(t, e)
	key := e.goodStory()
	if _, ok := e.property(key); !ok {
		t.Fatal("no score property after the scan")
	}
	if n := e.emu.UserTokenRequests(); n != 0 || e.emu.UserTokensIssued() != 0 {
		t.Fatalf("the scan and write-back made %d requests with user tokens (%d exchanged); they must run as the app", n, e.emu.UserTokensIssued())
	}

	const priya = "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11" // SHOP's lead in the demo site
	before := len(e.emu.ChangeAuthors(key))
	propWrites := func() int {
		return e.requests("PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}") + e.requests("POST /rest/api/3/issue/properties/multi")
	}
	writesBefore := propWrites()
	body := map[string]string{"summary": "Applied by Priya through BacklogAI", "description": "As a shopper, I want my cart kept, so that I can buy later."}
	if c, raw := e.apiAs(priya, http.MethodPost, "/api/issues/"+key+"/improve/apply", body); c != http.StatusOK {
		t.Fatalf("apply: %d %s", c, raw)
	}
	authors := e.emu.ChangeAuthors(key)
	if len(authors) <= before || authors[len(authors)-1] != priya {
		t.Fatalf("history authors %v: the edit must be by %s, not the app (%s)", authors, priya, e.emu.AppAccountID())
	}
	if e.emu.UserTokensIssued() != 1 || e.emu.UserTokenRequests() == 0 {
		t.Errorf("exchanges %d, user-token requests %d: want 1 exchange used for the write", e.emu.UserTokensIssued(), e.emu.UserTokenRequests())
	}
	// The edit's webhook re-analyses the issue and writes its property
	// back, as the app.
	userReqs := e.emu.UserTokenRequests()
	waitUntil(t, 30*time.Second, "the applied edit's score to be written back", func() bool { return propWrites() > writesBefore })
	if n := e.emu.UserTokenRequests(); n != userReqs {
		t.Errorf("background work after the edit used user tokens (%d more requests)", n-userReqs)
	}

	// Linking a duplicate from the glance is the person's act too.
	other := "SHOP-2"
	if other == key {
		other = "SHOP-3"
	}
	if c, raw := e.apiAsOn(priya, key, http.MethodPost, "/api/issues/"+key+"/link-duplicate", map[string]string{"other": other}); c != http.StatusCreated {
		t.Fatalf("link duplicate: %d %s", c, raw)
	}
	if a := e.emu.ChangeAuthors(other); len(a) == 0 || a[len(a)-1] != priya {
		t.Errorf("link history of %s by %v, want %s", other, a, priya)
	}

	// An account the site does not know cannot act, and nothing changes.
	if c, _ := e.apiAs("557058:stranger", http.MethodPost, "/api/issues/"+key+"/improve/apply", body); c != http.StatusForbidden {
		t.Errorf("apply by an unknown account: %d, want 403", c)
	}

	time.Sleep(300 * time.Millisecond)
	logs := buf.String()
	if len(logs) < 1000 {
		t.Fatalf("too little was logged to judge (%d bytes)", len(logs))
	}
	if m := userTokenLike.FindString(logs); m != "" {
		t.Errorf("a user access token appears in the logs: %.20s…", m)
	}
	if !strings.Contains(logs, "user token exchange failed") {
		t.Error("the refused exchange was not logged (the log scan would then prove little)")
	}
}

// apiAsOn calls the app API as subject from the issue glance of issue
// (a context token naming the issue), returning the status and body.
func (e *env) apiAsOn(subject, issue, method, path string, body any) (int, []byte) {
	e.t.Helper()
	ctxJSON, _ := json.Marshal(map[string]any{"jira": map[string]any{
		"project": map[string]string{"key": "SHOP", "id": "10000"}, "issue": map[string]string{"key": issue}}})
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.emu.ClientKey(), Subject: subject, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute))},
		QSH: connect.ContextQSH, Context: ctxJSON}, e.sharedSecret())
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.app+path, bytes.NewReader(b))
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
