package conncheck

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/netguard"
)

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const okCompletion = `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"OK"},"finish_reason":"stop"}]}`

// TestLLMFailureKinds runs one check against a real local server (or a
// real unreachable address) per failure kind and asserts kind and words.
func TestLLMFailureKinds(t *testing.T) {
	slowDone := make(chan struct{})
	servers := map[string]http.Handler{
		"ok":      answer(200, okCompletion),
		"401":     answer(401, `{"error":{"message":"Incorrect API key provided: sk-bad.","type":"invalid_request_error","code":"invalid_api_key"}}`),
		"model":   answer(404, `{"error":{"message":"The model 'gpt-9' does not exist or you do not have access to it.","type":"invalid_request_error","code":"model_not_found"}}`),
		"nothing": http.NotFoundHandler(),
		"model2":  answer(404, `{"error":"model 'gpt-4o-mini' not found, try pulling it first"}`),
		"500":     answer(500, `{"error":{"message":"overloaded"}}`),
		"notai":   answer(200, `<html>hello</html>`),
		"slow": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Second):
			case <-slowDone:
			case <-r.Context().Done():
			}
		}),
	}
	urls := map[string]string{}
	for name, h := range servers {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		urls[name] = s.URL + "/v1"
	}
	t.Cleanup(func() { close(slowDone) }) // before the servers close
	tlsSrv := httptest.NewTLSServer(answer(200, okCompletion))
	t.Cleanup(tlsSrv.Close)
	plain := &http.Client{}
	tests := []struct {
		name, base, key string
		timeout         time.Duration
		client          *http.Client
		kind            string
		words           []string
	}{
		{"ok", urls["ok"], "sk-good", 0, plain, KindOK, []string{"Connected", "gpt-4o-mini"}},
		{"dns", "http://llm.backlogai-test.invalid/v1", "k", 0, plain, KindDNS, []string{"could not be resolved", "llm.backlogai-test.invalid"}},
		{"refused", "http://" + closedPort(t) + "/v1", "k", 0, plain, KindRefused, []string{"Connection refused"}},
		{"tls untrusted", tlsSrv.URL + "/v1", "k", 0, plain, KindTLS, []string{"TLS failed", "not signed by a trusted authority"}},
		{"plain http on https", strings.Replace(urls["ok"], "http://", "https://", 1), "k", 0, plain, KindTLS, []string{"does not speak HTTPS"}},
		{"401", urls["401"], "sk-bad", 0, plain, KindAuth, []string{"refused the API key", "HTTP 401", "Incorrect API key"}},
		{"401 without key", urls["401"], "", 0, plain, KindAuth, []string{"requires an API key"}},
		{"unknown model", urls["model"], "k", 0, plain, KindUnknownModel, []string{"does not know the model 'gpt-4o-mini'", "HTTP 404"}},
		{"unknown model, string error", urls["model2"], "", 0, plain, KindUnknownModel, []string{"does not know the model", "try pulling it first"}},
		{"wrong path", urls["nothing"], "k", 0, plain, KindNotFound, []string{"Nothing answers", "/v1"}},
		{"server error", urls["500"], "k", 0, plain, KindServer, []string{"HTTP 500", "overloaded"}},
		{"not openai", urls["notai"], "k", 0, plain, KindBadAnswer, []string{"not as an OpenAI-compatible server"}},
		{"timeout", urls["slow"], "k", 300 * time.Millisecond, plain, KindTimeout, []string{"did not answer within 300ms"}},
		{"blocked", urls["ok"], "k", 0, netguard.Policy{}.Client(5 * time.Second), KindBlocked, []string{"private, local"}},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := LLM(context.Background(), tc.client, tc.base, tc.key, "gpt-4o-mini", tc.timeout)
			if r.Kind != tc.kind || r.OK != (tc.kind == KindOK) {
				t.Fatalf("kind %q ok %v (%s), want %q", r.Kind, r.OK, r.Message, tc.kind)
			}
			for _, w := range tc.words {
				if !strings.Contains(r.Message, w) {
					t.Errorf("message %q lacks %q", r.Message, w)
				}
			}
			if other, dup := seen[r.Message]; dup {
				t.Errorf("same message as %s: %q", other, r.Message)
			}
			seen[r.Message] = tc.name
		})
	}
}

func TestLLMSendsNoEmptyKey(t *testing.T) {
	var auth []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		answer(200, okCompletion)(w, r)
	}))
	defer s.Close()
	LLM(context.Background(), s.Client(), s.URL+"/v1", "", "m", 0)
	LLM(context.Background(), s.Client(), s.URL+"/v1", "sk-1", "o3-mini", 0)
	if len(auth) != 2 || auth[0] != "" || auth[1] != "Bearer sk-1" {
		t.Fatalf("Authorization headers %q", auth)
	}
}

func TestSerpAPI(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/account.json" {
			answer(404, `{}`)(w, r)
			return
		}
		if r.URL.Query().Get("api_key") != "good" {
			answer(401, `{"error":"Invalid API key. Your API key should be here: https://serpapi.com/manage-api-key"}`)(w, r)
			return
		}
		answer(200, `{"account_email":"x@example.com","searches_per_month":100}`)(w, r)
	}))
	defer s.Close()
	tests := []struct {
		key, kind, words string
	}{
		{"good", KindOK, "accepted the key"},
		{"bad", KindAuth, "Invalid API key"},
		{"", KindAuth, "No SerpAPI key"},
	}
	for _, tc := range tests {
		r := SerpAPI(context.Background(), s.Client(), s.URL, tc.key, 0)
		if r.Kind != tc.kind || !strings.Contains(r.Message, tc.words) {
			t.Errorf("key %q: %+v, want %s with %q", tc.key, r, tc.kind, tc.words)
		}
	}
	if r := SerpAPI(context.Background(), s.Client(), "http://"+closedPort(t), "good", 0); r.Kind != KindRefused {
		t.Errorf("closed port: %+v", r)
	}
}
