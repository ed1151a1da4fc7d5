package backlog

import (
	"context"
	"fmt"
	"testing"

	"github.com/backlogai/backlogai/server/analysis"
)

// TestModelCacheKeepsTheNewest: with the cache full, a project's model
// built last stays cached and the least recently used one goes (the cache
// once dropped each new model at once).
func TestModelCacheKeepsTheNewest(t *testing.T) {
	s, _, b := intakeEnv(t, "sqlite")
	ctx := context.Background()
	ts := s.Store.Tenant(b)
	model := func(key string) *analysis.Project {
		t.Helper()
		p, unlock, err := s.Model(ctx, b, key)
		if err != nil {
			t.Fatalf("Model(%s): %v", key, err)
		}
		unlock()
		return p
	}
	keys := make([]string, maxModels+1)
	first := map[string]*analysis.Project{}
	for i := range keys {
		keys[i] = fmt.Sprintf("P%d", i)
		if _, err := ts.EnsureProject(ctx, keys[i], fmt.Sprint(20000+i), keys[i]); err != nil {
			t.Fatal(err)
		}
		first[keys[i]] = model(keys[i])
	}
	if n := s.models.Len(); n != maxModels {
		t.Errorf("cache holds %d models, want %d", n, maxModels)
	}
	last := keys[len(keys)-1]
	if model(last) != first[last] {
		t.Errorf("the newest model (%s) was evicted", last)
	}
	if model(keys[0]) == first[keys[0]] {
		t.Errorf("the least recently used model (%s) is still cached", keys[0])
	}
}
