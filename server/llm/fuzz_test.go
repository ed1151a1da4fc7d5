package llm

import (
	"encoding/json"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// FuzzCheck: whatever a server answers (truncated, fenced, invalid,
// schema-breaking JSON), check never panics, and it accepts only content
// that decodes as JSON matching the schema.
func FuzzCheck(f *testing.F) {
	schema := json.RawMessage(`{"type":"object","required":["title","criteria"],"additionalProperties":false,
		"properties":{"title":{"type":"string"},"criteria":{"type":"array","items":{"type":"string"}}}}`)
	c, err := New(Config{APIKey: "k", BaseURL: "https://example.invalid/v1", Model: "gpt-4o-mini"})
	if err != nil {
		f.Fatal(err)
	}
	sch, err := c.schema(schema)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{`{"title":"t","criteria":["Given a, when b, then c"]}`, "```json\n{\"title\":\"t\",\"criteria\":[]}\n```",
		`{"title":"t","criteria":[`, `{"title":1}`, `not json`, ``, "```", `{"title":"t","criteria":[],"extra":true}`} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, content string, truncated bool) {
		resp := openai.ChatCompletionResponse{Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Content: content}}}}
		if truncated {
			resp.Choices[0].FinishReason = openai.FinishReasonLength
		}
		got, problem := check(resp, sch)
		if problem != "" {
			return
		}
		if truncated {
			t.Fatal("accepted a truncated answer")
		}
		var v struct {
			Title    *string  `json:"title"`
			Criteria []string `json:"criteria"`
		}
		dec := json.NewDecoder(strings.NewReader(got))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil || v.Title == nil {
			t.Fatalf("accepted %q, which does not decode to the schema: %v", got, err)
		}
	})
}
