package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/backlogai/backlogai/server/cli"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// cutProxy forwards TCP to a target and can be cut (listener closed, every
// connection dropped) and restored on the same address: the database
// "goes away" and comes back.
type cutProxy struct {
	addr, target string
	mu           sync.Mutex
	l            net.Listener
	conns        map[net.Conn]bool
}

func (p *cutProxy) up(t testing.TB) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		return
	}
	l := listenOn(t, p.addr)
	p.l = l
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *cutProxy) pipe(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.conns == nil {
		p.conns = map[net.Conn]bool{}
	}
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

func (p *cutProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func get(url string) (int, time.Duration) {
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		return 0, time.Since(start)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// TestDatabaseDownAtStartAndMidRun: the app starts without its database
// (/readyz fails), becomes ready when it appears, answers 503 quickly while
// it is gone mid-run, and recovers without a restart.
func TestDatabaseDownAtStartAndMidRun(t *testing.T) {
	dsn := storetest.MySQLDatabase(t)
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	px := &cutProxy{addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), target: mc.Addr}
	t.Cleanup(px.down)
	mc.Addr = px.addr
	mc.Timeout = 2 * time.Second
	o := envOptions{driver: "mysql", dsn: mc.FormatDSN()}
	cfg := testConfig(t, &o)

	emuL, _ := net.Listen("tcp", "127.0.0.1:0")
	appL, _ := net.Listen("tcp", "127.0.0.1:0")
	emuURL, appURL := "http://"+emuL.Addr().String(), "http://"+appL.Addr().String()
	emu := jiraemu.New(jiraemu.Options{BaseURL: emuURL, AppKey: "backlogai", ClientKey: "jira:dbfault", AppBaseURL: appURL, RebaseTimes: true,
		WebhookRetryDelays: []time.Duration{300 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go emu.Serve(ctx, emuL)
	cfg.BaseURL, cfg.ConnectKeysURL, cfg.AllowedJiraHosts = appURL, emuURL+"/connect-keys", []string{emuURL}

	app, err := cli.Start(ctx, cfg, logger(), cli.StartOptions{Listener: appL, NoReconcile: true})
	if err != nil {
		t.Fatalf("the app must start without its database: %v", err)
	}
	t.Cleanup(func() { app.Close(context.Background()) })
	if c, _ := get(appURL + "/readyz"); c != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database down: %d", c)
	}
	if c, _ := get(appURL + "/healthz"); c != 200 {
		t.Errorf("healthz (alive) %d", c)
	}
	px.up(t)
	waitUntil(t, 30*time.Second, "ready once the database is up", func() bool { c, _ := get(appURL + "/readyz"); return c == 200 })
	if err := emu.Install(ctx, appURL); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, emu: emu, app: appURL}
	activate(t, e)
	key := e.goodStory()

	// Mid-run: the database goes away.
	px.down()
	if c, _ := get(appURL + "/readyz"); c != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database gone: %d", c)
	}
	start := time.Now()
	if c := e.api("GET", "/api/projects/SHOP/backlog", nil, nil); c != http.StatusServiceUnavailable {
		t.Errorf("API with the database gone: %d, want 503", c)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("API took %v to fail; it must fail fast", d)
	}
	// A change made meanwhile: Jira's webhook is refused and retried.
	if err := emu.UserUpdate(key, map[string]any{"summary": "Make it fast and easy, etc."}, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	px.up(t)
	waitUntil(t, 30*time.Second, "recovery without restart", func() bool {
		return e.api("GET", "/api/projects/SHOP/status", nil, nil) == 200
	})
	waitUntil(t, 60*time.Second, "the retried webhook analysed", func() bool {
		var d struct {
			Issue struct{ Summary string } `json:"issue"`
		}
		e.api("GET", "/api/issues/"+key, nil, &d)
		return d.Issue.Summary == "Make it fast and easy, etc."
	})
}
