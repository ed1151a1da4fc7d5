package web_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDescriptorHEAD: HEAD /atlassian-connect.json answers 200 with the
// GET's headers and no body (some checkers probe the URL with HEAD).
func TestDescriptorHEAD(t *testing.T) {
	hs := newHarness(t)
	ts := httptest.NewServer(hs.h)
	defer ts.Close()
	get, err := http.Get(ts.URL + "/atlassian-connect.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(get.Body)
	get.Body.Close()
	head, err := http.Head(ts.URL + "/atlassian-connect.json")
	if err != nil {
		t.Fatal(err)
	}
	headBody, _ := io.ReadAll(head.Body)
	head.Body.Close()
	if get.StatusCode != 200 || head.StatusCode != 200 {
		t.Fatalf("GET %d, HEAD %d", get.StatusCode, head.StatusCode)
	}
	if len(headBody) != 0 {
		t.Errorf("HEAD sent a body of %d bytes", len(headBody))
	}
	for _, h := range []string{"Content-Type", "Content-Length", "X-Content-Type-Options", "Referrer-Policy"} {
		if g, hd := get.Header.Get(h), head.Header.Get(h); g == "" || g != hd {
			t.Errorf("%s: GET %q, HEAD %q", h, g, hd)
		}
	}
	if head.ContentLength != int64(len(body)) {
		t.Errorf("HEAD Content-Length %d, GET body %d bytes", head.ContentLength, len(body))
	}
}

// TestSlowWebhookBody: a signed webhook whose body trickles in slower
// than the server's read timeout ends in 408, logged as a warning, not
// as a 503 error.
func TestSlowWebhookBody(t *testing.T) {
	hs := newHarness(t)
	if w := hs.install("the-secret", hs.installToken(nil)); w.Code != http.StatusNoContent {
		t.Fatalf("install: %d %s", w.Code, w.Body)
	}
	ts := httptest.NewUnstartedServer(hs.h)
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Start()
	defer ts.Close()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tok := hsToken(t, "the-secret", "POST", "/webhooks/jira", "", time.Minute)
	fmt.Fprintf(c, "POST /webhooks/jira HTTP/1.1\r\nHost: x\r\nAuthorization: JWT %s\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"webhookEvent\":", tok)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("slow body: %d, want 408", resp.StatusCode)
	}
	logs := hs.logs.String()
	if !strings.Contains(logs, "level=WARN msg=\"request body too slow\"") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("want a WARN line and no ERROR:\n%s", logs)
	}
}
