package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// TestNoKey: a client needs a key unless NoKey says the server takes
// none; then no Authorization header at all is sent.
func TestNoKey(t *testing.T) {
	if _, err := New(Config{BaseURL: "http://x/v1"}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("no key, no NoKey: %v", err)
	}
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Values("Authorization")...)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "m",
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop", "message": map[string]string{"role": "assistant", "content": `{"ok":true}`}}}})
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/v1", NoKey: true, Model: "m"})
	if err != nil || c.HasKey() {
		t.Fatalf("keyless client: %v, HasKey %v", err, c != nil && c.HasKey())
	}
	schema := json.RawMessage(`{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}`)
	var out struct{ OK bool }
	if _, err := c.Complete(context.Background(), Request{Name: "probe", Schema: schema, System: "s", User: "u"}, &out); err != nil || !out.OK {
		t.Fatalf("complete: %v %+v", err, out)
	}
	if len(auth) != 0 {
		t.Errorf("Authorization sent to a keyless server: %q", auth)
	}
}
