package generate

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// fakeCall is one chat completion the fake LLM server received.
type fakeCall struct {
	Schema   string
	Project  string
	System   string
	User     string
	Messages int
}

// fakeReply is what it answers: a completion with Content (finish_reason
// Finish, default "stop"), or an error Status with Body.
type fakeReply struct {
	Status  int
	Body    string
	Content string
	Finish  string
	Header  map[string]string
}

// fakeLLM speaks OpenAI's chat-completions wire format.
type fakeLLM struct {
	t      *testing.T
	mu     sync.Mutex
	calls  []fakeCall
	answer func(c fakeCall) fakeReply
	srv    *httptest.Server
}

var projectInPrompt = regexp.MustCompile(`Jira project ([A-Z][A-Z0-9_]*)`)

func newFakeLLM(t *testing.T, answer func(c fakeCall) fakeReply) *fakeLLM {
	f := &fakeLLM{t: t, answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLLM) URL() string { return f.srv.URL + "/v1" }

func (f *fakeLLM) Calls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCall(nil), f.calls...)
}

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
		return
	}
	var req struct {
		Model          string `json:"model"`
		ResponseFormat struct {
			Type       string `json:"type"`
			JSONSchema struct {
				Name   string          `json:"name"`
				Strict bool            `json:"strict"`
				Schema json.RawMessage `json:"schema"`
			} `json:"json_schema"`
		} `json:"response_format"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"We could not parse the JSON body of your request.","type":"invalid_request_error","param":null,"code":null}}`)
		return
	}
	if req.ResponseFormat.Type != "json_schema" || !req.ResponseFormat.JSONSchema.Strict {
		f.t.Errorf("request without strict json_schema response format: %+v", req.ResponseFormat)
	}
	c := fakeCall{Schema: req.ResponseFormat.JSONSchema.Name, Messages: len(req.Messages)}
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(m.Content)
		switch m.Role {
		case "system":
			c.System = m.Content
		case "user":
			if c.User == "" {
				c.User = m.Content
			}
		}
	}
	if m := projectInPrompt.FindStringSubmatch(c.User); m != nil {
		c.Project = m[1]
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	rp := f.answer(c)
	for k, v := range rp.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	if rp.Status != 0 && rp.Status != http.StatusOK {
		w.WriteHeader(rp.Status)
		io.WriteString(w, rp.Body)
		return
	}
	finish := rp.Finish
	if finish == "" {
		finish = "stop"
	}
	body, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": 1777881600, "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": rp.Content, "refusal": nil},
			"logprobs": nil, "finish_reason": finish}},
		"usage": map[string]any{"prompt_tokens": prompt / 4, "completion_tokens": len(rp.Content) / 4,
			"total_tokens": prompt/4 + len(rp.Content)/4},
		"system_fingerprint": "fp_test",
	})
	w.Write(body)
}

// scenarioAnswers answers each scenario's prompts with its canned
// answers, telling scenarios apart by the project key in the prompt.
func scenarioAnswers(t *testing.T, scenarios []Scenario) func(c fakeCall) fakeReply {
	var mu sync.Mutex
	draftCalls := map[string]int{}
	return func(c fakeCall) fakeReply {
		var idx int
		if _, err := fmt.Sscanf(c.Project, "EV%02d", &idx); err != nil || idx < 1 || idx > len(scenarios) {
			t.Errorf("prompt names no scenario project: %q", c.Project)
			return fakeReply{Status: 400, Body: `{"error":{"message":"unknown scenario","type":"invalid_request_error"}}`}
		}
		sc := scenarios[idx-1]
		switch c.Schema {
		case "story_drafts":
			mu.Lock()
			n := draftCalls[c.Project]
			draftCalls[c.Project]++
			mu.Unlock()
			if n == 0 && sc.DraftFirst != "" {
				finish := "stop"
				if strings.Count(sc.DraftFirst, "{") > strings.Count(sc.DraftFirst, "}") {
					finish = "length"
				}
				return fakeReply{Content: sc.DraftFirst, Finish: finish}
			}
			return fakeReply{Content: string(sc.Draft)}
		case "story_revisions":
			if len(sc.Revision) == 0 {
				return fakeReply{Content: `{"drafts":[]}`}
			}
			return fakeReply{Content: string(sc.Revision)}
		}
		t.Errorf("unexpected schema %q", c.Schema)
		return fakeReply{Status: 400, Body: `{"error":{"message":"unexpected","type":"invalid_request_error"}}`}
	}
}

// Typical defects of real model answers, made from a valid answer:
// a required field missing, prose around the JSON, values of the wrong
// type, and an answer cut off at the token limit.
const (
	defectMissingField = "missing field"
	defectProse        = "prose around JSON"
	defectWrongTypes   = "wrong types"
	defectTruncated    = "truncated"
	defectNoJSON       = "no JSON at all"
)

// defective returns the reply of a model that made defect in valid.
func defective(t *testing.T, defect, valid string) fakeReply {
	t.Helper()
	var ans map[string]any
	if err := json.Unmarshal([]byte(valid), &ans); err != nil {
		t.Fatal(err)
	}
	drafts, _ := ans["drafts"].([]any)
	first := map[string]any{}
	if len(drafts) > 0 {
		first = drafts[0].(map[string]any)
	}
	switch defect {
	case defectMissingField:
		delete(first, "acceptanceCriteria")
		delete(first, "userStory")
	case defectProse:
		return fakeReply{Content: "Sure! Here are the drafts you asked for, following INVEST:\n\n```json\n" + valid + "\n```\n\nLet me know if you want me to adjust the acceptance criteria."}
	case defectWrongTypes:
		first["acceptanceCriteria"] = "Given a returning shopper, when they pay, then the order is placed"
		if ps, ok := first["pillars"].([]any); ok && len(ps) > 0 {
			ps[0].(map[string]any)["value"] = "7"
		}
	case defectTruncated:
		return fakeReply{Content: valid[:len(valid)/2], Finish: "length"}
	case defectNoJSON:
		return fakeReply{Content: "I'm sorry, I can only help with that if you tell me more about your users."}
	default:
		t.Fatalf("unknown defect %q", defect)
	}
	raw, _ := json.Marshal(ans)
	return fakeReply{Content: string(raw)}
}
