package rankapply_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/rankapply"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// BenchmarkApplyTop500 applies the top 500 of a 10,000-issue emulated
// project (no Jira latency) and undoes it. The baseline ranks one issue
// per call, as a client unaware of the 50-issue batches would.
//
//	go test -run '^$' -bench ApplyTop500 -benchtime 3x ./server/rankapply/
func BenchmarkApplyTop500(b *testing.B) {
	ctx := context.Background()
	const secret = "rankapply-bench-shared-secret-0123"
	emu := jiraemu.New(jiraemu.Options{SharedSecret: secret, Fixtures: []*jiraemu.Fixture{jiraemu.Generate(10000, 3)}})
	srv := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(srv.URL)
	b.Cleanup(func() { srv.Close(); emu.Close() })
	signer := &connect.SigningClient{HTTP: srv.Client(), AppKey: emu.AppKey(), BaseURL: srv.URL, Secret: secret, UserAgent: "bench"}
	c, err := jira.New(signer, srv.URL, jira.Options{})
	if err != nil {
		b.Fatal(err)
	}
	st := storetest.Open(b, "sqlite", nil)
	tn, _ := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: "k", BaseURL: "https://k.atlassian.net", SharedSecret: "s"})
	ts := st.Tenant(tn)
	order, err := c.RankOrder(ctx, jiraemu.SyntheticKey)
	if err != nil {
		b.Fatal(err)
	}
	want := slices.Clone(order[len(order)-500:])
	slices.Reverse(want)
	b.Logf("%d open issues", len(order))
	b.Run("batched", func(b *testing.B) {
		svc := &rankapply.Service{}
		for b.Loop() {
			if _, err := svc.Apply(ctx, c, ts, jiraemu.SyntheticKey, "acc", want); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Undo(ctx, c, ts, jiraemu.SyntheticKey, "acc"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-per-call-baseline", func(b *testing.B) {
		for b.Loop() {
			prev := order[0]
			if err := c.RankIssues(ctx, want[:1], prev, ""); err != nil {
				b.Fatal(err)
			}
			for i := 1; i < len(want); i++ {
				if err := c.RankIssues(ctx, want[i:i+1], "", want[i-1]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
