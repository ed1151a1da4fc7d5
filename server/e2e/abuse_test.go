package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAbuse sends hostile input to a running app: every answer is a clear
// 4xx (never a 5xx or a hang), and the app keeps serving.
func TestAbuse(t *testing.T) {
	e := startEnv(t, envOptions{})
	activate(t, e)
	send := func(method, path string, body []byte, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest(method, e.app+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "JWT "+e.contextToken("SHOP", "SHOP-1"))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header[k] = []string{v}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}

	t.Run("deeply nested JSON", func(t *testing.T) {
		deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
		code, body := send("PUT", "/api/projects/SHOP/strategy", []byte(`{"vision":`+deep+`}`), nil)
		if code != 400 || !strings.Contains(body, "not valid JSON") {
			t.Errorf("status %d: %.200s", code, body)
		}
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		code, _ := send("PUT", "/api/issues/SHOP-1/override", []byte("{\"moscow\":\"Must\",\"reason\":\"\xff\xfe bad\"}"), nil)
		if code >= 500 {
			t.Errorf("status %d", code)
		}
		hook := []byte("{\"webhookEvent\":\"jira:issue_updated\",\"issue\":{\"key\":\"SHOP-\xff\"}}")
		u, _ := url.Parse(e.app + "/webhooks/jira")
		req, _ := http.NewRequest("POST", u.String(), bytes.NewReader(hook))
		req.Header.Set("Authorization", "JWT "+e.signedFor("POST", u))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode >= 500 {
			t.Errorf("webhook with invalid UTF-8: %v %v", err, resp)
		}
		resp.Body.Close()
	})
	t.Run("oversized API body", func(t *testing.T) {
		code, _ := send("PUT", "/api/projects/SHOP/strategy", []byte(`{"vision":"`+strings.Repeat("x", 2<<20)+`"}`), nil)
		if code != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d", code)
		}
	})
	t.Run("unknown fields and wrong types", func(t *testing.T) {
		for _, b := range []string{`{"moscow":"Must","reason":"x","admin":true}`, `{"moscow":1}`, `[]`, `null`, ``} {
			if code, _ := send("PUT", "/api/issues/SHOP-1/override", []byte(b), nil); code != 400 {
				t.Errorf("body %q: status %d", b, code)
			}
		}
	})
	t.Run("header and log injection", func(t *testing.T) {
		// A request id that is not a plain token is replaced, never
		// echoed into our response or our logs.
		for _, id := range []string{"abc<script>", "a b", "x=1;y=2", strings.Repeat("a", 65)} {
			req, _ := http.NewRequest("GET", e.app+"/healthz", nil)
			req.Header.Set("X-Request-Id", id)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("X-Request-Id"); got == id || got == "" {
				t.Errorf("request id %q echoed as %q", id, got)
			}
		}
		// A summary with a log-forging newline is data, not a log line:
		// slog's JSON/text handlers quote it.
		name := "As a user\nlevel=ERROR msg=forged"
		b, _ := json.Marshal(map[string]string{"moscow": "Must", "reason": name})
		if code, _ := send("PUT", "/api/issues/SHOP-1/override", b, nil); code != 200 {
			t.Errorf("override with a newline: %d", code)
		}
	})
	t.Run("path traversal", func(t *testing.T) {
		for _, p := range []string{"/static/../go.mod", "/static/%2e%2e/go.mod", "/static/..%2fgo.mod", "/static//etc/passwd"} {
			resp, err := http.Get(e.app + p)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 || strings.Contains(string(raw), "module github.com") || strings.Contains(string(raw), "root:") {
				t.Errorf("%s: %d", p, resp.StatusCode)
			}
		}
	})
	t.Run("slow client is cut off", func(t *testing.T) {
		// Headers trickled in never complete: the server closes the
		// connection after its header timeout instead of holding it.
		u, _ := url.Parse(e.app)
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n", u.Host)
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for time.Since(start) < 15*time.Second {
			if _, err := fmt.Fprintf(c, "X-Slow: 1\r\n"); err != nil {
				break
			}
			time.Sleep(time.Second)
			c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			if _, err := bufio.NewReader(c).ReadByte(); err != nil && !isTimeout(err) {
				break // closed by the server
			}
		}
		if el := time.Since(start); el >= 15*time.Second {
			t.Errorf("a slow client held a connection for %v", el)
		}
	})
	t.Run("still serving", func(t *testing.T) {
		if code, _ := send("GET", "/api/projects/SHOP/backlog", nil, nil); code != 200 {
			t.Errorf("after the abuse: %d", code)
		}
	})
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
