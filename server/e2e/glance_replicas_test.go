package e2e_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestGlanceFollowsOtherReplica: replica B serves a glance from memory;
// a change saved through replica A (an override reason, which leaves score
// and class as they were) shows on B's glance within about a second,
// B's data version check interval.
func TestGlanceFollowsOtherReplica(t *testing.T) {
	c := startCluster(t, 2)
	activate(t, &c.env)
	key := c.goodStory()
	a, b := c.env, c.env
	a.app, b.app = c.apps[0].URL, c.apps[1].URL
	glanceOnB := func() string {
		t.Helper()
		signed, err := c.emu.SignedIframeURL("/glance", url.Values{"issueKey": {key}, "projectKey": {"SHOP"}}, "557058:pm")
		if err != nil {
			t.Fatal(err)
		}
		// The qsh covers path and query, not the host: the same signed
		// request goes to replica B directly.
		u, _ := url.Parse(signed)
		ub, _ := url.Parse(b.app)
		u.Scheme, u.Host = ub.Scheme, ub.Host
		resp, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("glance on B: %d %s", resp.StatusCode, raw)
		}
		return string(raw)
	}
	for _, reason := range []string{"reason set on replica A, first", "reason set on replica A, second"} {
		glanceOnB()
		glanceOnB() // cached on B, served from memory
		if code := a.api("PUT", "/api/issues/"+key+"/override", map[string]string{"moscow": "Must", "reason": reason}, nil); code != 200 {
			t.Fatalf("override on A: %d", code)
		}
		saved := time.Now()
		for !strings.Contains(glanceOnB(), reason) {
			if time.Since(saved) > 5*time.Second {
				t.Fatalf("replica B's glance does not show %q 5 s after A saved it", reason)
			}
			time.Sleep(20 * time.Millisecond)
		}
		lag := time.Since(saved)
		t.Logf("replica B showed A's change after %v", lag)
		// One second of version check, plus room for a loaded machine.
		if lag > 2500*time.Millisecond {
			t.Errorf("replica B showed A's change after %v, want about 1 s", lag)
		}
	}
}
