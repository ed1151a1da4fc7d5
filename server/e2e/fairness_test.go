package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// floodResult is what one flood measured.
type floodResult struct {
	floodOK, flood429, floodOther int
	floodLat                      []time.Duration // of served (200) calls
	calmOK, calmErr               int
	calmLat                       []time.Duration
}

func (r floodResult) String() string {
	return fmt.Sprintf("flooder: %d served (p50 %.1f ms, p99 %.1f ms), %d refused with 429, %d other; other tenant's /status: %d calls, p50 %.1f ms, p99 %.1f ms, %d failed",
		r.floodOK, pct(r.floodLat, 0.5), pct(r.floodLat, 0.99), r.flood429, r.floodOther, r.calmOK, pct(r.calmLat, 0.5), pct(r.calmLat, 0.99), r.calmErr)
}

// TestFairnessUnderFlood is issue 11's reproduction of finding 6: one
// tenant floods the app API with 50 concurrent `backlog?limit=500` calls
// while another tenant polls `/status`. The app runs as its own process
// on MariaDB and on SQLite (embedded mode), once without per-tenant
// limits (the baseline, reported only) and once with the default limits,
// where the other tenant's p99 must stay under 200 ms. Bounded: FAIRNESS_SECONDS (default 6) per run and at
// most 50,000 flood requests.
func TestFairnessUnderFlood(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("latency test: not with -short or -race")
	}
	// A latency figure needs a quiet machine: `make test` runs this
	// package beside CPU-bound ones (eval), so the measurement is a load
	// benchmark run by `make bench-load`; the limiter's behaviour itself is
	// tested in the web package on every run.
	if os.Getenv("FAIRNESS_TEST") == "" {
		t.Skip("set FAIRNESS_TEST=1 (make bench-load) to measure fairness under a flood")
	}
	secs, _ := strconv.Atoi(os.Getenv("FAIRNESS_SECONDS"))
	if secs <= 0 {
		secs = 6
	}
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) { fairnessUnderFlood(t, driver, time.Duration(secs)*time.Second) })
	}
}

func fairnessUnderFlood(t *testing.T, driver string, d time.Duration) {
	dbURL, secrets := seedTenantPair(t, driver)
	secs := int(d / time.Second)
	// The first run also measures the other tenant alone: the machine's
	// noise floor.
	quietFirst := true
	var quiet99 float64
	run := func(limits ...string) floodResult {
		defer func() { quietFirst = false }()
		port := freePort(t)
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		p := startProc(t, append([]string{
			fmt.Sprintf("PORT=%d", port), "BASE_URL=" + url, "DATABASE_URL=" + dbURL,
			"ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(storetest.Key),
			"JOB_WORKERS=0", "LOG_LEVEL=error",
		}, limits...), url)
		defer p.kill()
		if quietFirst {
			q := flood(t, url, secrets, 2*time.Second, 0)
			quiet99 = pct(q.calmLat, 0.99)
			t.Logf("the other tenant alone (no flood): /status p50 %.1f ms, p99 %.1f ms", pct(q.calmLat, 0.5), pct(q.calmLat, 0.99))
		}
		return flood(t, url, secrets, d, 50)
	}
	base := run("API_TENANT_CONCURRENCY=0", "API_TENANT_RATE=0")
	t.Logf("without limits: %v", base)
	// FAIRNESS_ENV (e.g. "API_TENANT_CONCURRENCY=8 API_TENANT_RATE=100")
	// measures other limits than the defaults of config.Load.
	lim := run(strings.Fields(os.Getenv("FAIRNESS_ENV"))...)
	t.Logf("with the limits %q (empty: the defaults): %v", os.Getenv("FAIRNESS_ENV"), lim)
	if lim.calmErr > 0 || lim.calmOK < 20 {
		t.Errorf("other tenant: %d calls served, %d failed", lim.calmOK, lim.calmErr)
	}
	// The target. The measured figure (docs/performance.md: 10-31 ms with
	// the machine shared by other builds) leaves a wide margin; without the
	// limits it was 268-433 ms.
	// On a machine so loaded that the other tenant alone already sees a
	// p99 over 20 ms (other test packages or builds running beside this
	// one), no absolute figure holds; the limits must then still cut the
	// other tenant's p99 to under a third of what it is without them.
	p99, base99 := pct(lim.calmLat, 0.99), pct(base.calmLat, 0.99)
	switch {
	case p99 <= 200:
	case quiet99 > 20 && p99 < base99/3:
		t.Logf("noisy machine (p99 alone %.0f ms): p99 %.0f ms with limits against %.0f ms without", quiet99, p99, base99)
	default:
		t.Errorf("other tenant's /status p99 %.0f ms under a flood (%.0f ms without limits, %.0f ms alone), want < 200 ms", p99, base99, quiet99)
	}
	// The flooder is slowed to its rate (50/s after a burst of 100), not
	// failed: it gets 200 or 429, nothing else.
	if most := 50*(secs+2) + 100 + 50; lim.floodOK == 0 || (os.Getenv("FAIRNESS_ENV") == "" && lim.floodOK > most) || lim.floodOther > 0 {
		t.Errorf("flooder: %d served (want 1..%d), %d answers other than 200/429", lim.floodOK, most, lim.floodOther)
	}
}

// seedTenantPair stores two tenants with an active project SHOP of
// analysed issues, the flooder all 310 of the demo project, the other 50,
// in a new database of driver. It returns the app's DATABASE_URL and the
// tenants' shared secrets by client key.
func seedTenantPair(t *testing.T, driver string) (string, map[string]string) {
	ctx := context.Background()
	var dbURL, dsn string
	switch driver {
	case "mysql":
		dsn = storetest.MySQLDatabase(t)
		mc, _ := mysql.ParseDSN(dsn)
		dbURL = fmt.Sprintf("mysql://%s:%s@%s/%s", mc.User, mc.Passwd, mc.Addr, mc.DBName)
	default:
		path := filepath.Join(t.TempDir(), "app.db")
		dsn = path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
		dbURL = "sqlite://" + path
	}
	st, err := store.Open(ctx, store.Options{Driver: driver, DSN: dsn, Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fx, _ := jiraemu.DemoFixture()
	var issues []domain.Issue
	for n, fi := range fx.Issues {
		issues = append(issues, domain.Issue{Key: fi.Key, ID: strconv.Itoa(10000 + n), ProjectKey: "SHOP", Type: domain.NormaliseIssueType(fi.Type),
			Summary: fi.Summary, Description: fi.Summary, StatusCat: domain.StatusToDo, Created: fi.Created, Updated: fi.Updated})
	}
	model := analysis.NewProject(domain.DefaultStrategy(), issues, time.Now)
	in := make([]store.ResultInput, len(issues))
	for i, is := range issues {
		a, _ := model.Analyse(is.Key, nil)
		in[i] = store.ResultInput{Issue: is, Analysis: &a, Hash: analysis.PropertyOf(&a, nil).Version}
	}
	secrets := map[string]string{}
	for key, n := range map[string]int{"jira:flood": len(in), "jira:calm": 50} {
		secret := "fairness-secret-" + key + "-0123456789abcdef"
		tn, err := st.SaveInstallation(ctx, &domain.Tenant{ClientKey: key, BaseURL: "https://fair.example.invalid", SharedSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		ts := st.Tenant(tn)
		ts.EnsureProject(ctx, "SHOP", "10000", "ShopFlow")
		ts.SetProjectActive(ctx, "SHOP", true)
		if err := ts.SaveResults(ctx, "SHOP", in[:n]); err != nil {
			t.Fatal(err)
		}
		secrets[key] = secret
	}
	return dbURL, secrets
}

// apiToken is a context token of a SHOP project page of tenant key.
func apiToken(t *testing.T, key, secret string) string {
	ctxJSON, _ := json.Marshal(map[string]any{"jira": map[string]any{"project": map[string]string{"key": "SHOP", "id": "10000"}}})
	now := time.Now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: key, Subject: "557058:load",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute))}, QSH: connect.ContextQSH, Context: ctxJSON}, secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// flood runs floodConc concurrent backlog?limit=500 loops of jira:flood
// (a hostile client: it ignores Retry-After) and one /status poller of
// jira:calm (every 20 ms) for d, after a one-second warm-up.
func flood(t *testing.T, url string, secrets map[string]string, d time.Duration, floodConc int) floodResult {
	const maxFlood = 50000
	floodAuth, calmAuth := "JWT "+apiToken(t, "jira:flood", secrets["jira:flood"]), "JWT "+apiToken(t, "jira:calm", secrets["jira:calm"])
	call := func(c *http.Client, path, auth string) (int, time.Duration, error) {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.Header.Set("Authorization", auth)
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(t0), nil
	}
	fc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: floodConc * 2}, Timeout: 30 * time.Second}
	cc := &http.Client{Timeout: 30 * time.Second}
	// Warm up both paths (connections, caches, prepared statements).
	for i := 0; i < 5; i++ {
		call(fc, "/api/projects/SHOP/backlog?limit=500", floodAuth)
		call(cc, "/api/projects/SHOP/status", calmAuth)
	}
	var res floodResult
	var mu sync.Mutex
	var sent atomic.Int64
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < floodConc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var ok, tooMany, other int
			for !stopped() && sent.Add(1) <= maxFlood {
				code, l, err := call(fc, "/api/projects/SHOP/backlog?limit=500", floodAuth)
				switch {
				case err == nil && code == 200:
					ok++
					lat = append(lat, l)
				case err == nil && code == http.StatusTooManyRequests:
					tooMany++
				default:
					other++
				}
			}
			mu.Lock()
			res.floodOK += ok
			res.flood429 += tooMany
			res.floodOther += other
			res.floodLat = append(res.floodLat, lat...)
			mu.Unlock()
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(time.Second) // let the flood build up
		for !stopped() {
			code, l, err := call(cc, "/api/projects/SHOP/status", calmAuth)
			mu.Lock()
			if err == nil && code == 200 {
				res.calmOK++
				res.calmLat = append(res.calmLat, l)
			} else {
				res.calmErr++
			}
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(d + time.Second)
	close(stop)
	wg.Wait()
	return res
}
