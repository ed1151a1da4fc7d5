package netguard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	strict := Policy{}
	for _, bad := range []string{
		"http://api.openai.com/v1", "ftp://x", "https://localhost/v1", "https://127.0.0.1/", "https://10.0.0.5/",
		"https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[fd00::1]/", "https://192.168.1.1",
		"https://user:pw@api.example.com/", "https://0.0.0.0/", "https://100.64.1.1/", "https://[::ffff:127.0.0.1]/",
		"https://metadata.google.internal/", "https://printer.local/", "not a url", "https:///nohost",
	} {
		if err := strict.CheckURL(bad); !errors.Is(err, ErrBlocked) {
			t.Errorf("%s allowed: %v", bad, err)
		}
	}
	for _, good := range []string{"https://api.openai.com/v1", "https://serpapi.com", "https://8.8.8.8/", "https://llm.example.com:8443/v1"} {
		if err := strict.CheckURL(good); err != nil {
			t.Errorf("%s refused: %v", good, err)
		}
	}
	dev := Policy{AllowPrivate: true, AllowHTTP: true}
	if err := dev.CheckURL("http://127.0.0.1:11434/v1"); err != nil {
		t.Errorf("dev policy refused a local LLM: %v", err)
	}
}

// TestDialRefusesPrivateAddresses: even a URL that passed the check (or a
// hostname resolving to a private address) is refused at connect time.
func TestDialRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("internal")) }))
	defer srv.Close()
	_, err := Policy{AllowHTTP: true}.Client(5 * time.Second).Get(srv.URL)
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("loopback server reached: %v", err)
	}
	resp, err := Policy{AllowHTTP: true, AllowPrivate: true}.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatalf("dev policy: %v", err)
	}
	resp.Body.Close()
}

// TestRedirectToPrivateRefused: a public endpoint cannot bounce us inward.
func TestRedirectToPrivateRefused(t *testing.T) {
	p := Policy{AllowHTTP: true, AllowPrivate: true}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
	}))
	defer redirector.Close()
	c := p.Client(5 * time.Second)
	strictRedirects := Policy{AllowHTTP: true}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error { return strictRedirects.CheckURL(req.URL.String()) }
	if _, err := c.Get(redirector.URL); !errors.Is(err, ErrBlocked) {
		t.Fatalf("redirect to the metadata address followed: %v", err)
	}
}
