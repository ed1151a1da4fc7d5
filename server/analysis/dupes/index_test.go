package dupes

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"sync"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// corpus is a small backlog with two planted duplicates (P-1/P-6, P-3/P-7).
func corpus() []domain.Issue {
	return []domain.Issue{
		{Key: "P-1", Summary: "NameNode crashes on startup after upgrade", Description: "After upgrading to 3.4.0 the NameNode fails to start with java.io.IOException while loading the fsimage."},
		{Key: "P-2", Summary: "Add dark theme to the settings page", Description: "Users want a dark colour scheme for the settings screen."},
		{Key: "P-3", Summary: "Export backlog report as CSV", Description: "As a product owner I want to export the ranked backlog to CSV so that I can share it."},
		{Key: "P-4", Summary: "Upgrade Jetty to 9.4.51", Description: "Jetty 9.4.43 has CVE-2023-26048; upgrade the bundled version."},
		{Key: "P-5", Summary: "Slow search on large projects", Description: "Searching issues takes several seconds when a project has more than 50k issues."},
		{Key: "P-6", Summary: "Namenode fails to start after upgrading to 3.4.0", Description: "IOException in FSImage loading; the namenode does not come up after the upgrade."},
		{Key: "P-7", Summary: "CSV export of the backlog report", Description: "Product owners need the backlog report exported to a CSV file to share with stakeholders."},
		{Key: "P-8", Summary: "Login page does not remember the user", Description: "The remember me checkbox on the login page has no effect."},
	}
}

func newIndex(issues []domain.Issue) *Index {
	x := New(DefaultOptions())
	for _, is := range issues {
		x.Add(is)
	}
	return x
}

func keys(cs []domain.Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Key
	}
	return out
}

func TestQueryKeyFindsPlantedDuplicates(t *testing.T) {
	x := newIndex(corpus())
	tests := []struct {
		key, want string
		shared    string // a word that must be among SharedTerms
	}{
		{"P-1", "P-6", "namenode"},
		{"P-6", "P-1", "3.4.0"},
		{"P-3", "P-7", "csv"},
		{"P-7", "P-3", "backlog"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			cs, err := x.QueryKey(tt.key, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 || cs[0].Key != tt.want {
				t.Fatalf("QueryKey(%s) = %v, want %s first", tt.key, keys(cs), tt.want)
			}
			if slices.Contains(keys(cs), tt.key) {
				t.Errorf("QueryKey(%s) returned the issue itself: %v", tt.key, keys(cs))
			}
			if !slices.Contains(cs[0].SharedTerms, tt.shared) {
				t.Errorf("SharedTerms = %q, want it to contain %q", cs[0].SharedTerms, tt.shared)
			}
			if cs[0].Summary == "" {
				t.Error("candidate has no summary")
			}
			for i := 1; i < len(cs); i++ {
				if cs[i].Similarity > cs[0].Similarity+1e-9 && cs[i].Key != cs[0].Key {
					// Rank is by score; similarity may differ in order only
					// slightly, never wildly.
					if cs[i].Similarity-cs[0].Similarity > 0.2 {
						t.Errorf("candidate %d similarity %.2f far above top %.2f", i, cs[i].Similarity, cs[0].Similarity)
					}
				}
			}
		})
	}
}

func TestSimilarityScale(t *testing.T) {
	x := newIndex(corpus())
	tests := []struct {
		name     string
		issue    domain.Issue
		top      string
		min, max float64
	}{
		{"same text", domain.Issue{Summary: "Slow search on large projects", Description: "Searching issues takes several seconds when a project has more than 50k issues."}, "P-5", 0.99, 1},
		{"reworded", domain.Issue{Summary: "Search is slow for big projects", Description: "Search takes seconds with many issues."}, "P-5", 0.3, 0.95},
		{"one word shared", domain.Issue{Summary: "Search engine logo", Description: "Pick a new logo for marketing."}, "P-5", 0.01, 0.3},
		{"unrelated", domain.Issue{Summary: "Translate onboarding emails into German"}, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := x.Query(tt.issue, 3)
			if tt.top == "" {
				if len(cs) != 0 {
					t.Fatalf("Query = %v, want no candidates", keys(cs))
				}
				return
			}
			if len(cs) == 0 || cs[0].Key != tt.top {
				t.Fatalf("Query = %v, want %s first", keys(cs), tt.top)
			}
			c := cs[0]
			if c.Similarity < tt.min || c.Similarity > tt.max {
				t.Errorf("Similarity = %.3f, want in [%.2f, %.2f]", c.Similarity, tt.min, tt.max)
			}
			if want := c.Similarity >= DefaultOptions().LikelyThreshold; c.Near != want {
				t.Errorf("Near = %v at similarity %.3f, want %v", c.Near, c.Similarity, want)
			}
			for _, c := range cs {
				if c.Similarity < 0 || c.Similarity > 1 || math.IsNaN(c.Similarity) {
					t.Errorf("%s similarity %v outside [0, 1]", c.Key, c.Similarity)
				}
			}
		})
	}
}

func TestQueryText(t *testing.T) {
	x := newIndex(corpus())
	cs := x.QueryText("Login page forgets me\nThe remember me option is ignored", 1)
	if len(cs) != 1 || cs[0].Key != "P-8" {
		t.Fatalf("QueryText = %v, want [P-8]", keys(cs))
	}
	if got := x.QueryText("", 5); got != nil {
		t.Errorf("QueryText(\"\") = %v, want nil", keys(got))
	}
	if got := x.QueryText("namenode", 0); got != nil {
		t.Errorf("k=0 gave %v, want nil", keys(got))
	}
}

func TestQueryExcludesOwnKey(t *testing.T) {
	x := newIndex(corpus())
	is := corpus()[0]
	cs := x.Query(is, 10)
	if slices.Contains(keys(cs), is.Key) {
		t.Errorf("Query(%s) returned itself: %v", is.Key, keys(cs))
	}
	is.Key = ""
	cs = x.Query(is, 1)
	if len(cs) != 1 || cs[0].Key != "P-1" || !cs[0].Near {
		t.Errorf("keyless Query of P-1's text = %+v, want P-1 near", cs)
	}
}

func TestQueryKeyUnknown(t *testing.T) {
	x := newIndex(corpus())
	_, err := x.QueryKey("NOPE-1", 5)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("QueryKey(unknown) error = %v, want ErrNotFound", err)
	}
}

func TestRemove(t *testing.T) {
	x := newIndex(corpus())
	if !x.Remove("P-6") {
		t.Fatal("Remove(P-6) = false, want true")
	}
	if x.Remove("P-6") {
		t.Error("second Remove(P-6) = true, want false")
	}
	if got := x.Len(); got != 7 {
		t.Errorf("Len = %d, want 7", got)
	}
	cs, err := x.QueryKey("P-1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(keys(cs), "P-6") {
		t.Errorf("removed P-6 returned: %v", keys(cs))
	}
	if _, err := x.QueryKey("P-6", 3); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("QueryKey(removed) error = %v, want ErrNotFound", err)
	}
	// Its words are still indexed elsewhere only through P-1.
	cs = x.QueryText("fsimage namenode", 10)
	if !slices.Equal(keys(cs), []string{"P-1"}) {
		t.Errorf("QueryText after remove = %v, want [P-1]", keys(cs))
	}
}

func TestUpdateFindsNewTextNotOld(t *testing.T) {
	x := newIndex(corpus())
	x.Update(domain.Issue{Key: "P-2", Summary: "Kafka consumer lag alerting", Description: "Alert when the consumer lag of a Kafka topic exceeds a threshold."})
	if got := x.Len(); got != 8 {
		t.Errorf("Len after update = %d, want 8", got)
	}
	cs := x.QueryText("dark theme for settings", 5)
	if slices.Contains(keys(cs), "P-2") {
		t.Errorf("old text still finds P-2: %v", keys(cs))
	}
	cs = x.QueryText("kafka consumer lag", 5)
	if len(cs) == 0 || cs[0].Key != "P-2" {
		t.Errorf("new text finds %v, want P-2 first", keys(cs))
	}
	for _, c := range cs {
		if c.Key == "P-2" && c.Summary != "Kafka consumer lag alerting" {
			t.Errorf("summary = %q, want the updated one", c.Summary)
		}
	}
}

// forceNorms recomputes every length norm with the exact current averages,
// so that an incrementally maintained index can be compared with a fresh one.
func (x *Index) forceNorms() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.normAvg = [2]float64{-1, -1}
	x.refreshNormsLocked()
}

func TestIncrementalMatchesRebuild(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	gen := newGenerator(r, 2000)
	x := New(DefaultOptions())
	final := map[string]domain.Issue{}
	// Enough removals to trigger compaction more than once.
	for i := range 3000 {
		key := fmt.Sprintf("K-%d", r.Intn(400))
		switch op := r.Intn(10); {
		case op < 2:
			x.Remove(key)
			delete(final, key)
		default:
			is := gen.issue(key)
			x.Add(is)
			final[key] = is
		}
		_ = i
	}
	fresh := New(DefaultOptions())
	var live []string
	for k, is := range final {
		fresh.Add(is)
		live = append(live, k)
	}
	slices.Sort(live)
	if x.Len() != len(live) || fresh.Len() != len(live) {
		t.Fatalf("Len = %d (fresh %d), want %d", x.Len(), fresh.Len(), len(live))
	}
	x.forceNorms()
	fresh.forceNorms()
	for _, k := range live[:50] {
		got, err := x.QueryKey(k, 1000)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := fresh.QueryKey(k, 1000)
		if len(got) != len(want) {
			t.Fatalf("QueryKey(%s): %d candidates, fresh index %d", k, len(got), len(want))
		}
		sims := map[string]float64{}
		for _, c := range want {
			sims[c.Key] = c.Similarity
		}
		for _, c := range got {
			if _, ok := final[c.Key]; !ok {
				t.Fatalf("QueryKey(%s) returned removed %s", k, c.Key)
			}
			w, ok := sims[c.Key]
			if !ok || math.Abs(w-c.Similarity) > 1e-4 {
				t.Errorf("QueryKey(%s): %s similarity %.5f, fresh index %.5f (present %v)", k, c.Key, c.Similarity, w, ok)
			}
		}
	}
}

func TestCompactionKeepsDocs(t *testing.T) {
	x := newIndex(corpus())
	for i := range 200 {
		x.Add(domain.Issue{Key: fmt.Sprintf("T-%d", i), Summary: fmt.Sprintf("temporary issue number %d about widgets", i)})
	}
	for i := range 200 {
		x.Remove(fmt.Sprintf("T-%d", i))
	}
	x.mu.RLock()
	docs, dead := len(x.docs), x.dead
	x.mu.RUnlock()
	if docs >= 208 || dead*4 >= docs && dead >= 64 {
		t.Errorf("after removing 200 of 208 issues: %d doc slots, %d dead; want compacted", docs, dead)
	}
	if cs := x.QueryText("temporary widgets", 5); len(cs) != 0 {
		t.Errorf("removed issues returned: %v", keys(cs))
	}
	cs, err := x.QueryKey("P-3", 1)
	if err != nil || len(cs) != 1 || cs[0].Key != "P-7" {
		t.Errorf("after compaction QueryKey(P-3) = %v, %v; want [P-7]", cs, err)
	}
}

func TestConcurrentQueriesDuringUpdates(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	gen := newGenerator(r, 500)
	x := newIndex(corpus())
	stable := map[string]bool{}
	for _, is := range corpus() {
		stable[is.Key] = true
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := corpus()[(i+w)%8].Key
				cs, err := x.QueryKey(key, 5)
				if err != nil {
					errs <- fmt.Errorf("QueryKey(%s): %w", key, err)
					return
				}
				for _, c := range cs {
					if c.Key == key || c.Similarity < 0 || c.Similarity > 1 {
						errs <- fmt.Errorf("QueryKey(%s) gave bad candidate %+v", key, c)
						return
					}
				}
				_ = x.QueryText("namenode upgrade widgets", 5)
			}
		}()
	}
	issues := make([]domain.Issue, 1500)
	for i := range issues {
		issues[i] = gen.issue(fmt.Sprintf("C-%d", i%300))
	}
	for i, is := range issues {
		if i%3 == 2 {
			x.Remove(is.Key)
		} else {
			x.Update(is)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for k := range stable {
		if _, err := x.QueryKey(k, 1); err != nil {
			t.Errorf("stable issue %s lost: %v", k, err)
		}
	}
}
