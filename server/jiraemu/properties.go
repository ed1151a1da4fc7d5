package jiraemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/retry"
)

// Entity property limits of Jira Cloud.
const (
	maxPropertyValue    = 32768 // characters of the JSON value
	maxPropertyKey      = 255
	maxMultiIssues      = 100
	maxMultiPerIssue    = 10
	maxSearchProperties = 5
)

// setPropLocked stores a property value and refreshes the issue's JQL alias
// values. Setting a property does not change the issue's updated time and
// sends no issue webhook, as in Jira. e.mu must be held for writing.
func (e *Emulator) setPropLocked(is *issue, key string, val json.RawMessage) {
	if is.Props == nil {
		is.Props = map[string]json.RawMessage{}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, val); err == nil {
		val = buf.Bytes()
	}
	is.Props[key] = val
	e.refreshAliases(is)
	e.st.propVersion++
}

func (e *Emulator) deletePropLocked(is *issue, key string) {
	delete(is.Props, key)
	e.refreshAliases(is)
	e.st.propVersion++
}

// refreshAliases extracts the alias values of is from its properties, as
// Jira's index does for a jiraEntityProperties key configuration.
func (e *Emulator) refreshAliases(is *issue) {
	is.aliasVals = nil
	for i, a := range e.aliases {
		raw, ok := is.Props[a.PropertyKey]
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			continue
		}
		for _, part := range strings.Split(a.Path, ".") {
			if part == "" {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[part]
		}
		var val any
		switch a.Type {
		case "number":
			if f, ok := v.(float64); ok {
				val = f
			}
		case "string", "text", "user":
			if s, ok := v.(string); ok {
				val = s
			}
		case "date":
			if s, ok := v.(string); ok {
				if t, err := parseAnyTime(s); err == nil {
					val = t
				}
			}
		}
		if val == nil {
			continue
		}
		if is.aliasVals == nil {
			is.aliasVals = make([]any, len(e.aliases))
		}
		is.aliasVals[i] = val
	}
}

func parseAnyTime(s string) (time.Time, error) {
	for _, l := range []string{time.RFC3339Nano, jiraTimeLayout, dateLayout} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	_, err := time.Parse(time.RFC3339, s)
	return time.Time{}, err
}

// validPropertyValue checks a property value as Jira does.
func validPropertyValue(raw []byte) *apiError {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return errf(http.StatusBadRequest, "The property value must not be empty.")
	}
	if !json.Valid(trimmed) {
		return errf(http.StatusBadRequest, "The property value must be valid JSON.")
	}
	if n := len([]rune(string(trimmed))); n > maxPropertyValue {
		return errf(http.StatusBadRequest, "The property value exceeds the maximum length of %d characters.", maxPropertyValue)
	}
	return nil
}

func validPropertyKey(k string) *apiError {
	if k == "" || len(k) > maxPropertyKey {
		return errf(http.StatusBadRequest, "The property key must be between 1 and %d characters long.", maxPropertyKey)
	}
	return nil
}

func issueNotFound() *apiError {
	return errf(http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
}

func (e *Emulator) handlePropertyKeys(w http.ResponseWriter, r *http.Request) error {
	base := e.base(r)
	e.mu.RLock()
	defer e.mu.RUnlock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		return issueNotFound()
	}
	keys := make([]string, 0, len(is.Props))
	for k := range is.Props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]map[string]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]string{"key": k, "self": issueURL(base, is.ID) + "/properties/" + k})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

func (e *Emulator) handleGetProperty(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("propertyKey")
	e.mu.RLock()
	defer e.mu.RUnlock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		return issueNotFound()
	}
	v, ok := is.Props[key]
	if !ok {
		return errf(http.StatusNotFound, "The property with key '%s' does not exist.", key)
	}
	stateOf(r).objects = 1
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "value": json.RawMessage(v)})
	return nil
}

func (e *Emulator) handleSetProperty(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("propertyKey")
	if err := validPropertyKey(key); err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return errf(http.StatusBadRequest, "Could not read the request body.")
	}
	if err := validPropertyValue(raw); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		return issueNotFound()
	}
	_, existed := is.Props[key]
	e.setPropLocked(is, key, raw)
	if existed {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
	return nil
}

func (e *Emulator) handleDeleteProperty(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("propertyKey")
	e.mu.Lock()
	defer e.mu.Unlock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		return issueNotFound()
	}
	if _, ok := is.Props[key]; !ok {
		return errf(http.StatusNotFound, "The property with key '%s' does not exist.", key)
	}
	e.deletePropLocked(is, key)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Task statuses of Jira's long-running tasks.
const (
	TaskEnqueued = "ENQUEUED"
	TaskRunning  = "RUNNING"
	TaskComplete = "COMPLETE"
)

type task struct {
	ID          string
	Description string
	Status      string
	Submitted   time.Time
	Started     time.Time
	Finished    time.Time
	issues      map[int64]bool
	Message     string
	Result      any
}

// tasks is the registry of asynchronous tasks; e.mu guards it.
type tasks struct {
	byID   map[string]*task
	nextID int64
}

func (t *tasks) init() {
	t.byID = map[string]*task{}
	t.nextID = 10000
}

type multiRequest struct {
	Issues []multiIssue `json:"issues"`
}

type multiIssue struct {
	IssueID    json.Number                `json:"issueID"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// handleMultiProperties is POST /issue/properties/multi: validated at once,
// applied later by a task (303 to the task). Not transactional; unknown
// issues are ignored; 409 while another task on any of the same issues is
// queued or running.
func (e *Emulator) handleMultiProperties(w http.ResponseWriter, r *http.Request) error {
	var req multiRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	if len(req.Issues) == 0 {
		return errf(http.StatusBadRequest, "At least one issue must be provided.")
	}
	if len(req.Issues) > maxMultiIssues {
		return errf(http.StatusBadRequest, "The number of issues exceeds the maximum of %d.", maxMultiIssues)
	}
	ids := map[int64]bool{}
	for i, it := range req.Issues {
		id, err := strconv.ParseInt(it.IssueID.String(), 10, 64)
		if err != nil {
			return errf(http.StatusBadRequest, "issues[%d].issueID must be an issue ID (a number).", i)
		}
		if len(it.Properties) == 0 {
			return errf(http.StatusBadRequest, "issues[%d].properties must contain at least one property.", i)
		}
		if len(it.Properties) > maxMultiPerIssue {
			return errf(http.StatusBadRequest, "The number of properties of an issue exceeds the maximum of %d.", maxMultiPerIssue)
		}
		for k, v := range it.Properties {
			if err := validPropertyKey(k); err != nil {
				return err
			}
			if err := validPropertyValue(v); err != nil {
				return err
			}
		}
		ids[id] = true
	}
	now := e.now()
	e.mu.Lock()
	for _, t := range e.tasks.byID {
		if t.Status != TaskEnqueued && t.Status != TaskRunning {
			continue
		}
		for id := range ids {
			if t.issues[id] {
				e.mu.Unlock()
				return errf(http.StatusConflict, "Another bulk update on the same issues is already in progress. Retry the request later.")
			}
		}
	}
	e.tasks.nextID++
	t := &task{ID: i64toa(e.tasks.nextID), Description: "Bulk set issues properties", Status: TaskEnqueued,
		Submitted: now, issues: ids}
	e.tasks.byID[t.ID] = t
	e.mu.Unlock()

	e.wg.Add(1)
	go e.runMultiTask(t, req.Issues)

	w.Header().Set("Location", e.base(r)+"/rest/api/3/task/"+t.ID)
	w.WriteHeader(http.StatusSeeOther)
	return nil
}

func (e *Emulator) runMultiTask(t *task, items []multiIssue) {
	defer e.wg.Done()
	if retry.Sleep(e.ctx, e.opts.TaskDelay) != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t.Status, t.Started = TaskRunning, e.now()
	var set, missing int
	for _, it := range items {
		id, _ := strconv.ParseInt(it.IssueID.String(), 10, 64)
		is := e.st.byID[id]
		if is == nil {
			missing++
			continue
		}
		for k, v := range it.Properties {
			e.setPropLocked(is, k, v)
			set++
		}
	}
	t.Status, t.Finished = TaskComplete, e.now()
	t.Message = "Set " + itoa(set) + " properties; " + itoa(missing) + " issues not found"
}

func (e *Emulator) handleGetTask(w http.ResponseWriter, r *http.Request) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t := e.tasks.byID[r.PathValue("taskId")]
	if t == nil {
		return errf(http.StatusNotFound, "Task with ID %s does not exist.", r.PathValue("taskId"))
	}
	now := e.now()
	ms := func(x time.Time) int64 { return x.UnixMilli() }
	out := map[string]any{
		"self": e.base(r) + "/rest/api/3/task/" + t.ID, "id": t.ID, "description": t.Description,
		"status": t.Status, "submittedBy": 0, "submitted": ms(t.Submitted), "lastUpdate": ms(now),
		"progress": 0, "elapsedRuntime": 0,
	}
	if !t.Started.IsZero() {
		out["started"] = ms(t.Started)
		out["elapsedRuntime"] = now.Sub(t.Started).Milliseconds()
	}
	if t.Status == TaskComplete {
		out["progress"] = 100
		out["finished"] = ms(t.Finished)
		out["lastUpdate"] = ms(t.Finished)
		out["elapsedRuntime"] = t.Finished.Sub(t.Started).Milliseconds()
		out["message"] = t.Message
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
