package projectmodel

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

func env(t *testing.T) (*Cache, *domain.Tenant) {
	t.Helper()
	st := storetest.Open(t, "sqlite", nil)
	tn, err := st.SaveInstallation(context.Background(), &domain.Tenant{ClientKey: "jira:a", BaseURL: "https://a.atlassian.net", SharedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	return &Cache{Store: st}, tn
}

// TestCacheKeepsTheNewest: with the cache full, a project's model built
// last stays cached and the least recently used one goes (the cache once
// dropped each new model at once).
func TestCacheKeepsTheNewest(t *testing.T) {
	c, tn := env(t)
	c.Size = 4
	ctx := context.Background()
	ts := c.Store.Tenant(tn)
	model := func(key string) *analysis.Project {
		t.Helper()
		p, unlock, err := c.Get(ctx, tn, key)
		if err != nil {
			t.Fatalf("Get(%s): %v", key, err)
		}
		unlock()
		return p
	}
	keys := make([]string, c.Size+1)
	first := map[string]*analysis.Project{}
	for i := range keys {
		keys[i] = fmt.Sprintf("P%d", i)
		if _, err := ts.EnsureProject(ctx, keys[i], fmt.Sprint(20000+i), keys[i]); err != nil {
			t.Fatal(err)
		}
		first[keys[i]] = model(keys[i])
	}
	if n := c.models.Len(); n != c.Size {
		t.Errorf("cache holds %d models, want %d", n, c.Size)
	}
	last := keys[len(keys)-1]
	if model(last) != first[last] {
		t.Errorf("the newest model (%s) was evicted", last)
	}
	if model(keys[0]) == first[keys[0]] {
		t.Errorf("the least recently used model (%s) is still cached", keys[0])
	}
}

// TestGetFoldsInStoredChanges: a cached model sees issues stored (by
// another replica, say) and deleted since it was built; Drop rebuilds it.
func TestGetFoldsInStoredChanges(t *testing.T) {
	c, tn := env(t)
	ctx := context.Background()
	ts := c.Store.Tenant(tn)
	if _, _, err := c.Get(ctx, tn, "SHOP"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Get of an unknown project: %v, want ErrNotFound", err)
	}
	if _, err := ts.EnsureProject(ctx, "SHOP", "10000", "Shop"); err != nil {
		t.Fatal(err)
	}
	save := func(keys ...string) {
		t.Helper()
		in := make([]store.ResultInput, len(keys))
		for i, k := range keys {
			in[i] = store.ResultInput{Issue: domain.Issue{Key: k, ID: fmt.Sprint(100 + i), ProjectKey: "SHOP", Summary: "Story " + k, Type: domain.TypeStory}}
		}
		if err := ts.SaveResults(ctx, "SHOP", in); err != nil {
			t.Fatal(err)
		}
	}
	save("SHOP-1")
	m, unlock, err := c.Get(ctx, tn, "SHOP")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if got := m.Keys(); len(got) != 1 {
		t.Fatalf("first model holds %v, want SHOP-1", got)
	}
	time.Sleep(10 * time.Millisecond) // a later analysis timestamp
	save("SHOP-2")
	if _, err := ts.MarkDeleted(ctx, "SHOP-1"); err != nil {
		t.Fatal(err)
	}
	m2, unlock, err := c.Get(ctx, tn, "SHOP")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if m2 != m {
		t.Error("the cached model was rebuilt instead of brought up to date")
	}
	if got := m2.Keys(); len(got) != 1 || got[0] != "SHOP-2" {
		t.Errorf("model holds %v, want [SHOP-2]", got)
	}
	c.Drop(tn.ID, "SHOP")
	m3, unlock, err := c.Get(ctx, tn, "SHOP")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if m3 == m {
		t.Error("Drop kept the model")
	}
}

// TestRefreshFoldsInResavedIssues: a refresh reads only rows saved since
// it last looked, by key and save time; an issue saved again (a new
// snapshot of a key the model already holds, within the re-read window)
// is still folded in, and one saved again after that too.
func TestRefreshFoldsInResavedIssues(t *testing.T) {
	c, tn := env(t)
	ctx := context.Background()
	ts := c.Store.Tenant(tn)
	if _, err := ts.EnsureProject(ctx, "SHOP", "10000", "Shop"); err != nil {
		t.Fatal(err)
	}
	save := func(key, summary string) {
		t.Helper()
		time.Sleep(2 * time.Millisecond) // a later save time
		err := ts.SaveResults(ctx, "SHOP", []store.ResultInput{{Issue: domain.Issue{Key: key, ID: "100", ProjectKey: "SHOP", Summary: summary, Type: domain.TypeStory}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	summary := func(key string) string {
		t.Helper()
		m, unlock, err := c.Get(ctx, tn, "SHOP")
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		is, _ := m.Issue(key)
		return is.Summary
	}
	save("SHOP-1", "First text")
	save("SHOP-2", "Other story")
	if got := summary("SHOP-1"); got != "First text" {
		t.Fatalf("built model: %q", got)
	}
	for _, text := range []string{"Second text", "Third text"} {
		save("SHOP-1", text)
		if got := summary("SHOP-1"); got != text {
			t.Errorf("after a re-save: %q, want %q", got, text)
		}
		if got := summary("SHOP-2"); got != "Other story" {
			t.Errorf("untouched issue: %q", got)
		}
	}
}
