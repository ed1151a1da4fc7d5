package jiraemu

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxRankBatch is Jira Software's limit of issues per rank call ("At most
// 50 issues may be ranked at once").
const maxRankBatch = 50

// rankGap spaces rank positions, like LexoRank's buckets leave room.
const rankGap = 1024

// rankOf is an issue's position in the site-wide rank order. Issues never
// ranked sort by creation, after every ranked one of a smaller number:
// rebalancing gives positions below (issue count+1)*rankGap, and a new
// issue's number is always above the count.
func rankOf(is *issue) int64 {
	if is.rank != 0 {
		return is.rank
	}
	return int64(is.Num) * rankGap
}

// rankString renders the Rank field the way LexoRank values look
// ("0|i0000g:"): fixed width, so string order is rank order.
func rankString(is *issue) string {
	return "0|i" + leftPad(strconv.FormatInt(rankOf(is), 36), 8) + ":"
}

// cmpRank orders by rank, then key, so equal ranks of different projects
// still sort deterministically.
func cmpRank(a, b *issue) int {
	if r := rankOf(a) - rankOf(b); r != 0 {
		if r < 0 {
			return -1
		}
		return 1
	}
	return cmpKey(a, b)
}

type rankRequest struct {
	Issues            []string `json:"issues"`
	RankBeforeIssue   string   `json:"rankBeforeIssue"`
	RankAfterIssue    string   `json:"rankAfterIssue"`
	RankCustomFieldID int64    `json:"rankCustomFieldId"`
}

type rankEntry struct {
	IssueID  int64    `json:"issueId,omitempty"`
	IssueKey string   `json:"issueKey,omitempty"`
	Status   int      `json:"status"`
	Errors   []string `json:"errors,omitempty"`
}

// handleRank is PUT /rest/agile/1.0/issue/rank: moves the issues, in the
// order given, before or after the anchor issue. Ranking needs Schedule
// Issues and Edit Issues in the issue's project. All ranked: 204; some
// not: 207 with one entry per issue, as Jira Software answers.
func (e *Emulator) handleRank(w http.ResponseWriter, r *http.Request) error {
	var req rankRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	switch {
	case len(req.Issues) == 0:
		return errf(http.StatusBadRequest, "issues: at least one issue must be given.")
	case len(req.Issues) > maxRankBatch:
		return errf(http.StatusBadRequest, "issues: at most %d issues may be ranked at once (got %d).", maxRankBatch, len(req.Issues))
	case (req.RankBeforeIssue == "") == (req.RankAfterIssue == ""):
		return errf(http.StatusBadRequest, "Exactly one of rankBeforeIssue and rankAfterIssue must be given.")
	case req.RankCustomFieldID != 0 && req.RankCustomFieldID != 10019:
		return errf(http.StatusBadRequest, "rankCustomFieldId: %d is not a rank field.", req.RankCustomFieldID)
	}
	actor := e.actorOf(r)
	e.mu.Lock()
	defer e.mu.Unlock()
	anchorRef, after := req.RankBeforeIssue, false
	if anchorRef == "" {
		anchorRef, after = req.RankAfterIssue, true
	}
	anchor := e.st.issue(anchorRef)
	if anchor == nil {
		return errf(http.StatusBadRequest, "The issue %s to rank against does not exist.", anchorRef)
	}
	var entries []rankEntry
	var moving []*issue
	failed := false
	for _, ref := range req.Issues {
		is := e.st.issue(ref)
		switch {
		case is == nil:
			entries = append(entries, rankEntry{IssueKey: ref, Status: http.StatusNotFound, Errors: []string{"Issue does not exist."}})
			failed = true
		case is == anchor:
			entries = append(entries, rankEntry{IssueID: is.ID, IssueKey: is.Key, Status: http.StatusBadRequest, Errors: []string{"An issue cannot be ranked against itself."}})
			failed = true
		case !e.userMay(actor, is.Project, "SCHEDULE_ISSUES") || !e.userMay(actor, is.Project, "EDIT_ISSUES"):
			entries = append(entries, rankEntry{IssueID: is.ID, IssueKey: is.Key, Status: http.StatusForbidden, Errors: []string{"You do not have permission to rank this issue."}})
			failed = true
		case slices.Contains(moving, is):
			entries = append(entries, rankEntry{IssueID: is.ID, IssueKey: is.Key, Status: http.StatusNoContent})
		default:
			moving = append(moving, is)
			entries = append(entries, rankEntry{IssueID: is.ID, IssueKey: is.Key, Status: http.StatusNoContent})
		}
	}
	if len(moving) > 0 {
		e.st.rerank(moving, anchor, after)
	}
	if failed {
		writeJSON(w, http.StatusMultiStatus, map[string]any{"entries": entries})
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rerank splices moving (in order) next to anchor and renumbers every
// issue with gaps. O(n log n) per call: simple, and fast enough for the
// emulator's sites.
func (s *store) rerank(moving []*issue, anchor *issue, after bool) {
	order := slices.Clone(s.issues)
	slices.SortFunc(order, cmpRank)
	order = slices.DeleteFunc(order, func(is *issue) bool { return slices.Contains(moving, is) })
	at := slices.Index(order, anchor)
	if after {
		at++
	}
	order = slices.Insert(order, at, moving...)
	for i, is := range order {
		is.rank = int64(i+1) * rankGap
	}
	s.version++
}

// RankOrder returns the keys of a project's issues in Jira's rank order
// (for tests and the sandbox shell).
func (e *Emulator) RankOrder(projectKey string) []string {
	return e.rankOrder(projectKey, false)
}

func (e *Emulator) rankOrder(projectKey string, openOnly bool) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var order []*issue
	for _, is := range e.st.issues {
		if strings.EqualFold(is.Project.Key, projectKey) && (!openOnly || is.Status.Cat != catDone) {
			order = append(order, is)
		}
	}
	slices.SortFunc(order, cmpRank)
	keys := make([]string, len(order))
	for i, is := range order {
		keys[i] = is.Key
	}
	return keys
}

// handleAdminRank is GET /_emulator/rank/{project}[?open=1]: the project's
// rank order, for browser tests that check what Jira's backlog shows.
func (e *Emulator) handleAdminRank(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"keys": e.rankOrder(r.PathValue("project"), r.URL.Query().Get("open") == "1")})
	return nil
}
