package backlog

import (
	"context"
	"encoding/json"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// scanStaleAfter is how long a running scan may go without progress
// before a rescan replaces it (its job was lost, say).
const scanStaleAfter = 10 * time.Minute

// Rescan starts a full scan of the project unless one is queued or
// running, in which case it returns that scan: a person pressing Rescan
// twenty times causes one scan. It reports whether it started one.
func (s *Service) Rescan(ctx context.Context, t *domain.Tenant, project string) (*domain.Scan, bool, error) {
	ts := s.Store.Tenant(t)
	sc, started, err := ts.StartScanIfIdle(ctx, project, scanStaleAfter)
	if err != nil || !started {
		return sc, false, err
	}
	payload, _ := json.Marshal(projectPayload{Project: project})
	if _, err := ts.Enqueue(ctx, domain.NewJob{Kind: KindScan, DedupeKey: project, Payload: payload, Priority: prioScan}); err != nil {
		return nil, false, err
	}
	s.wake()
	return sc, true, nil
}
