package connect

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// atlassianJWTVersion is the npm version spec cross-checked; the install is
// cached under os.TempDir()/backlogai-atlassian-jwt/<version>.
const atlassianJWTVersion = "2"

// atlassianJWT returns a node_modules folder holding atlassian-jwt, and the
// node binary. Without node or npm the test skips, or fails when CI=true.
func atlassianJWT(t *testing.T) (nodeModules, node string) {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		msg := "the atlassian-jwt cross-check needs node and npm on PATH (install Node.js 18+)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := filepath.Join(os.TempDir(), "backlogai-atlassian-jwt", atlassianJWTVersion)
	nodeModules = filepath.Join(dir, "node_modules")
	marker := filepath.Join(nodeModules, "atlassian-jwt", "package.json")
	if _, err := os.Stat(marker); err == nil {
		return nodeModules, node
	}

	// Install into a fresh folder, then move it into place, so that an
	// interrupted or concurrent run never leaves a half-installed cache.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"private": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "atlassian-jwt@"+atlassianJWTVersion)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install atlassian-jwt@%s failed (is the npm registry reachable?): %v\n%s", atlassianJWTVersion, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(marker); statErr != nil { // not a concurrent winner
			t.Fatalf("caching the npm install: %v", err)
		}
	}
	return nodeModules, node
}

type xShape struct {
	Method  string `json:"method"`
	URL     string `json:"url"`
	BaseURL string `json:"baseUrl"`
}

type xJob struct {
	QSH    []xShape `json:"qsh"`
	Decode []struct {
		Token  string `json:"token"`
		Secret string `json:"secret"`
		xShape
	} `json:"decode"`
	Sign []struct {
		Claims map[string]any `json:"claims"`
		Secret string         `json:"secret"`
		xShape
	} `json:"sign"`
	RS256 []struct {
		Claims     map[string]any `json:"claims"`
		PrivateKey string         `json:"privateKey"`
		Kid        string         `json:"kid"`
		xShape
	} `json:"rs256"`
}

type xAnswer struct {
	Version string `json:"version"`
	QSH     []struct {
		Canonical string `json:"canonical"`
		Hash      string `json:"hash"`
	} `json:"qsh"`
	Decode []struct {
		OK     bool           `json:"ok"`
		Error  string         `json:"error"`
		Claims map[string]any `json:"claims"`
		QSH    string         `json:"qsh"`
	} `json:"decode"`
	Sign []struct {
		Token string `json:"token"`
	} `json:"sign"`
	RS256 []struct {
		Token string `json:"token"`
	} `json:"rs256"`
}

func runXCheck(t *testing.T, nodeModules, node string, job *xJob) *xAnswer {
	t.Helper()
	in, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "xcheck.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules, "NODE_NO_WARNINGS=1")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/xcheck.js: %v\n%s", err, stderr.String())
	}
	var ans xAnswer
	if err := json.Unmarshal(out, &ans); err != nil {
		t.Fatalf("xcheck.js answer: %v\n%s", err, out)
	}
	t.Logf("atlassian-jwt %s", ans.Version)
	return &ans
}

// goCanonical is our canonical request for a shape.
func goCanonical(t *testing.T, s xShape) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	prefix, err := BasePath(s.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := CanonicalRequest(s.Method, u.EscapedPath(), u.RawQuery, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// qshShapes are request shapes on which Jira's rules and atlassian-jwt
// agree. (They differ where atlassian-jwt sorts parameter names before
// encoding them and Jira after, e.g. "a~" and "aé", and on base paths
// without a "/" boundary; we follow Jira.)
func qshShapes() []xShape {
	site, app := "https://x.atlassian.net", "https://app.example.com/backlogai"
	return []xShape{
		{"GET", site + "/path", site},
		{"GET", site + "/", site},
		{"GET", site, site},
		{"POST", app + "/installed", app},
		{"get", site + "/rest/api/3/myself", site},
		{"GET", site + "/jira/rest/api/3/search/jql?jql=project%20%3D%20KAN%20ORDER%20BY%20rank&maxResults=50&startAt=0", site + "/jira"},
		{"GET", site + "/jira/rest/api/3/search?jql=a", site + "/jira/"},
		{"GET", site + "/rest/api/3/issue/KAN-1?expand=renderedFields&expand=changelog&fields=summary&fields=status", site},
		{"GET", site + "/q?q=a+b&r=a%2Bb&s=a%20b", site},
		{"GET", site + "/q?a=*&b=!'()~&c=%E2%82%AC&d=%2F%3F%23%5B%5D%40", site},
		{"GET", site + "/q?a=&b=1&c", site},
		{"GET", site + "/q?jwt=abc.def.ghi&z=1", site},
		{"POST", site + "/a&b?x=y", site},
		{"GET", site + "/path/?a=1", site},
		{"GET", site + "/q?v=%EF%BC%A1&v=%F0%9F%98%80&v=z", site},
		{"GET", site + "/rest/api/3/a%2Fb/c", site},
		{"GET", site + "/q?b=1&B=2&a=3&A=4", site},
		{"GET", site + "/q?a%20b=1&a-b=2&a_b=3", site},
		{"GET", site + "/p%C3%A9?x=%C3%A9", site},
		{"GET", site + "/q?a=b=c", site},
		{"DELETE", site + "/rest/api/3/issue/KAN-1/properties/backlogai.score", site},
		{"PUT", app + "/webhooks/issue-updated?issueKey=KAN-7&projectKey=KAN&user_id=a%3Ab", app},
	}
}

func TestAtlassianJWTCrossCheck(t *testing.T) {
	nodeModules, node := atlassianJWT(t)
	shapes := qshShapes()
	job := &xJob{QSH: shapes}

	// (b) tokens we sign, for atlassian-jwt to verify.
	outgoing := shapes[5:9]
	for _, s := range outgoing {
		u, _ := url.Parse(s.URL)
		prefix, _ := BasePath(s.BaseURL)
		tok, err := OutgoingToken(appKey, jiraSecret, strings.ToUpper(s.Method), u, prefix, testNow)
		if err != nil {
			t.Fatal(err)
		}
		job.Decode = append(job.Decode, struct {
			Token  string `json:"token"`
			Secret string `json:"secret"`
			xShape
		}{tok, jiraSecret, s})
	}
	// The same token with a wrong secret must fail there too.
	wrong := job.Decode[0]
	wrong.Secret = otherSecret
	job.Decode = append(job.Decode, wrong)

	// (c) tokens atlassian-jwt signs, for us to verify: Jira-style iframe
	// and webhook tokens for the app.
	incoming := []xShape{
		{"GET", appBase + "/glance?issueKey=KAN-1&projectKey=KAN&xdm_e=https%3A%2F%2Facme.atlassian.net&cp=&lic=none", appBase},
		{"POST", appBase + "/webhooks/issue-updated?issueKey=KAN-7&user_id=a%3Ab&tags=x&tags=a", appBase},
	}
	for _, s := range incoming {
		job.Sign = append(job.Sign, struct {
			Claims map[string]any `json:"claims"`
			Secret string         `json:"secret"`
			xShape
		}{map[string]any{
			"iss": acmeKey, "sub": "557058:f00d-user", "iat": testNow.Unix(), "exp": testNow.Add(15 * time.Minute).Unix(),
			"context": map[string]any{"jira": map[string]any{"issue": map[string]any{"key": "KAN-1"}}},
		}, acmeSecret, s})
	}
	// And a signed install, RS256 with a kid.
	priv := rsaKeys()[0]
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	job.RS256 = append(job.RS256, struct {
		Claims     map[string]any `json:"claims"`
		PrivateKey string         `json:"privateKey"`
		Kid        string         `json:"kid"`
		xShape
	}{map[string]any{
		"iss": acmeKey, "aud": appBase, "iat": testNow.Unix(), "exp": testNow.Add(3 * time.Minute).Unix(),
	}, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), goodKid, xShape{"POST", appBase + "/installed", appBase}})

	ans := runXCheck(t, nodeModules, node, job)

	t.Run("qsh", func(t *testing.T) {
		if len(ans.QSH) != len(shapes) {
			t.Fatalf("%d answers for %d shapes", len(ans.QSH), len(shapes))
		}
		for i, s := range shapes {
			if got := goCanonical(t, s); got != ans.QSH[i].Canonical {
				t.Errorf("%s %s (base %s):\n  go  %q\n  npm %q", s.Method, s.URL, s.BaseURL, got, ans.QSH[i].Canonical)
			}
			if got := HashCanonical(goCanonical(t, s)); got != ans.QSH[i].Hash {
				t.Errorf("%s %s: qsh %s, atlassian-jwt %s", s.Method, s.URL, got, ans.QSH[i].Hash)
			}
		}
	})

	t.Run("they verify our tokens", func(t *testing.T) {
		for i, d := range ans.Decode[:len(outgoing)] {
			if !d.OK {
				t.Errorf("token %d refused: %s", i, d.Error)
				continue
			}
			if d.Claims["iss"] != appKey || d.Claims["qsh"] != d.QSH {
				t.Errorf("token %d: claims %v, their qsh %s", i, d.Claims, d.QSH)
			}
			iat, _ := d.Claims["iat"].(float64)
			exp, _ := d.Claims["exp"].(float64)
			if exp-iat != OutgoingTTL.Seconds() {
				t.Errorf("token %d: lifetime %v s", i, exp-iat)
			}
		}
		if last := ans.Decode[len(ans.Decode)-1]; last.OK || !strings.Contains(last.Error, "Signature verification failed") {
			t.Errorf("token with the wrong secret: ok=%v error=%q", last.OK, last.Error)
		}
	})

	t.Run("we verify theirs", func(t *testing.T) {
		a := &JWTAuthenticator{Tenants: testTenants(), BasePath: "/backlogai", Now: clock}
		for i, s := range incoming {
			tok := ans.Sign[i].Token
			r := httptest.NewRequest(s.Method, s.URL+"&jwt="+tok, strings.NewReader("{}"))
			id, err := a.Authenticate(context.Background(), r, QSHCanonical)
			if err != nil {
				t.Errorf("%s %s: %v", s.Method, s.URL, err)
				continue
			}
			if id.AccountID != "557058:f00d-user" || string(id.Context) != `{"jira":{"issue":{"key":"KAN-1"}}}` {
				t.Errorf("identity %+v context %s", id, id.Context)
			}
			// Tampering with the query must break it.
			r = httptest.NewRequest(s.Method, s.URL+"&extra=1&jwt="+tok, nil)
			if _, err := a.Authenticate(context.Background(), r, QSHCanonical); reason(t, err) != reasonWrongQSH {
				t.Errorf("tampered %s: %v", s.URL, err)
			}
		}
	})

	t.Run("we verify their signed install", func(t *testing.T) {
		ks := newKeyServer(t)
		ks.set(goodKid, publicPEM(t, &priv.PublicKey))
		c, err := newVerifier(ks).Verify(context.Background(), installRequest(installed, ans.RS256[0].Token), acmeKey, acmeSite)
		if err != nil {
			t.Fatal(err)
		}
		want := jwt.ClaimStrings{appBase}
		if d := cmp.Diff(want, c.Audience); d != "" || c.Issuer != acmeKey {
			t.Errorf("claims %+v (aud -want +got %s)", c, d)
		}
	})
}
