package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// cluster is several app replicas on one MySQL database behind a
// round-robin proxy (the load balancer), and the emulated Jira.
type cluster struct {
	env
	apps []*cli.App
	st   *store.Store
}

func startCluster(t *testing.T, replicas int) *cluster {
	t.Helper()
	dsn := storetest.MySQLDatabase(t)
	emuL, _ := net.Listen("tcp", "127.0.0.1:0")
	lbL, _ := net.Listen("tcp", "127.0.0.1:0")
	emuURL, lbURL := "http://"+emuL.Addr().String(), "http://"+lbL.Addr().String()
	emu := jiraemu.New(jiraemu.Options{BaseURL: emuURL, AppKey: "backlogai", ClientKey: "jira:cluster", AppBaseURL: lbURL, RebaseTimes: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { emu.Serve(ctx, emuL); close(done) }()
	c := &cluster{env: env{t: t, emu: emu, app: lbURL}}
	var targets []*url.URL
	for i := 0; i < replicas; i++ {
		o := envOptions{driver: "mysql", dsn: dsn}
		cfg := testConfig(t, &o)
		cfg.BaseURL = lbURL
		cfg.ConnectKeysURL = emuURL + "/connect-keys"
		cfg.AllowedJiraHosts = []string{emuURL}
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		app, err := cli.Start(context.Background(), cfg, logger(), cli.StartOptions{Listener: l, NoReconcile: true})
		if err != nil {
			t.Fatal(err)
		}
		c.apps = append(c.apps, app)
		u, _ := url.Parse(app.URL)
		targets = append(targets, u)
		c.cfg = cfg
	}
	var next atomic.Uint64
	lb := &http.Server{Handler: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(targets[next.Add(1)%uint64(len(targets))])
		r.Out.Host = r.In.Host
	}}}
	go lb.Serve(lbL)
	c.st = c.apps[0].Store
	t.Cleanup(func() {
		lb.Close()
		for _, a := range c.apps {
			a.Close(context.Background())
		}
		cancel()
		<-done
	})
	if err := emu.Install(context.Background(), lbURL); err != nil {
		t.Fatalf("install through the load balancer: %v", err)
	}
	return c
}

// TestTwoReplicasAbsorbWebhookBurst: two app processes share one MariaDB;
// a burst of 5,000 webhooks over the demo project's issues ends with every
// issue analysed from its final state and that result in Jira, with no job
// lost or dead.
func TestTwoReplicasAbsorbWebhookBurst(t *testing.T) {
	c := startCluster(t, 2)
	activate(t, &c.env)
	var keys []string
	var page struct {
		Rows []struct {
			Key string `json:"key"`
		} `json:"rows"`
	}
	c.api("GET", "/api/projects/SHOP/backlog?limit=500&all=1&subtasks=1", nil, &page)
	for _, r := range page.Rows {
		keys = append(keys, r.Key)
	}
	if len(keys) < 300 {
		t.Fatalf("demo project has %d issues", len(keys))
	}
	const burst = 5000
	final := map[string]string{}
	start := time.Now()
	for i := 0; i < burst; i++ {
		key := keys[i%len(keys)]
		summary := fmt.Sprintf("As a shopper, I want variant %d of %s so that I can compare offers", i, key)
		if err := c.emu.UserUpdate(key, map[string]any{"summary": summary}, ""); err != nil {
			t.Fatal(err)
		}
		final[key] = summary
	}
	wctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := c.emu.WaitWebhooks(wctx); err != nil {
		t.Fatalf("webhooks not all delivered: %v", err)
	}
	accepted := time.Since(start)
	tn, err := c.st.TenantByClientKey(context.Background(), "jira:cluster")
	if err != nil {
		t.Fatal(err)
	}
	ts := c.st.Tenant(tn)
	var counts map[string]int64
	defer func() {
		// A queue that never drains: say whether it was stuck or slow.
		if t.Failed() {
			t.Logf("queue at the end: %v", counts)
			for _, st := range []string{domain.JobQueued, domain.JobRunning} {
				jobs, _ := ts.Jobs(context.Background(), st, 5)
				for _, j := range jobs {
					t.Logf("%s job %d %s %q attempts %d run_at %v locked_by %q err %q", st, j.ID, j.Kind, j.DedupeKey, j.Attempts, j.RunAt, j.LockedBy, j.LastError)
				}
			}
		}
	}()
	waitUntil(t, 3*time.Minute, "queue drained", func() bool {
		counts, _ = ts.QueueCounts(context.Background())
		return counts[domain.JobQueued] == 0 && counts[domain.JobRunning] == 0
	})
	t.Logf("%d webhooks delivered and accepted in %v (%.0f/s); settled after %v", burst, accepted, burst/accepted.Seconds(), time.Since(start))
	if dead, _ := ts.Jobs(context.Background(), domain.JobDead, 10); len(dead) > 0 {
		t.Fatalf("dead jobs: %+v", dead)
	}
	retried := 0
	for _, d := range c.emu.Deliveries() {
		if !d.Delivered {
			t.Fatalf("delivery %s not delivered: %d %s", d.ID, d.LastStatus, d.Err)
		}
		if d.Attempts > 1 {
			retried++
		}
	}
	t.Logf("%d deliveries needed a retry", retried)
	results, err := ts.Results(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(keys) {
		t.Fatalf("%d results for %d issues", len(results), len(keys))
	}
	for _, r := range results {
		if r.Issue.Summary != final[r.Issue.Key] {
			t.Fatalf("%s analysed from a stale state: %q, final %q", r.Issue.Key, r.Issue.Summary, final[r.Issue.Key])
		}
		want := analysis.PropertyOf(r.Analysis, r.Issue.StoryPoints)
		raw, ok := c.emu.IssueProperty(r.Issue.Key, "backlogai")
		if !ok {
			t.Fatalf("%s has no property", r.Issue.Key)
		}
		var got analysis.Property
		json.Unmarshal(raw, &got)
		if got.Version != want.Version {
			// The ranking that follows a burst may re-class issues after
			// the results were read: compare with the newest stored result.
			waitUntil(t, 30*time.Second, r.Issue.Key+" write-back", func() bool {
				raw, _ := c.emu.IssueProperty(r.Issue.Key, "backlogai")
				json.Unmarshal(raw, &got)
				now, err := ts.Results(context.Background(), []string{r.Issue.Key})
				if err != nil || len(now) != 1 {
					return false
				}
				return got.Version == analysis.PropertyOf(now[0].Analysis, now[0].Issue.StoryPoints).Version
			})
		}
	}
}
