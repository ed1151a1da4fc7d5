package e2e_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/jiraemu"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds bin/backlogai once for the tests that run real processes.
func binary(t testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "backlogai-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "backlogai")
		cmd := exec.Command("go", "build", "-o", binPath, "./server/cmd/backlogai")
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is the app running as a real process.
type proc struct {
	cmd *exec.Cmd
	url string
}

func startProc(t testing.TB, env []string, url string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(os.Environ(), env...)
	if os.Getenv("E2E_LOG") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: url}
	t.Cleanup(func() { p.kill() })
	waitUntil(t, 30*time.Second, "app ready", func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

// kill sends SIGKILL: no graceful shutdown, no released jobs.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// TestKill9MidScanLosesNothing kills the app process with SIGKILL during a
// full scan and starts it again on the same database: the scan resumes
// after the dead worker's short lease, every issue ends analysed with its
// property in Jira, and the work done before the crash is not redone.
func TestKill9MidScanLosesNothing(t *testing.T) {
	emuPort, appPort := freePort(t), freePort(t)
	emuURL, appURL := fmt.Sprintf("http://127.0.0.1:%d", emuPort), fmt.Sprintf("http://127.0.0.1:%d", appPort)
	emu := jiraemu.New(jiraemu.Options{BaseURL: emuURL, AppKey: "backlogai", ClientKey: "jira:crash", AppBaseURL: appURL, RebaseTimes: true})
	emuL, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", emuPort))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go emu.Serve(ctx, emuL)
	vars := []string{
		fmt.Sprintf("PORT=%d", appPort), "BASE_URL=" + appURL,
		"DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "app.db"),
		"CONNECT_KEYS_URL=" + emuURL + "/connect-keys", "ALLOWED_JIRA_HOSTS=" + emuURL,
		"JOB_LEASE=2s", "LOG_LEVEL=warn",
	}
	p := startProc(t, vars, appURL)
	if err := emu.Install(ctx, appURL); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, emu: emu, app: appURL}
	// Slow Jira down so the crash lands in the middle of the scan.
	emu.SetFaults(jiraemu.Faults{Slow: []jiraemu.SlowRule{{Endpoint: epSearch, Delay: 120 * time.Millisecond}}})
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		t.Fatalf("activate: %d", c)
	}
	waitUntil(t, 30*time.Second, "scan half way", func() bool {
		s := e.status()
		return s.Scan != nil && s.Scan.Done >= 150
	})
	p.kill()
	before := e.requests(epSearch)
	emu.SetFaults(jiraemu.Faults{})
	startProc(t, vars, appURL)
	s := e.waitScan(90 * time.Second)
	n := emu.IssueCount("SHOP")
	if s.Scan.Total != n || s.Scan.Written < n {
		t.Errorf("after restart: %+v (project has %d issues)", s.Scan, n)
	}
	pages := (n + 99) / 100
	if got := e.requests(epSearch); got > pages+2 {
		t.Errorf("%d searches (%d before the crash) for %d pages: work was redone", got, before, pages)
	}
	var page struct {
		Rows []struct {
			Key    string `json:"key"`
			Score  int    `json:"score"`
			Moscow string `json:"moscow"`
		} `json:"rows"`
		Total int `json:"total"`
	}
	e.api("GET", "/api/projects/SHOP/backlog?limit=500&all=1&subtasks=1", nil, &page)
	if page.Total != n {
		t.Fatalf("%d analysed issues of %d", page.Total, n)
	}
	for _, r := range page.Rows {
		prop, ok := e.property(r.Key)
		if !ok || prop.Score != r.Score || prop.Moscow != r.Moscow {
			t.Fatalf("%s: property %+v ok=%v, stored %+v", r.Key, prop, ok, r)
		}
	}
}
