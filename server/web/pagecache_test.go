package web_test

import (
	"net/http/httptest"
	"testing"
	"time"
)

// TestGlanceServedFromMemory: once rendered, a signed glance is served
// without any database read (verified token, tenant and page from
// memory) for as long as nothing of the tenant changed: here the
// database is closed under it and the page still comes back, the same.
func TestGlanceServedFromMemory(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	u.seedAnalysed(demoIssues(now), now)
	const target = "/glance?issueKey=SHOP-2&projectKey=SHOP"
	first := u.page(target)
	if first.Code != 200 {
		t.Fatalf("glance: %d %s", first.Code, first.Body)
	}
	if w := u.page(target); w.Code != 200 || w.Body.String() != first.Body.String() {
		t.Fatalf("second glance: %d", w.Code)
	}
	if err := u.st.Close(); err != nil {
		t.Fatal(err)
	}
	w := u.page(target)
	if w.Code != 200 || w.Body.String() != first.Body.String() {
		t.Fatalf("glance with the database closed: %d (the hot path read the database)", w.Code)
	}
	// Another issue's glance is not in memory: it needs the database.
	if w := u.page("/glance?issueKey=SHOP-3&projectKey=SHOP"); w.Code == 200 {
		t.Error("an uncached glance was served with the database closed")
	}
}

// BenchmarkGlanceCached: the server side of a cached glance load (token
// verification, tenant, page), without HTTP transport.
func BenchmarkGlanceCached(b *testing.B) {
	now := time.Now().UTC()
	u := newUIEnv(b, false)
	u.activate("SHOP")
	u.seedAnalysed(demoIssues(now), now)
	const target = "/glance?issueKey=SHOP-2&projectKey=SHOP"
	tok := hsTokenTB(b, uiSecret, "GET", target, "")
	req := httptest.NewRequest("GET", target+"&jwt="+tok, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		u.h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
