package jiraemu

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// The emulated workflow is Jira's simplified one: every status can move
// to every other. A transition's id is fixed per target status.
func transitionID(i int) string { return strconv.Itoa(10*i + 11) }

func transitionTo(id string) *status {
	for i, s := range siteStatuses {
		if transitionID(i) == id {
			return s
		}
	}
	return nil
}

// handleGetTransitions is GET /rest/api/3/issue/{issueIdOrKey}/transitions:
// the transitions available from the issue's status.
func (e *Emulator) handleGetTransitions(w http.ResponseWriter, r *http.Request) error {
	base := e.base(r)
	e.mu.RLock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		e.mu.RUnlock()
		return issueNotFound()
	}
	out := []map[string]any{}
	for i, s := range siteStatuses {
		if s == is.Status {
			continue
		}
		out = append(out, map[string]any{"id": transitionID(i), "name": s.Name, "hasScreen": false, "isGlobal": true,
			"isInitial": false, "isAvailable": true, "isConditional": false, "isLooped": false,
			"to": map[string]any{"self": base + "/rest/api/3/status/" + s.ID, "id": s.ID, "name": s.Name,
				"statusCategory": map[string]any{"id": s.Cat.ID, "key": s.Cat.Key, "name": s.Cat.Name, "colorName": s.Cat.ColorName}}})
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": out})
	return nil
}

// handleTransition is POST /rest/api/3/issue/{issueIdOrKey}/transitions:
// moves the issue to the transition's status (fields and update are
// applied with it, as Jira does); 204.
func (e *Emulator) handleTransition(w http.ResponseWriter, r *http.Request) error {
	var u issueUpdate
	if err := decodeBody(r, &u, false); err != nil {
		return err
	}
	var t struct {
		ID json.RawMessage `json:"id"`
	}
	if isNull(u.Transition) || json.Unmarshal(u.Transition, &t) != nil || isNull(t.ID) {
		return errf(http.StatusBadRequest, "Missing 'transition' identifier")
	}
	id := ref{ID: t.ID}.idOrName()
	to := transitionTo(id)
	if to == nil {
		return errf(http.StatusBadRequest, "Transition id '%s' is not valid for this issue.", id)
	}
	if u.Fields == nil {
		u.Fields = map[string]json.RawMessage{}
	}
	u.Fields["status"], _ = json.Marshal(map[string]string{"id": to.ID})
	u.Transition = nil
	base := e.base(r)
	e.mu.Lock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		e.mu.Unlock()
		return issueNotFound()
	}
	hooks, aerr := e.editLocked(base, is, u, e.actorOf(r), true)
	e.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	e.enqueue(hooks)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
