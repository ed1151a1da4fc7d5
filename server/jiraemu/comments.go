package jiraemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

func compactJSON(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// pageParams reads startAt and maxResults with Jira's defaults.
func pageParams(r *http.Request, defMax int) (int, int, error) {
	q := r.URL.Query()
	start, max := 0, defMax
	if s := q.Get("startAt"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, errf(http.StatusBadRequest, "startAt must be a non-negative integer.")
		}
		start = n
	}
	if s := q.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, errf(http.StatusBadRequest, "maxResults must be a non-negative integer.")
		}
		max = min(n, defMax)
	}
	return start, max, nil
}

// handleGetComments is GET /rest/api/3/issue/{issueIdOrKey}/comment.
func (e *Emulator) handleGetComments(w http.ResponseWriter, r *http.Request) error {
	start, max, err := pageParams(r, 100)
	if err != nil {
		return err
	}
	base := e.base(r)
	e.mu.RLock()
	defer e.mu.RUnlock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		return issueNotFound()
	}
	cs := is.Comments
	if r.URL.Query().Get("orderBy") == "-created" {
		cs = make([]*comment, len(is.Comments))
		for i, c := range is.Comments {
			cs[len(cs)-1-i] = c
		}
	}
	page := []map[string]any{}
	for i := start; i < len(cs) && len(page) < max; i++ {
		page = append(page, renderComment(base, is, cs[i]))
	}
	stateOf(r).objects = len(page)
	writeJSON(w, http.StatusOK, map[string]any{"startAt": start, "maxResults": max, "total": len(cs), "comments": page})
	return nil
}

// handleAddComment is POST /rest/api/3/issue/{issueIdOrKey}/comment; the
// body must be ADF. It updates the issue and sends issue_commented and
// comment_created webhooks.
func (e *Emulator) handleAddComment(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Body       json.RawMessage `json:"body"`
		Visibility json.RawMessage `json:"visibility"`
		Properties json.RawMessage `json:"properties"`
	}
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if isNull(req.Body) {
		return fieldErr(http.StatusBadRequest, map[string]string{"comment": "Comment body can not be empty!"})
	}
	if validADF(req.Body) != nil {
		return fieldErr(http.StatusBadRequest, map[string]string{"comment": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"})
	}
	base := e.base(r)
	e.mu.Lock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		e.mu.Unlock()
		return issueNotFound()
	}
	now := e.now()
	by := e.actorOf(r)
	c := &comment{ID: e.st.newCommentID(), Author: by, Body: compactJSON(req.Body), Created: now, Updated: now}
	is.Comments = append(is.Comments, c)
	is.Updated = now
	e.st.version++
	out := renderComment(base, is, c)
	hooks := e.issueEventLocked(base, "jira:issue_updated", "issue_commented", is, nil, c, by)
	hooks = append(hooks, e.issueEventLocked(base, "comment_created", "", is, nil, c, by)...)
	e.mu.Unlock()
	e.enqueue(hooks)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// handleChangelog is GET /rest/api/3/issue/{issueIdOrKey}/changelog: paged,
// oldest first.
func (e *Emulator) handleChangelog(w http.ResponseWriter, r *http.Request) error {
	start, max, err := pageParams(r, 100)
	if err != nil {
		return err
	}
	base := e.base(r)
	e.mu.RLock()
	defer e.mu.RUnlock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		return issueNotFound()
	}
	values := []map[string]any{}
	for i := start; i < len(is.Histories) && len(values) < max; i++ {
		values = append(values, e.renderHistory(base, is.Histories[i]))
	}
	self := base + "/rest/api/3/issue/" + is.Key + "/changelog"
	out := map[string]any{"self": self + "?maxResults=" + itoa(max) + "&startAt=" + itoa(start), "maxResults": max,
		"startAt": start, "total": len(is.Histories), "values": values}
	last := start+len(values) >= len(is.Histories)
	out["isLast"] = last
	if !last {
		out["nextPage"] = self + "?maxResults=" + itoa(max) + "&startAt=" + itoa(start+len(values))
	}
	stateOf(r).objects = len(values)
	writeJSON(w, http.StatusOK, out)
	return nil
}
