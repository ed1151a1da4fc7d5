package rankapply_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/rankapply"
	"github.com/backlogai/backlogai/server/store/storetest"
)

func mv(key string, from, to int) domain.RankMove {
	return domain.RankMove{Key: key, From: from, To: to}
}

func TestPlan(t *testing.T) {
	cases := []struct {
		name        string
		order, want []string
		moves       []domain.RankMove
		changed     int
		skipped     []string
	}{
		{"already on top", []string{"A", "B", "C"}, []string{"A", "B"}, []domain.RankMove{mv("A", 1, 1), mv("B", 2, 2)}, 0, []string{}},
		{"reverse", []string{"A", "B", "C"}, []string{"C", "B", "A"}, []domain.RankMove{mv("C", 3, 1), mv("B", 2, 2), mv("A", 1, 3)}, 2, []string{}},
		{"unknown and repeated keys", []string{"A", "B"}, []string{"X", "B", "B"}, []domain.RankMove{mv("B", 2, 1)}, 1, []string{"X"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := rankapply.Plan(tc.order, tc.want)
			if !slices.Equal(p.Moves, tc.moves) || p.Changed != tc.changed || !slices.Equal(p.Skipped, tc.skipped) {
				t.Errorf("Plan = %+v, want moves %v changed %d skipped %v", p, tc.moves, tc.changed, tc.skipped)
			}
		})
	}
}

// countingJira counts rank calls on top of the real client.
type countingJira struct {
	*jira.Client
	mu    sync.Mutex
	calls int
}

func (c *countingJira) RankIssues(ctx context.Context, keys []string, before, after string) error {
	c.mu.Lock()
	c.calls += (len(keys) + jira.MaxRankBatch - 1) / jira.MaxRankBatch
	c.mu.Unlock()
	return c.Client.RankIssues(ctx, keys, before, after)
}

func newJira(t *testing.T) (*jiraemu.Emulator, *countingJira) {
	t.Helper()
	const secret = "rankapply-test-shared-secret-0123"
	emu := jiraemu.New(jiraemu.Options{SharedSecret: secret})
	srv := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(srv.URL)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	signer := &connect.SigningClient{HTTP: srv.Client(), AppKey: emu.AppKey(), BaseURL: srv.URL, Secret: secret, UserAgent: "test"}
	c, err := jira.New(signer, srv.URL, jira.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return emu, &countingJira{Client: c}
}

func TestApplyAndUndoAgainstTheEmulator(t *testing.T) {
	ctx := context.Background()
	emu, j := newJira(t)
	st := storetest.Open(t, "sqlite", nil)
	tn, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "k", BaseURL: "https://k.atlassian.net", SharedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ts := st.Tenant(tn)
	svc := &rankapply.Service{Now: func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) }}

	before, err := j.RankOrder(ctx, "SHOP")
	if err != nil || len(before) < 160 {
		t.Fatalf("rank order: %d keys, %v", len(before), err)
	}
	// 60 issues from the middle, reversed: two rank calls of at most 50.
	want := slices.Clone(before[100:160])
	slices.Reverse(want)
	p, err := svc.Preview(ctx, j, "SHOP", want)
	if err != nil || len(p.Moves) != 60 || p.Moves[0] != (domain.RankMove{Key: want[0], From: 160, To: 1}) {
		t.Fatalf("preview %+v %v", p.Moves[:1], err)
	}
	if j.calls != 0 {
		t.Fatal("preview ranked issues")
	}
	if _, err := svc.Apply(ctx, j, ts, "SHOP", "acc-pm", want); err != nil {
		t.Fatal(err)
	}
	if j.calls != 2 {
		t.Errorf("%d rank calls for 60 issues, want 2", j.calls)
	}
	after, _ := j.RankOrder(ctx, "SHOP")
	if !slices.Equal(after[:60], want) {
		t.Fatalf("Jira's top 60 after apply: %v…, want %v…", after[:3], want[:3])
	}
	rest := slices.DeleteFunc(slices.Clone(before), func(k string) bool { return slices.Contains(want, k) })
	if !slices.Equal(after[60:], rest) {
		t.Error("issues not chosen lost their relative order")
	}
	// The emulator's full order (done issues too) agrees.
	all := emu.RankOrder("SHOP")
	if i, k := slices.Index(all, want[0]), slices.Index(all, want[59]); i < 0 || k != i+59 {
		t.Errorf("emulator's order has the block at %d..%d, want contiguous", i, k)
	}
	rec, err := ts.RankApplication(ctx, "SHOP")
	if err != nil || rec.AccountID != "acc-pm" || !slices.Equal(rec.PreviousOrder, before) {
		t.Fatalf("stored application %v %v", rec.AccountID, err)
	}

	undone, err := svc.Undo(ctx, j, ts, "SHOP", "acc-other")
	if err != nil || undone.UndoneBy != "acc-other" {
		t.Fatalf("undo: %+v %v", undone.UndoneBy, err)
	}
	restored, _ := j.RankOrder(ctx, "SHOP")
	if !slices.Equal(restored, before) {
		i := 0
		for i < len(before) && restored[i] == before[i] {
			i++
		}
		t.Fatalf("undo did not restore the order; first difference at %d", i)
	}
	if _, err := svc.Undo(ctx, j, ts, "SHOP", "acc-other"); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("second undo: %v, want conflict", err)
	}
}

func TestApplyEveryIssueAndBadInput(t *testing.T) {
	ctx := context.Background()
	_, j := newJira(t)
	st := storetest.Open(t, "sqlite", nil)
	tn, _ := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "k", BaseURL: "https://k.atlassian.net", SharedSecret: "s"})
	ts := st.Tenant(tn)
	svc := &rankapply.Service{}
	before, _ := j.RankOrder(ctx, "SHOP")
	// Ranking every open issue in reverse has no outside anchor.
	want := slices.Clone(before)
	slices.Reverse(want)
	if _, err := svc.Apply(ctx, j, ts, "SHOP", "acc", want[:min(len(want), rankapply.MaxIssues)]); err != nil {
		t.Fatal(err)
	}
	if len(want) <= rankapply.MaxIssues {
		if after, _ := j.RankOrder(ctx, "SHOP"); !slices.Equal(after, want) {
			t.Errorf("full reverse: got %v…, want %v…", after[:3], want[:3])
		}
	}
	if _, err := svc.Undo(ctx, j, ts, "SHOP", "acc"); err != nil {
		t.Fatal(err)
	}
	if after, _ := j.RankOrder(ctx, "SHOP"); !slices.Equal(after, before) {
		t.Error("undo of the full reverse did not restore the order")
	}
	for _, bad := range [][]string{nil, make([]string, rankapply.MaxIssues+1)} {
		if _, err := svc.Apply(ctx, j, ts, "SHOP", "acc", bad); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%d keys: %v, want invalid", len(bad), err)
		}
	}
}

// An issue someone ranks in Jira after an application keeps its new place
// through the undo; the moved issues return next to their old neighbours.
func TestUndoKeepsOthersMovesSince(t *testing.T) {
	ctx := context.Background()
	_, j := newJira(t)
	st := storetest.Open(t, "sqlite", nil)
	tn, _ := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "k", BaseURL: "https://k.atlassian.net", SharedSecret: "s"})
	ts := st.Tenant(tn)
	svc := &rankapply.Service{}
	before, _ := j.RankOrder(ctx, "SHOP")
	want := []string{before[30], before[20]}
	if _, err := svc.Apply(ctx, j, ts, "SHOP", "acc", want); err != nil {
		t.Fatal(err)
	}
	other := before[50] // a colleague moves it to the very top
	if err := j.Client.RankIssues(ctx, []string{other}, want[0], ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Undo(ctx, j, ts, "SHOP", "acc"); err != nil {
		t.Fatal(err)
	}
	got, _ := j.RankOrder(ctx, "SHOP")
	if got[0] != other {
		t.Errorf("the colleague's move was undone too: top is %s, want %s", got[0], other)
	}
	for _, k := range want {
		i := slices.Index(before, k)
		if g := slices.Index(got, k); got[g-1] != before[i-1] {
			t.Errorf("%s follows %s after undo, want %s", k, got[g-1], before[i-1])
		}
	}
}
