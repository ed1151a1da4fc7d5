package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDraftEditsOverHTTP: PUT /api/drafts/:id is a partial update (the
// parent epic survives an edit of the title), a bad parent is refused
// with its reason, drafts can be discarded and restored, and split/apply
// names a bad "original" choice.
func TestDraftEditsOverHTTP(t *testing.T) {
	e := startGenEnv(t, nil)
	if c := e.api("POST", "/api/projects/SHOP/activate", nil, nil); c != http.StatusAccepted {
		t.Fatalf("activate: %d", c)
	}
	e.waitScan(60 * time.Second)
	epic := anEpic(e)
	// refused calls a request and wants a 400 whose message has want.
	refused := func(method, path string, body any, want string) {
		t.Helper()
		c, raw := e.apiAs("557058:pm", method, path, body)
		if c != http.StatusBadRequest || !strings.Contains(string(raw), want) {
			t.Errorf("%s %s: %d %s, want 400 naming %q", method, path, c, raw, want)
		}
	}
	refused("POST", "/api/projects/SHOP/generate", map[string]any{"objective": "Faster checkout", "count": 1, "parentEpic": "SHOP-99999"}, "SHOP-99999 does not exist")
	v := e.generateRun(map[string]any{"objective": "Let merchants export orders and email invoices", "persona": "store owner", "metrics": "orders exported per week from 0 to 500", "count": 2, "parentEpic": epic})
	d := v.Drafts[0]
	var edited struct {
		Title      string   `json:"title"`
		ParentEpic string   `json:"parentEpic"`
		Criteria   []string `json:"acceptanceCriteria"`
	}
	if c := e.api("PUT", fmt.Sprintf("/api/drafts/%d", d.ID), map[string]string{"title": "Export orders as CSV"}, &edited); c != 200 ||
		edited.Title != "Export orders as CSV" || edited.ParentEpic != epic || len(edited.Criteria) != len(d.AcceptanceCriteria) {
		t.Fatalf("partial edit: %d %+v (parent was %s)", c, edited, epic)
	}
	refused("PUT", fmt.Sprintf("/api/drafts/%d", d.ID), map[string]any{"nfrs": "fast"}, "nfrs")
	refused("PUT", fmt.Sprintf("/api/drafts/%d", d.ID), map[string]any{"parentEpic": "SHOP-3"}, "not an epic")
	var ids struct {
		IDs []int64 `json:"ids"`
	}
	if c := e.api("POST", "/api/projects/SHOP/drafts/discard", map[string]any{"ids": []int64{d.ID}}, &ids); c != 200 || len(ids.IDs) != 1 {
		t.Fatalf("discard: %d %+v", c, ids)
	}
	var list struct {
		Drafts []struct {
			ID int64 `json:"id"`
		} `json:"drafts"`
	}
	e.api("GET", "/api/projects/SHOP/drafts", nil, &list)
	if len(list.Drafts) != 1 {
		t.Errorf("%d drafts listed after discarding 1 of 2", len(list.Drafts))
	}
	if c := e.api("POST", "/api/projects/SHOP/drafts/restore", map[string]any{"ids": []int64{d.ID}}, &ids); c != 200 || len(ids.IDs) != 1 {
		t.Errorf("restore: %d %+v", c, ids)
	}
	e.api("GET", "/api/projects/SHOP/drafts", nil, &list)
	if len(list.Drafts) != 2 {
		t.Errorf("%d drafts listed after the undo", len(list.Drafts))
	}
	body := map[string]any{"stories": []map[string]string{{"summary": "One"}, {"summary": "Two"}}, "original": "delete"}
	refused("POST", "/api/issues/SHOP-3/split/apply", body, "original must be keep or close")
}
