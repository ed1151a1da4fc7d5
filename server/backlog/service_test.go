package backlog

import (
	"errors"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// TestNoJiraClientsIsUnavailable: a service wired without the registry
// fails its Jira work with ErrUnavailable (the job is retried) instead of
// panicking in a worker.
func TestNoJiraClientsIsUnavailable(t *testing.T) {
	s := &Service{}
	if _, err := s.client(&domain.Tenant{ID: 1, ClientKey: "k"}); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}
