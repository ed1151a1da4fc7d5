package e2e_test

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// TestOverlongWebhookAmongOthers is issue 11's reproduction of finding 4,
// against the app process on MariaDB: while tenant "calm" delivers 200
// valid webhooks from 50 concurrent senders, tenant "flood" sends one
// with a 300-character X-Atlassian-Webhook-Identifier and one with a
// 100-character event name. Every delivery is acknowledged (2xx), all 200
// of calm's are stored, and Jira's retry of the over-long one is still
// recognised as a duplicate.
func TestOverlongWebhookAmongOthers(t *testing.T) {
	dbURL, secrets := seedTenantPair(t, "mysql")
	port := freePort(t)
	app := fmt.Sprintf("http://127.0.0.1:%d", port)
	startProc(t, []string{
		fmt.Sprintf("PORT=%d", port), "BASE_URL=" + app, "DATABASE_URL=" + dbURL,
		"ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(storetest.Key),
		"JOB_WORKERS=0", "LOG_LEVEL=error",
	}, app)
	target := app + "/webhooks/jira"
	u, _ := url.Parse(target)
	qsh, _ := connect.QSHForURL("POST", u, "")
	auth := func(client string) string {
		now := time.Now()
		tok, _ := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: client,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute))}, QSH: qsh}, secrets[client])
		return "JWT " + tok
	}
	calmAuth, floodAuth := auth("jira:calm"), auth("jira:flood")
	post := func(authz, ident string, body []byte) (int, string) {
		req, _ := http.NewRequest("POST", target, bytes.NewReader(body))
		req.Header.Set("Authorization", authz)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Atlassian-Webhook-Identifier", ident)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-BacklogAI-Webhook")
	}
	longID := strings.Repeat("L", 300)
	longEvent := []byte(strings.Replace(string(webhookBody("SHOP-2", 1)), "jira:issue_updated", "jira:"+strings.Repeat("e", 100), 1))
	codes := make([]int, 200)
	var bad [2]int
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 50; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				switch i {
				case 100:
					bad[0], _ = post(floodAuth, longID, webhookBody("SHOP-1", 1))
				case 101:
					bad[1], _ = post(floodAuth, "long-event", longEvent)
				}
				codes[i], _ = post(calmAuth, fmt.Sprintf("calm-%d", i), webhookBody(fmt.Sprintf("SHOP-%d", i%50+1), int64(i)))
			}
		}()
	}
	for i := range codes {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	failed := 0
	for _, c := range codes {
		if c < 200 || c > 299 {
			failed++
		}
	}
	if failed > 0 || bad[0] != http.StatusNoContent || bad[1] != http.StatusNoContent {
		t.Errorf("%d of calm's 200 webhooks failed; the over-long ones got %d and %d", failed, bad[0], bad[1])
	}
	du, _ := url.Parse(dbURL)
	pass, _ := du.User.Password()
	db, err := sql.Open("mysql", config.MySQLDSN(du.User.Username(), pass, du.Host, strings.Trim(du.Path, "/")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored int
	db.QueryRow(`SELECT COUNT(*) FROM webhook_events w JOIN tenants t ON t.id = w.tenant_id WHERE t.client_key = 'jira:calm'`).Scan(&stored)
	if stored != 200 {
		t.Errorf("%d of calm's 200 webhooks stored", stored)
	}
	if code, res := post(floodAuth, longID, webhookBody("SHOP-1", 1)); code != http.StatusNoContent || res != "duplicate" {
		t.Errorf("Jira's retry of the over-long delivery: %d %q, want 204 duplicate", code, res)
	}
}
