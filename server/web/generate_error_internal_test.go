package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/llm"
)

// TestGenerateErrorSaysWhatHappened: an LLM failure during improve or
// generation is named as it is: refused, unknown host, provider failure,
// or a timeout; never all "did not answer in time".
func TestGenerateErrorSaysWhatHappened(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := http.Get("http://" + addr + "/v1/chat/completions")
	if refused == nil {
		t.Fatal("a closed port answered")
	}
	// As the llm package wraps them, under generate.ErrLLM.
	wrap := func(cause error) error {
		return fmt.Errorf("%w: %w", generate.ErrLLM, fmt.Errorf("llm: issue_improvement: %w", cause))
	}
	tests := []struct {
		name   string
		err    error
		status int
		words  string
	}{
		{"refused", wrap(fmt.Errorf("%w: %w", domain.ErrUnavailable, refused)), http.StatusBadGateway, "Connection refused by " + addr},
		{"dns", wrap(fmt.Errorf("%w: %w", domain.ErrUnavailable, &net.DNSError{Err: "no such host", Name: "llm.example.invalid", IsNotFound: true})),
			http.StatusBadGateway, "'llm.example.invalid' could not be resolved"},
		{"timeout", wrap(fmt.Errorf("timed out: %w", domain.ErrUnavailable)), http.StatusServiceUnavailable, "did not answer in time"},
		{"provider 503", wrap(&llm.APIError{Status: 503, Message: "overloaded"}), http.StatusServiceUnavailable, "failed (HTTP 503)"},
		{"bad key", wrap(&llm.APIError{Status: 401}), http.StatusBadGateway, "refused the API key"},
		// an answer, not a failure: 422 with the plain reason
		{"not splittable", &generate.NotSplittableError{Reason: "SHOP-64 is a bug, not a story."}, http.StatusUnprocessableEntity, "SHOP-64 is a bug, not a story."},
	}
	for _, tc := range tests {
		var ae *APIError
		if !errors.As(generateError(tc.err), &ae) || ae.Status != tc.status || !strings.Contains(ae.Message, tc.words) {
			t.Errorf("%s: %+v, want %d with %q", tc.name, ae, tc.status, tc.words)
		}
	}
}
