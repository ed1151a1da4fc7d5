package web

import (
	"context"
	"testing"
	"time"
)

// TestFairnessForgetsIdleTenants: gates of tenants idle for over a minute
// are swept; a gate in use is kept however old.
func TestFairnessForgetsIdleTenants(t *testing.T) {
	f := newFairness(FairnessLimits{Concurrency: 1, Rate: 10, Burst: 10, Wait: time.Millisecond})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	release, _ := f.enter(context.Background(), 1, t0)
	if release == nil {
		t.Fatal("first call refused")
	}
	if r, _ := f.enter(context.Background(), 2, t0); r != nil {
		r()
	}
	f.enter(context.Background(), 3, t0.Add(2*time.Minute))
	if _, ok := f.gates[2]; ok {
		t.Error("idle gate of tenant 2 kept")
	}
	if _, ok := f.gates[1]; !ok {
		t.Error("gate of tenant 1 swept while a call holds it")
	}
	release()
	if newFairness(FairnessLimits{}) != nil {
		t.Error("zero limits should turn fairness off")
	}
}
