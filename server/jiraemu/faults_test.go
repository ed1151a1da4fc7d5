package jiraemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestThrottleRule(t *testing.T) {
	s := newSite(t, Options{})
	s.emu.SetFaults(Faults{Throttle: []ThrottleRule{{Endpoint: "POST /rest/api/3/search/jql", Count: 2, RetryAfter: 7, Reason: ReasonBurst}}})
	body := map[string]any{"jql": "project = SHOP"}
	for i := 0; i < 2; i++ {
		st, h, b := s.do("POST", "/rest/api/3/search/jql", body)
		if st != 429 {
			t.Fatalf("call %d: %d, want 429", i, st)
		}
		if h.Get("Retry-After") != "7" || h.Get("RateLimit-Reason") != ReasonBurst {
			t.Errorf("headers: Retry-After %q RateLimit-Reason %q", h.Get("Retry-After"), h.Get("RateLimit-Reason"))
		}
		var eb errBody
		if json.Unmarshal(b, &eb) != nil || len(eb.ErrorMessages) == 0 {
			t.Errorf("429 body %s", b)
		}
	}
	s.must(200, "POST", "/rest/api/3/search/jql", body, nil)
	// Other endpoints were never throttled.
	s.must(200, "GET", "/rest/api/3/field", nil, nil)
	st := s.emu.Stats()
	if got := st.ByEndpoint["POST /rest/api/3/search/jql"].ByStatus[429]; got != 2 {
		t.Errorf("stats 429 = %d", got)
	}
	if got := st.Requests("/rest/api/3/search/jql"); got != 3 {
		t.Errorf("stats requests = %d, want 3", got)
	}
}

func TestProbabilisticThrottleIsSeeded(t *testing.T) {
	run := func() string {
		s := newSite(t, Options{Seed: 42})
		s.emu.SetFaults(Faults{Throttle: []ThrottleRule{{Probability: 0.3}}})
		var b strings.Builder
		for i := 0; i < 40; i++ {
			st, _, _ := s.do("GET", "/rest/api/3/issueLinkType", nil)
			b.WriteString(strconv.Itoa(st / 100))
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	n := strings.Count(a, "4")
	if n < 4 || n > 24 {
		t.Errorf("%d of 40 throttled at p=0.3", n)
	}
}

func TestQuotaExhausted(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s := newSite(t, Options{Now: clock.Now})
	until := clock.Now().Add(90 * time.Second)
	s.emu.SetFaults(Faults{QuotaExhaustedUntil: until, QuotaReason: ReasonTenantQuota})
	st, h, _ := s.do("GET", "/rest/api/3/issue/SHOP-1", nil)
	if st != 429 || h.Get("RateLimit-Reason") != ReasonTenantQuota || h.Get("Retry-After") != "90" {
		t.Fatalf("quota: %d reason %q retry %q", st, h.Get("RateLimit-Reason"), h.Get("Retry-After"))
	}
	reset, err := time.Parse(time.RFC3339, h.Get("X-RateLimit-Reset"))
	if err != nil || !reset.Equal(until.Truncate(time.Second)) {
		t.Errorf("X-RateLimit-Reset %q (%v)", h.Get("X-RateLimit-Reset"), err)
	}
	clock.Add(91 * time.Second)
	s.must(200, "GET", "/rest/api/3/issue/SHOP-1", nil, nil)
}

func TestHourlyPointsQuota(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s := newSite(t, Options{Now: clock.Now})
	s.emu.SetFaults(Faults{HourlyPoints: 30})
	// A search returning 20 issues costs 1 + 20.
	st, h, _ := s.do("POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = SHOP", "maxResults": 20})
	if st != 200 || h.Get("X-RateLimit-Limit") != "30" || h.Get("X-RateLimit-Remaining") != "29" || h.Get("X-RateLimit-NearLimit") != "" {
		t.Fatalf("first call: %d limit %q remaining %q near %q", st, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-NearLimit"))
	}
	// 21 used; a single issue costs 1 + 1.
	_, h, _ = s.do("GET", "/rest/api/3/issue/SHOP-1", nil)
	if h.Get("X-RateLimit-Remaining") != "8" || h.Get("X-RateLimit-NearLimit") != "" {
		t.Errorf("second call: remaining %q near %q", h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-NearLimit"))
	}
	// 23 used; writes cost 1 each. Below 20 % (6 points) NearLimit is set.
	s.do("PUT", "/rest/api/3/issue/SHOP-1/properties/p", map[string]int{"i": 1})
	_, h, _ = s.do("PUT", "/rest/api/3/issue/SHOP-1/properties/p", map[string]int{"i": 2})
	if h.Get("X-RateLimit-Remaining") != "5" || h.Get("X-RateLimit-NearLimit") != "true" {
		t.Errorf("near the limit: remaining %q near %q", h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-NearLimit"))
	}
	for i := 0; i < 5; i++ {
		s.must(200, "PUT", "/rest/api/3/issue/SHOP-1/properties/p", map[string]int{"i": i + 3}, nil)
	}
	st, h, _ = s.do("GET", "/rest/api/3/issueLinkType", nil)
	if st != 429 || h.Get("RateLimit-Reason") != ReasonGlobalQuota || h.Get("X-RateLimit-Reset") == "" {
		t.Errorf("exhausted: %d %q %q", st, h.Get("RateLimit-Reason"), h.Get("X-RateLimit-Reset"))
	}
	clock.Add(time.Hour)
	s.must(200, "GET", "/rest/api/3/issueLinkType", nil, nil)
}

func TestBurstBuckets(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s := newSite(t, Options{Now: clock.Now})
	s.emu.SetFaults(Faults{Burst: true, BurstReadRPS: 10, BurstWriteRPS: 5})
	count := func(method, path string, body any, n int) (ok, throttled int, reason string) {
		for i := 0; i < n; i++ {
			st, h, _ := s.do(method, path, body)
			switch st {
			case 200, 201, 204:
				ok++
			case 429:
				throttled++
				reason = h.Get("RateLimit-Reason")
			}
		}
		return
	}
	if ok, th, reason := count("GET", "/rest/api/3/field", nil, 15); ok != 10 || th != 5 || reason != ReasonBurst {
		t.Errorf("reads: ok %d throttled %d reason %q", ok, th, reason)
	}
	if ok, th, _ := count("PUT", "/rest/api/3/issue/SHOP-1/properties/x", map[string]int{"a": 1}, 8); ok != 5 || th != 3 {
		t.Errorf("writes: ok %d throttled %d", ok, th)
	}
	// Buckets are per endpoint.
	if ok, _, _ := count("GET", "/rest/api/3/issueLinkType", nil, 3); ok != 3 {
		t.Errorf("another endpoint shares the bucket")
	}
	clock.Add(time.Second)
	if ok, _, _ := count("GET", "/rest/api/3/field", nil, 10); ok != 10 {
		t.Errorf("bucket did not refill")
	}
}

func TestPerIssueWriteLimit(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s := newSite(t, Options{Now: clock.Now})
	s.emu.SetFaults(Faults{PerIssueWrites: true})
	for i := 0; i < 20; i++ {
		s.must(204, "PUT", "/rest/api/3/issue/SHOP-2", map[string]any{"fields": map[string]any{"summary": "v" + strconv.Itoa(i)}}, nil)
	}
	st, h, _ := s.do("PUT", "/rest/api/3/issue/SHOP-2", map[string]any{"fields": map[string]any{"summary": "one more"}})
	if st != 429 || h.Get("RateLimit-Reason") != ReasonPerIssue {
		t.Fatalf("21st write in 2 s: %d %q", st, h.Get("RateLimit-Reason"))
	}
	// Other issues and reads are unaffected.
	s.must(204, "PUT", "/rest/api/3/issue/SHOP-3", map[string]any{"fields": map[string]any{"summary": "x"}}, nil)
	s.must(200, "GET", "/rest/api/3/issue/SHOP-2", nil, nil)
	clock.Add(2 * time.Second)
	s.must(204, "PUT", "/rest/api/3/issue/SHOP-2", map[string]any{"fields": map[string]any{"summary": "later"}}, nil)
}

func TestServerErrorsAndSlowResponses(t *testing.T) {
	s := newSite(t, Options{})
	s.emu.SetFaults(Faults{
		Errors: []ErrorRule{{Endpoint: "/rest/api/3/issue/{issueIdOrKey}", Status: 502, Count: 1}},
		Slow:   []SlowRule{{Endpoint: "GET /rest/api/3/field", Delay: 80 * time.Millisecond, Count: 1}},
	})
	st, _, b := s.do("GET", "/rest/api/3/issue/SHOP-1", nil)
	if st != 502 || !strings.Contains(string(b), "errorMessages") {
		t.Errorf("injected 5xx: %d %s", st, b)
	}
	s.must(200, "GET", "/rest/api/3/issue/SHOP-1", nil, nil)
	start := time.Now()
	s.must(200, "GET", "/rest/api/3/field", nil, nil)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("slow rule delayed only %v", d)
	}
}

func TestAdminAPI(t *testing.T) {
	s := newSite(t, Options{})
	put, _ := http.NewRequest("PUT", s.srv.URL+"/_emulator/faults",
		strings.NewReader(`{"throttle":[{"endpoint":"/rest/api/3/field","count":1,"retryAfter":3}],"slow":[{"endpoint":"x","delay":"250ms"}]}`))
	st, _, b := s.send(put)
	if st != 200 {
		t.Fatalf("PUT faults: %d %s", st, b)
	}
	if f := s.emu.Faults(); len(f.Slow) != 1 || f.Slow[0].Delay != 250*time.Millisecond {
		t.Errorf("faults after PUT: %+v", f)
	}
	if st, h, _ := s.do("GET", "/rest/api/3/field", nil); st != 429 || h.Get("Retry-After") != "3" {
		t.Errorf("after admin PUT: %d", st)
	}
	get, _ := http.NewRequest("GET", s.srv.URL+"/_emulator/stats", nil)
	_, _, b = s.send(get)
	var stats Stats
	if err := json.Unmarshal(b, &stats); err != nil || stats.ByEndpoint["GET /rest/api/3/field"].ByStatus[429] != 1 {
		t.Errorf("stats over HTTP: %s", b)
	}
	del, _ := http.NewRequest("DELETE", s.srv.URL+"/_emulator/stats", nil)
	s.send(del)
	if s.emu.Stats().Total != 0 {
		t.Error("stats not reset")
	}
	bad, _ := http.NewRequest("PUT", s.srv.URL+"/_emulator/faults", strings.NewReader(`{"nonsense":1}`))
	if st, _, _ := s.send(bad); st != 400 {
		t.Errorf("unknown fault key: %d", st)
	}
}
