package jiraemu

import (
	"encoding/json"
	"net/http"
)

type linkRequest struct {
	Type         ref `json:"type"`
	InwardIssue  ref `json:"inwardIssue"`
	OutwardIssue ref `json:"outwardIssue"`
	Comment      *struct {
		Body       json.RawMessage `json:"body"`
		Visibility json.RawMessage `json:"visibility"`
	} `json:"comment"`
}

// handleCreateLink is POST /rest/api/3/issueLink. As in Jira Cloud,
// {type: Blocks, inwardIssue: A, outwardIssue: B} records "A blocks B":
// A's issuelinks entry has outwardIssue B, B's has inwardIssue A. A link
// that already exists is "created" again without a duplicate. 201, empty
// body.
func (e *Emulator) handleCreateLink(w http.ResponseWriter, r *http.Request) error {
	var req linkRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	if req.Comment != nil && validADF(req.Comment.Body) != nil {
		return fieldErr(http.StatusBadRequest, map[string]string{"comment": "Comment body is not valid: it must be an Atlassian Document."})
	}
	base := e.base(r)
	e.mu.Lock()
	t := findLinkType(req.Type.idOrName())
	if t == nil {
		e.mu.Unlock()
		return errf(http.StatusNotFound, "No issue link type with name '%s' found.", req.Type.idOrName())
	}
	a, b := e.st.issue(req.InwardIssue.idOrName()), e.st.issue(req.OutwardIssue.idOrName())
	if a == nil || b == nil {
		e.mu.Unlock()
		return errf(http.StatusNotFound, "Issue Does Not Exist")
	}
	if by := e.actorOf(r); !e.userMay(by, a.Project, "LINK_ISSUES") || !e.userMay(by, b.Project, "LINK_ISSUES") {
		e.mu.Unlock()
		return errf(http.StatusForbidden, "You do not have permission to link these issues.")
	}
	var hooks []delivery
	exists := false
	for _, l := range a.Links {
		if l.Type == t && l.From == a && l.To == b {
			exists = true
		}
	}
	if !exists {
		e.st.addLink(t, a, b)
		now := e.now()
		for _, side := range []struct {
			is, other *issue
			verb      string
		}{{a, b, t.Outward}, {b, a, t.Inward}} {
			h := &history{ID: e.st.newHistoryID(), Author: e.actorOf(r), Created: now, Items: []changeItem{{
				Field: "Link", FieldType: "jira", To: strp(side.other.Key),
				ToString: strp("This issue " + side.verb + " " + side.other.Key)}}}
			side.is.Histories = append(side.is.Histories, h)
			side.is.Updated = now
			hooks = append(hooks, e.issueEventLocked(base, "jira:issue_updated", "issue_generic", side.is, h, nil, e.actorOf(r))...)
			if side.is == side.other {
				break
			}
		}
	}
	if req.Comment != nil {
		// Jira adds the comment to the outward ("from") issue of the request.
		c := &comment{ID: e.st.newCommentID(), Author: e.actorOf(r), Body: compactJSON(req.Comment.Body), Created: e.now(), Updated: e.now()}
		b.Comments = append(b.Comments, c)
	}
	e.mu.Unlock()
	e.enqueue(hooks)
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (e *Emulator) handleLinkTypes(w http.ResponseWriter, r *http.Request) error {
	base := e.base(r)
	out := make([]map[string]any, 0, len(siteLinkTypes))
	for _, t := range siteLinkTypes {
		out = append(out, renderLinkType(base, t))
	}
	stateOf(r).objects = len(out)
	writeJSON(w, http.StatusOK, map[string]any{"issueLinkTypes": out})
	return nil
}
