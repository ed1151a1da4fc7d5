package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// TestStartScanIfIdle: a scan starts when none runs (first ever, or after
// one ended or stalled), never while one runs, and of concurrent callers
// exactly one starts it.
func TestStartScanIfIdle(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store, clock *fakeClock) {
		ctx := context.Background()
		ts := s.Tenant(tenantOf(t, s, "a"))
		const stale = 10 * time.Minute
		sc, started, err := ts.StartScanIfIdle(ctx, "SHOP", stale)
		if err != nil || !started || sc.State != domain.ScanRunning {
			t.Fatalf("first: %+v %v %v", sc, started, err)
		}
		first := sc.StartedAt
		clock.t = clock.t.Add(time.Minute)
		if sc, started, err = ts.StartScanIfIdle(ctx, "SHOP", stale); err != nil || started || !sc.StartedAt.Equal(first) {
			t.Errorf("while running: %+v %v %v", sc, started, err)
		}
		done := domain.ScanDone
		if err := ts.UpdateScan(ctx, "SHOP", store.ScanUpdate{State: &done}); err != nil {
			t.Fatal(err)
		}
		// Concurrent callers after it ended: one starts a scan.
		var mu sync.Mutex
		n := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, started, err := ts.StartScanIfIdle(ctx, "SHOP", stale)
				if err != nil {
					t.Error(err)
				}
				if started {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if n != 1 {
			t.Errorf("%d of 8 concurrent callers started a scan", n)
		}
		// A scan without progress for longer than stale is replaced.
		clock.t = clock.t.Add(stale + time.Second)
		if _, started, err = ts.StartScanIfIdle(ctx, "SHOP", stale); err != nil || !started {
			t.Errorf("stalled scan not replaced: %v %v", started, err)
		}
	})
}
