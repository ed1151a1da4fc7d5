package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAcceptanceCriteriaCap is issue 11's finding 9a: a draft edit with
// 20,000 acceptance criteria, and a split whose story description holds
// too many, get a 400 that names the field instead of being stored or
// written to Jira.
func TestAcceptanceCriteriaCap(t *testing.T) {
	e := startEnv(t, envOptions{})
	activate(t, e)
	draft, _ := e.someDraft(t)
	send := func(method, path string, body any) (int, string) {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, e.app+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "JWT "+e.contextToken("SHOP", "SHOP-1"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	crit := make([]string, 20000)
	for i := range crit {
		crit[i] = fmt.Sprintf("c%d", i)
	}
	code, body := send("PUT", "/api/drafts/"+draft, map[string]any{"title": "Pay by card", "acceptanceCriteria": crit})
	if code != http.StatusBadRequest || !strings.Contains(body, "acceptanceCriteria") || len(body) > 2000 {
		t.Errorf("draft with 20,000 criteria: %d %.300s", code, body)
	}
	code, body = send("PUT", "/api/drafts/"+draft, map[string]any{"title": "Pay by card", "acceptanceCriteria": []string{strings.Repeat("x", 1001)}})
	if code != http.StatusBadRequest || !strings.Contains(body, "acceptanceCriteria[0]") {
		t.Errorf("draft with a 1,001-character criterion: %d %.300s", code, body)
	}
	if code, body = send("PUT", "/api/drafts/"+draft, map[string]any{"title": "Pay by card", "acceptanceCriteria": crit[:3]}); code != http.StatusOK {
		t.Errorf("draft with 3 criteria: %d %.300s", code, body)
	}
	var b strings.Builder
	b.WriteString("As a shopper I want to pay by card so that I can check out.\n\nAcceptance criteria:\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "- the card %d is charged once\n", i)
	}
	before := e.emu.IssueCount("SHOP")
	split := map[string]any{"stories": []map[string]string{{"summary": "Pay by card", "description": "As a shopper I want to pay by card."}, {"summary": "Refund a card payment", "description": b.String()}}}
	code, body = send("POST", "/api/issues/SHOP-1/split/apply", split)
	if code != http.StatusBadRequest || !strings.Contains(body, "stories[1].description") {
		t.Errorf("split with 40 criteria in a story: %d %.300s", code, body)
	}
	if n := e.emu.IssueCount("SHOP"); n != before {
		t.Errorf("a refused split created %d issues", n-before)
	}
}
