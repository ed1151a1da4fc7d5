package backlog

import (
	"context"
	"fmt"

	"github.com/backlogai/backlogai/server/domain"
)

// Refresh fetches keys from Jira now and stores the re-analysis of them
// and of what they touch, as the webhook for the change would later. The
// app itself changed the issues (a duplicate link) and the person waits
// for the glance to show it. Keys Jira does not return are left alone: a
// missing issue is the webhook's and the reconciliation's business.
func (s *Service) Refresh(ctx context.Context, t *domain.Tenant, project string, keys ...string) error {
	c, err := s.Client(t)
	if err != nil {
		return fmt.Errorf("refresh %v: %w", keys, err)
	}
	numbers, err := s.mappedFields(ctx, s.Store.Tenant(t), project)
	if err != nil {
		return fmt.Errorf("refresh %v: %w", keys, err)
	}
	fetched, err := c.BulkFetch(ctx, keys, numbers)
	if err != nil {
		return fmt.Errorf("refresh %v: %w", keys, err)
	}
	if err := s.applyChanges(ctx, t, project, fetched, nil); err != nil {
		return fmt.Errorf("refresh %v: %w", keys, err)
	}
	return nil
}
