package jiraemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestRankMovesIssuesAndOrderByRank(t *testing.T) {
	s := newSite(t, Options{})
	before := s.emu.RankOrder("SHOP")
	if len(before) < 10 || before[0] != "SHOP-1" {
		t.Fatalf("default rank order starts %v, want creation order", before[:3])
	}
	// SHOP-9 and SHOP-5, in that order, before SHOP-2.
	s.must(http.StatusNoContent, "PUT", "/rest/agile/1.0/issue/rank",
		map[string]any{"issues": []string{"SHOP-9", "SHOP-5"}, "rankBeforeIssue": "SHOP-2", "rankCustomFieldId": 10019}, nil)
	got := s.emu.RankOrder("SHOP")[:5]
	if want := []string{"SHOP-1", "SHOP-9", "SHOP-5", "SHOP-2", "SHOP-3"}; !slices.Equal(got, want) {
		t.Fatalf("after rank before: %v, want %v", got, want)
	}
	s.must(http.StatusNoContent, "PUT", "/rest/agile/1.0/issue/rank",
		map[string]any{"issues": []string{"SHOP-1"}, "rankAfterIssue": "SHOP-5"}, nil)
	want := []string{"SHOP-9", "SHOP-5", "SHOP-1", "SHOP-2", "SHOP-3"}
	if got := s.emu.RankOrder("SHOP")[:5]; !slices.Equal(got, want) {
		t.Fatalf("after rank after: %v, want %v", got, want)
	}
	// JQL ORDER BY Rank agrees, in both directions, and the field renders
	// strings whose order is the rank order.
	keys, _ := s.searchAll("project = SHOP ORDER BY Rank ASC", 100, []string{"customfield_10019"})
	if !slices.Equal(keys[:5], want) {
		t.Errorf("ORDER BY Rank: %v, want %v", keys[:5], want)
	}
	desc, _ := s.searchAll("project = SHOP ORDER BY rank DESC", 100, []string{"key"})
	if desc[len(desc)-1] != "SHOP-9" {
		t.Errorf("ORDER BY rank DESC ends with %s, want SHOP-9", desc[len(desc)-1])
	}
	var p searchPage
	s.must(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "key in (SHOP-9, SHOP-5, SHOP-1) ORDER BY Rank", "fields": []string{"customfield_10019"}}, &p)
	var ranks []string
	for _, is := range p.Issues {
		var r string
		_ = json.Unmarshal(is.Fields["customfield_10019"], &r)
		ranks = append(ranks, r)
	}
	if len(ranks) != 3 || !slices.IsSorted(ranks) || !strings.HasPrefix(ranks[0], "0|i") {
		t.Errorf("rank field values %v are not sorted LexoRank-like strings", ranks)
	}
	// The admin view of open issues agrees with JQL.
	resp, err := http.Get(s.srv.URL + "/_emulator/rank/SHOP?open=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var adm struct{ Keys []string }
	if err := json.NewDecoder(resp.Body).Decode(&adm); err != nil {
		t.Fatal(err)
	}
	open, _ := s.searchAll("project = SHOP AND statusCategory != Done ORDER BY Rank", 100, []string{"key"})
	if !slices.Equal(adm.Keys, open) {
		t.Errorf("admin open order (%d keys) differs from JQL's (%d)", len(adm.Keys), len(open))
	}
}

func TestRankRejectsBadRequests(t *testing.T) {
	s := newSite(t, Options{})
	many := make([]string, 51)
	for i := range many {
		many[i] = "SHOP-" + string(rune('1'+i%9))
	}
	cases := []struct {
		name string
		body map[string]any
		want int
		msg  string
	}{
		{"no issues", map[string]any{"rankBeforeIssue": "SHOP-1"}, 400, "issues"},
		{"over 50", map[string]any{"issues": many, "rankBeforeIssue": "SHOP-1"}, 400, "at most 50"},
		{"no anchor", map[string]any{"issues": []string{"SHOP-2"}}, 400, "rankBeforeIssue"},
		{"two anchors", map[string]any{"issues": []string{"SHOP-2"}, "rankBeforeIssue": "SHOP-1", "rankAfterIssue": "SHOP-3"}, 400, "rankBeforeIssue"},
		{"unknown anchor", map[string]any{"issues": []string{"SHOP-2"}, "rankBeforeIssue": "SHOP-99999"}, 400, "SHOP-99999"},
		{"wrong field", map[string]any{"issues": []string{"SHOP-2"}, "rankBeforeIssue": "SHOP-1", "rankCustomFieldId": 10016}, 400, "rankCustomFieldId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := s.do("PUT", "/rest/agile/1.0/issue/rank", tc.body)
			if code != tc.want || !strings.Contains(string(body), tc.msg) {
				t.Errorf("status %d body %s, want %d naming %q", code, body, tc.want, tc.msg)
			}
		})
	}
	// A partly failing call ranks what it can and answers 207 per issue.
	var out struct {
		Entries []rankEntry `json:"entries"`
	}
	s.must(http.StatusMultiStatus, "PUT", "/rest/agile/1.0/issue/rank",
		map[string]any{"issues": []string{"SHOP-7", "SHOP-99999"}, "rankBeforeIssue": "SHOP-1"}, &out)
	if len(out.Entries) != 2 || out.Entries[0].Status != 204 || out.Entries[1].Status != 404 {
		t.Errorf("207 entries %+v", out.Entries)
	}
	if s.emu.RankOrder("SHOP")[0] != "SHOP-7" {
		t.Error("the valid issue of a 207 call was not ranked")
	}
}

func TestRankAsUserNeedsSchedulePermission(t *testing.T) {
	s := newSite(t, Options{})
	tok := s.emu.issueUserToken(s.emu.st.user(lead), []string{"READ", "WRITE"})
	rank := func() (int, string) {
		req, _ := http.NewRequest("PUT", s.srv.URL+"/rest/agile/1.0/issue/rank", strings.NewReader(`{"issues":["SHOP-3"],"rankBeforeIssue":"SHOP-1"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		code, _, b := s.send(req)
		return code, string(b)
	}
	s.emu.SetUserPermissions(func(_, _, perm string) bool { return perm != "SCHEDULE_ISSUES" })
	if code, body := rank(); code != http.StatusMultiStatus || !strings.Contains(body, "403") {
		t.Errorf("without SCHEDULE_ISSUES: %d %s, want 207 with a 403 entry", code, body)
	}
	if s.emu.RankOrder("SHOP")[0] == "SHOP-3" {
		t.Error("an unpermitted rank moved the issue")
	}
	s.emu.SetUserPermissions(nil)
	if code, body := rank(); code != http.StatusNoContent {
		t.Errorf("lead ranking: %d %s", code, body)
	}
	if s.emu.RankOrder("SHOP")[0] != "SHOP-3" {
		t.Error("the lead's rank did not move the issue")
	}
}
