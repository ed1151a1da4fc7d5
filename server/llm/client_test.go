package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
)

// reply is one scripted answer of the fake chat-completions server.
type reply struct {
	status  int
	header  map[string]string
	body    string        // raw body; when empty a completion with content is built
	content string        // the assistant message content
	finish  string        // finish_reason (default "stop")
	delay   time.Duration // before answering
}

// fakeOpenAI speaks the chat-completions wire format and records requests.
type fakeOpenAI struct {
	t       *testing.T
	mu      sync.Mutex
	replies []reply
	reqs    []map[string]any
	srv     *httptest.Server
}

func newFake(t *testing.T, replies ...reply) *fakeOpenAI {
	f := &fakeOpenAI{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpenAI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer sk-test" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-wr***","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
		return
	}
	var body map[string]any
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("request body is not JSON: %v", err)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, body)
	if len(f.replies) == 0 {
		f.mu.Unlock()
		f.t.Errorf("unexpected request %d", len(f.reqs))
		http.Error(w, "no more replies", http.StatusInternalServerError)
		return
	}
	rp := f.replies[0]
	f.replies = f.replies[1:]
	f.mu.Unlock()
	if rp.delay > 0 {
		select {
		case <-time.After(rp.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	if rp.status == 0 {
		rp.status = http.StatusOK
	}
	if rp.body == "" {
		finish := rp.finish
		if finish == "" {
			finish = "stop"
		}
		out := map[string]any{
			"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1767225600, "model": "gpt-4o-mini-2024-07-18",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": rp.content, "refusal": nil},
				"logprobs": nil, "finish_reason": finish}},
			"usage":              map[string]any{"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500},
			"system_fingerprint": "fp_0aa8d3e20b",
		}
		b, _ := json.Marshal(out)
		rp.body = string(b)
	}
	w.WriteHeader(rp.status)
	io.WriteString(w, rp.body)
}

func (f *fakeOpenAI) requests() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.reqs...)
}

var testSchema = json.RawMessage(`{"type":"object","additionalProperties":false,"required":["title","points"],
 "properties":{"title":{"type":"string"},"points":{"type":"integer"}}}`)

type answer struct {
	Title  string `json:"title"`
	Points int    `json:"points"`
}

// meter counts calls and refuses once spent reaches limit (0: never).
type meter struct {
	mu    sync.Mutex
	limit int64
	spent int64
	calls int
}

func (m *meter) Allow(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.limit > 0 && m.spent >= m.limit {
		return fmt.Errorf("monthly budget spent: %w", domain.ErrBudget)
	}
	return nil
}

func (m *meter) Record(_ context.Context, u Usage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.spent += u.CostMicroUSD
	m.calls += u.Calls
	return nil
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return nil
}

func client(t *testing.T, f *fakeOpenAI, mod func(*Config)) (*Client, *meter, *sleeps) {
	m, sl := &meter{}, &sleeps{}
	cfg := Config{APIKey: "sk-test", BaseURL: f.srv.URL + "/v1", Model: "gpt-4o-mini", Meter: m, Sleep: sl.sleep,
		Rand: func() float64 { return 0.5 }, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, m, sl
}

func request() Request {
	return Request{Name: "answer", Schema: testSchema, System: "You are terse.", User: "Title and points?", Temperature: 0.2}
}

func TestCompleteSuccessSendsStructuredOutputRequest(t *testing.T) {
	f := newFake(t, reply{content: `{"title":"Save cart","points":3}`})
	c, m, _ := client(t, f, nil)
	var got answer
	res, err := c.Complete(context.Background(), request(), &got)
	if err != nil {
		t.Fatal(err)
	}
	if got != (answer{"Save cart", 3}) || res.Repaired {
		t.Errorf("got %+v repaired=%v", got, res.Repaired)
	}
	wantUsage := Usage{Model: "gpt-4o-mini-2024-07-18", Calls: 1, PromptTokens: 1200, CompletionTokens: 300, CostMicroUSD: 360}
	if diff := cmp.Diff(wantUsage, res.Usage); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	if m.spent != 360 || m.calls != 1 {
		t.Errorf("meter recorded %d µ$ over %d calls", m.spent, m.calls)
	}
	req := f.requests()[0]
	rf, _ := req["response_format"].(map[string]any)
	js, _ := rf["json_schema"].(map[string]any)
	if rf["type"] != "json_schema" || js["name"] != "answer" || js["strict"] != true || js["schema"] == nil {
		t.Errorf("response_format = %v", rf)
	}
	if req["model"] != "gpt-4o-mini" || req["max_tokens"] != float64(DefaultMaxTokens) {
		t.Errorf("model/max_tokens = %v/%v", req["model"], req["max_tokens"])
	}
	msgs, _ := req["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["role"] != "system" || msgs[1].(map[string]any)["content"] != "Title and points?" {
		t.Errorf("messages = %v", msgs)
	}
}

func TestReasoningModelsUseMaxCompletionTokens(t *testing.T) {
	f := newFake(t, reply{content: `{"title":"x","points":1}`})
	c, _, _ := client(t, f, func(c *Config) { c.Model = "gpt-5-mini" })
	var got answer
	if _, err := c.Complete(context.Background(), request(), &got); err != nil {
		t.Fatal(err)
	}
	req := f.requests()[0]
	if req["max_completion_tokens"] != float64(DefaultMaxTokens) || req["max_tokens"] != nil || req["temperature"] != nil {
		t.Errorf("reasoning request: max_completion_tokens=%v max_tokens=%v temperature=%v",
			req["max_completion_tokens"], req["max_tokens"], req["temperature"])
	}
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name     string
		replies  []reply
		key      string
		wantReqs int
		is       error
		auth     bool
		msg      string
	}{
		{name: "bad request is not retried",
			replies:  []reply{{status: 400, body: `{"error":{"message":"Invalid schema for response_format 'answer': In context=(), 'required' is required to be supplied","type":"invalid_request_error","param":"response_format","code":null}}`}},
			wantReqs: 1, is: domain.ErrInvalid, msg: "Invalid schema"},
		{name: "wrong key", key: "sk-wrong", wantReqs: 0, is: domain.ErrInvalid, auth: true, msg: "Incorrect API key"},
		{name: "insufficient quota is not retried",
			replies:  []reply{{status: 429, body: `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`}},
			wantReqs: 1, is: domain.ErrRateLimited, msg: "exceeded your current quota"},
		{name: "5xx retried until retries run out",
			replies: []reply{
				{status: 500, body: `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`},
				{status: 502, body: `<html><body>Bad gateway</body></html>`},
				{status: 503, body: `{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`},
				{status: 503, body: `{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`},
			},
			wantReqs: 4, is: domain.ErrUnavailable, msg: "overloaded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.replies...)
			c, _, _ := client(t, f, func(c *Config) {
				if tc.key != "" {
					c.APIKey = tc.key
				}
			})
			var got answer
			_, err := c.Complete(context.Background(), request(), &got)
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			var ae *APIError
			if tc.msg != "" && (!errors.As(err, &ae) || !strings.Contains(ae.Message, tc.msg)) {
				t.Errorf("err %v does not carry %q", err, tc.msg)
			}
			if tc.auth && (ae == nil || !ae.AuthFailed()) {
				t.Errorf("AuthFailed not reported: %v", err)
			}
			if n := len(f.requests()); n != tc.wantReqs {
				t.Errorf("%d requests, want %d", n, tc.wantReqs)
			}
		})
	}
}

func TestRetriesHonourRateLimitHeaders(t *testing.T) {
	rateLimited := `{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"retry-after seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{"retry-after-ms wins", map[string]string{"retry-after-ms": "3500", "Retry-After": "4"}, 3500 * time.Millisecond},
		{"reset of the exhausted limit", map[string]string{"x-ratelimit-remaining-requests": "12", "x-ratelimit-reset-requests": "1s",
			"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"}, 0}, // 6 min > MaxWait
		{"reset when none says exhausted", map[string]string{"x-ratelimit-reset-requests": "2.5s"}, 2500 * time.Millisecond},
		{"no header: backoff", nil, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, reply{status: 429, header: tc.header, body: rateLimited}, reply{content: `{"title":"ok","points":2}`})
			c, _, sl := client(t, f, nil)
			var got answer
			_, err := c.Complete(context.Background(), request(), &got)
			if tc.want == 0 {
				if !errors.Is(err, domain.ErrRateLimited) || len(f.requests()) != 1 || len(sl.d) != 0 {
					t.Fatalf("a wait beyond MaxWait must fail at once: err=%v requests=%d sleeps=%v", err, len(f.requests()), sl.d)
				}
				return
			}
			if err != nil || got.Points != 2 {
				t.Fatalf("err=%v got=%+v", err, got)
			}
			if len(sl.d) != 1 || sl.d[0] != tc.want {
				t.Errorf("slept %v, want [%v]", sl.d, tc.want)
			}
		})
	}
}

func TestTimeoutIsRetriedThenFails(t *testing.T) {
	slow := reply{delay: 300 * time.Millisecond, content: `{"title":"late","points":1}`}
	f := newFake(t, slow, slow)
	c, m, sl := client(t, f, func(c *Config) { c.Timeout = 40 * time.Millisecond; c.MaxRetries = 1 })
	var got answer
	_, err := c.Complete(context.Background(), request(), &got)
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
	if len(f.requests()) != 2 || len(sl.d) != 1 || m.calls != 0 {
		t.Errorf("requests=%d sleeps=%v recorded calls=%d", len(f.requests()), sl.d, m.calls)
	}
}

func TestRepairAttempt(t *testing.T) {
	tests := []struct {
		name     string
		first    reply
		second   reply
		wantErr  bool
		problem  string
		wantReqs int
	}{
		{"truncated at the token limit", reply{content: `{"title":"Save cart for la`, finish: "length"},
			reply{content: `{"title":"Save cart for later","points":3}`}, false, "cut off", 2},
		{"invalid JSON", reply{content: `{"title": "Save cart", points: 3}`},
			reply{content: "```json\n{\"title\":\"Save cart\",\"points\":3}\n```"}, false, "not valid JSON", 2},
		{"schema violation", reply{content: `{"title":"Save cart"}`},
			reply{content: `{"title":"Save cart","points":3}`}, false, "does not match the schema", 2},
		{"still invalid after repair", reply{content: `not json`}, reply{content: `{"title":5}`}, true, "not valid JSON", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.first, tc.second)
			c, m, _ := client(t, f, nil)
			var got answer
			res, err := c.Complete(context.Background(), request(), &got)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidOutput) {
					t.Fatalf("err = %v, want ErrInvalidOutput", err)
				}
			} else if err != nil || !res.Repaired || got.Points != 3 {
				t.Fatalf("err=%v repaired=%v got=%+v", err, res.Repaired, got)
			}
			reqs := f.requests()
			if len(reqs) != tc.wantReqs {
				t.Fatalf("%d requests, want %d", len(reqs), tc.wantReqs)
			}
			msgs := reqs[1]["messages"].([]any)
			last := msgs[len(msgs)-1].(map[string]any)
			prev := msgs[len(msgs)-2].(map[string]any)
			if len(msgs) != 4 || prev["role"] != "assistant" || !strings.Contains(last["content"].(string), tc.problem) {
				t.Errorf("repair request messages = %v", msgs)
			}
			if res.Usage.Calls != 2 || res.Usage.PromptTokens != 2400 || m.calls != 2 {
				t.Errorf("usage over both attempts = %+v, meter calls %d", res.Usage, m.calls)
			}
		})
	}
}

func TestProseAroundTheObjectNeedsNoRepair(t *testing.T) {
	f := newFake(t, reply{content: "Sure! Here is the story you asked for:\n\n```json\n{\"title\":\"Save cart\",\"points\":3}\n```\n\nLet me know if you want changes."})
	c, _, _ := client(t, f, nil)
	var got answer
	res, err := c.Complete(context.Background(), request(), &got)
	if err != nil || got != (answer{"Save cart", 3}) || res.Repaired || len(f.requests()) != 1 || res.Content != `{"title":"Save cart","points":3}` {
		t.Fatalf("err=%v got=%+v repaired=%v requests=%d content=%q", err, got, res.Repaired, len(f.requests()), res.Content)
	}
}

func TestRefusalIsNotRepaired(t *testing.T) {
	body := `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`
	f := newFake(t, reply{body: body})
	c, _, _ := client(t, f, nil)
	var got answer
	if _, err := c.Complete(context.Background(), request(), &got); !errors.Is(err, ErrInvalidOutput) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d requests, want 1", len(f.requests()))
	}
}

func TestMeterRefusesBeforeCalling(t *testing.T) {
	f := newFake(t)
	c, m, _ := client(t, f, nil)
	m.limit, m.spent = 100, 100
	var got answer
	if _, err := c.Complete(context.Background(), request(), &got); !errors.Is(err, domain.ErrBudget) {
		t.Fatalf("err = %v, want ErrBudget", err)
	}
	if len(f.requests()) != 0 {
		t.Errorf("a call was made over budget")
	}
}

func TestCost(t *testing.T) {
	tests := []struct {
		model          string
		prompt, answer int
		want           int64
	}{
		{"gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000, 750_000},
		{"gpt-4o-2024-08-06", 1000, 500, 7500},
		{"gpt-4.1-mini", 10_000, 2_000, 7200},
		{"openai/gpt-4.1-nano", 1_000_000, 0, 100_000},
		{"llama3.1:70b", 1000, 1000, 12500}, // unknown: priced as a large model
		{"gpt-4o-mini", 1, 1, 1},            // rounded up
	}
	for _, tc := range tests {
		if got := Cost(tc.model, tc.prompt, tc.answer); got != tc.want {
			t.Errorf("Cost(%s, %d, %d) = %d, want %d", tc.model, tc.prompt, tc.answer, got, tc.want)
		}
	}
}

func TestNewRequiresKey(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("New without a key: %v", err)
	}
}

func TestCallerDeadlineIsUnavailable(t *testing.T) {
	f := newFake(t, reply{delay: 300 * time.Millisecond, content: `{"title":"late","points":1}`})
	c, _, _ := client(t, f, func(c *Config) { c.Timeout = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var got answer
	if _, err := c.Complete(ctx, request(), &got); !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}
