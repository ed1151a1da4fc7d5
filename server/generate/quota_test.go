package generate

import (
	"context"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// TestSearchQuotaCountsPerMonth: research's quota is the project's
// monthly search counter: searches are counted up to the limit, a failed
// one is given back, and a new month starts afresh.
func TestSearchQuotaCountsPerMonth(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, "sqlite", nil)
	tn, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "jira:q", BaseURL: "https://q.atlassian.net", SharedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ts := st.Tenant(tn).ForProject("SHOP")
	q := searchQuota{ts}
	may := time.Date(2026, 5, 31, 23, 0, 0, 0, time.UTC)
	for i, want := range []bool{true, true, false} {
		if ok, err := q.TakeSearch(ctx, may, 2); err != nil || ok != want {
			t.Fatalf("search %d: %v, %v; want %v", i+1, ok, err, want)
		}
	}
	if err := q.ReturnSearch(ctx, may); err != nil {
		t.Fatal(err)
	}
	if ok, err := q.TakeSearch(ctx, may, 2); err != nil || !ok {
		t.Errorf("after a returned search: %v, %v; want a search left", ok, err)
	}
	if ok, err := q.TakeSearch(ctx, may.Add(2*time.Hour), 2); err != nil || !ok {
		t.Errorf("in June: %v, %v; want a fresh quota", ok, err)
	}
}
