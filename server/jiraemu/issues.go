package jiraemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/adf"
)

const maxBulkCreate = 50

// issueUpdate is IssueUpdateDetails.
type issueUpdate struct {
	Fields          map[string]json.RawMessage   `json:"fields"`
	Update          map[string][]json.RawMessage `json:"update"`
	Properties      []entityProperty             `json:"properties"`
	Transition      json.RawMessage              `json:"transition"`
	HistoryMetadata json.RawMessage              `json:"historyMetadata"`
}

type entityProperty struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// editor applies field values to an issue, collecting Jira's field errors
// and the changelog items of what changed. e.mu must be held for writing.
type editor struct {
	e           *Emulator
	is          *issue
	creating    bool
	allowStatus bool // a person's edit in the UI may transition
	errs        map[string]string
	items       []changeItem
}

func (ed *editor) fail(field, msg string) {
	if ed.errs == nil {
		ed.errs = map[string]string{}
	}
	if _, ok := ed.errs[field]; !ok {
		ed.errs[field] = msg
	}
}

func (ed *editor) change(field, fieldType, fieldID string, from, fromString, to, toString *string) {
	ed.items = append(ed.items, changeItem{Field: field, FieldType: fieldType, FieldID: fieldID,
		From: from, FromString: fromString, To: to, ToString: toString})
}

// ref is the {id} / {key} / {name} object Jira takes for references.
type ref struct {
	ID        json.RawMessage `json:"id"`
	Key       string          `json:"key"`
	Name      string          `json:"name"`
	AccountID string          `json:"accountId"`
	Value     string          `json:"value"`
}

func (r ref) idOrName() string {
	if len(r.ID) > 0 {
		var s string
		if json.Unmarshal(r.ID, &s) == nil {
			return s
		}
		return string(r.ID)
	}
	if r.Key != "" {
		return r.Key
	}
	return r.Name
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

func joinNames[T any](xs []T, name func(T) string) *string {
	if len(xs) == 0 {
		return nil
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = name(x)
	}
	s := strings.Join(parts, " ")
	return &s
}

// set applies one entry of "fields" (or an update "set").
func (ed *editor) set(field string, raw json.RawMessage) {
	is := ed.is
	e := ed.e
	switch field {
	case "project":
		if !ed.creating {
			ed.fail(field, "Field 'project' cannot be set. It is not on the appropriate screen, or unknown.")
		}
		// On create the project was resolved already.
	case "summary":
		var s string
		if json.Unmarshal(raw, &s) != nil || strings.TrimSpace(s) == "" {
			ed.fail(field, "You must specify a summary of the issue.")
			return
		}
		if len([]rune(s)) > 255 {
			ed.fail(field, "Summary must be less than 255 characters.")
			return
		}
		if s != is.Summary {
			if !ed.creating {
				ed.change("summary", "jira", "summary", nil, strp(is.Summary), nil, strp(s))
			}
			is.Summary = s
		}
	case "description":
		if isNull(raw) {
			if is.description() != nil && !ed.creating {
				ed.change("description", "jira", "description", nil, strp(adfToText(is.description())), nil, nil)
			}
			is.setDescription(nil)
			return
		}
		if err := validADF(raw); err != nil {
			ed.fail(field, "Operation value must be an Atlassian Document (see the Atlassian Document Format)")
			return
		}
		var buf bytes.Buffer
		_ = json.Compact(&buf, raw) // validADF parsed it
		if old := is.description(); !bytes.Equal(old, buf.Bytes()) {
			if !ed.creating {
				var from *string
				if old != nil {
					from = strp(adfToText(old))
				}
				ed.change("description", "jira", "description", nil, from, nil, strp(adfToText(buf.Bytes())))
			}
			is.setDescription(buf.Bytes())
		}
	case "issuetype":
		var r ref
		if json.Unmarshal(raw, &r) != nil || findIssueType(r.idOrName()) == nil {
			ed.fail(field, "Specify an issue type")
			return
		}
		t := findIssueType(r.idOrName())
		if t != is.Type {
			if !ed.creating {
				ed.change("issuetype", "jira", "issuetype", strp(is.Type.ID), strp(is.Type.Name), strp(t.ID), strp(t.Name))
			}
			is.Type = t
		}
	case "priority":
		var r ref
		if isNull(raw) {
			r.Name = "Medium"
		} else if json.Unmarshal(raw, &r) != nil {
			ed.fail(field, "Specify the Priority (id or name) in the proper format")
			return
		}
		p := findPriority(r.idOrName())
		if p == nil {
			ed.fail(field, "The priority selected is invalid.")
			return
		}
		if p != is.Priority {
			if !ed.creating {
				ed.change("priority", "jira", "priority", strp(is.Priority.ID), strp(is.Priority.Name), strp(p.ID), strp(p.Name))
			}
			is.Priority = p
		}
	case "labels":
		var ls []string
		if !isNull(raw) && json.Unmarshal(raw, &ls) != nil {
			ed.fail(field, "Specify the labels as an array of strings.")
			return
		}
		ed.setLabels(ls)
	case "components":
		var rs []ref
		if !isNull(raw) && json.Unmarshal(raw, &rs) != nil {
			ed.fail(field, "Specify the components as an array of objects with an id or a name.")
			return
		}
		var cs []*component
		for _, r := range rs {
			c := is.Project.component(r.idOrName())
			if c == nil {
				ed.fail(field, fmt.Sprintf("Component name '%s' is not valid", r.idOrName()))
				return
			}
			cs = append(cs, c)
		}
		ed.setComponents(cs)
	case "fixVersions":
		var rs []ref
		if !isNull(raw) && json.Unmarshal(raw, &rs) != nil {
			ed.fail(field, "Specify the versions as an array of objects with an id or a name.")
			return
		}
		var vs []*version
		for _, r := range rs {
			v := is.Project.version(r.idOrName())
			if v == nil {
				ed.fail(field, fmt.Sprintf("Version name '%s' is not valid", r.idOrName()))
				return
			}
			vs = append(vs, v)
		}
		ed.setVersions(vs)
	case "parent":
		var parent *issue
		if !isNull(raw) {
			var r ref
			if json.Unmarshal(raw, &r) != nil {
				ed.fail(field, "Could not find issue by id or key.")
				return
			}
			if parent = e.st.issue(r.idOrName()); parent == nil || parent == is {
				ed.fail(field, "Could not find issue by id or key.")
				return
			}
			if parent.Type.HierarchyLevel != is.Type.HierarchyLevel+1 {
				ed.fail(field, "Given parent work item does not belong to appropriate hierarchy.")
				return
			}
		}
		if parent != is.Parent {
			if !ed.creating {
				var from, fromS, to, toS *string
				if is.Parent != nil {
					from, fromS = strp(i64toa(is.Parent.ID)), strp(is.Parent.Key)
				}
				if parent != nil {
					to, toS = strp(i64toa(parent.ID)), strp(parent.Key)
				}
				ed.change("IssueParentAssociation", "jira", "", from, fromS, to, toS)
			}
			// The caller links it into the parent's children.
			is.Parent = parent
		}
	case "duedate":
		var d string
		if !isNull(raw) {
			if json.Unmarshal(raw, &d) != nil {
				ed.fail(field, "Error parsing date string: "+string(raw))
				return
			}
			if _, err := time.Parse(dateLayout, d); err != nil {
				ed.fail(field, "Error parsing date string: "+d)
				return
			}
		}
		if d != is.DueDate {
			if !ed.creating {
				ed.change("duedate", "jira", "duedate", optStr(is.DueDate), optStr(dueString(is.DueDate)), optStr(d), optStr(dueString(d)))
			}
			is.DueDate = d
		}
	case e.opts.StoryPointsField:
		var p *float64
		if !isNull(raw) {
			var f float64
			if json.Unmarshal(raw, &f) != nil {
				ed.fail(field, "Operation value must be a number.")
				return
			}
			p = &f
		}
		if !equalPoints(p, is.Points) {
			if !ed.creating {
				ed.change(e.opts.StoryPointsName, "custom", field, nil, pointsString(is.Points), nil, pointsString(p))
			}
			is.Points = p
		}
	case e.decoyField(), "customfield_10015", "customfield_10020":
		if is.Custom == nil {
			is.Custom = map[string]json.RawMessage{}
		}
		if isNull(raw) {
			delete(is.Custom, field)
			return
		}
		if field == e.decoyField() {
			var f float64
			if json.Unmarshal(raw, &f) != nil {
				ed.fail(field, "Operation value must be a number.")
				return
			}
		}
		is.Custom[field] = raw
	case ReachField, BusinessValueField:
		// Number fields with a changelog entry, as Jira records them (a
		// webhook then names the field).
		var p *float64
		if !isNull(raw) {
			var f float64
			if json.Unmarshal(raw, &f) != nil {
				ed.fail(field, "Operation value must be a number.")
				return
			}
			p = &f
		}
		cur := customNumber(is.Custom[field])
		if equalPoints(p, cur) {
			return
		}
		if !ed.creating {
			name := map[string]string{ReachField: "Reach", BusinessValueField: "Business value"}[field]
			ed.change(name, "custom", field, nil, pointsString(cur), nil, pointsString(p))
		}
		if is.Custom == nil {
			is.Custom = map[string]json.RawMessage{}
		}
		if p == nil {
			delete(is.Custom, field)
		} else {
			is.Custom[field], _ = json.Marshal(*p)
		}
	case "assignee", "reporter":
		var u *user
		if !isNull(raw) {
			var r ref
			if json.Unmarshal(raw, &r) != nil || e.st.user(r.AccountID) == nil {
				ed.fail(field, "Specify a valid value for "+field)
				return
			}
			u = e.st.user(r.AccountID)
		}
		cur := &is.Assignee
		if field == "reporter" {
			cur = &is.Reporter
		}
		if u != *cur {
			if !ed.creating {
				var from, fromS, to, toS *string
				if *cur != nil {
					from, fromS = strp((*cur).AccountID), strp((*cur).DisplayName)
				}
				if u != nil {
					to, toS = strp(u.AccountID), strp(u.DisplayName)
				}
				ed.change(field, "jira", field, from, fromS, to, toS)
			}
			*cur = u
		}
	case "status":
		if !ed.allowStatus {
			ed.fail(field, "Field 'status' cannot be set. It is not on the appropriate screen, or unknown.")
			return
		}
		var r ref
		if json.Unmarshal(raw, &r) != nil || findStatus(r.idOrName()) == nil {
			ed.fail(field, "Specify a valid status")
			return
		}
		s := findStatus(r.idOrName())
		if s != is.Status {
			ed.change("status", "jira", "status", strp(is.Status.ID), strp(is.Status.Name), strp(s.ID), strp(s.Name))
			now := e.now()
			if s.Cat != is.Status.Cat {
				is.CatChanged = now
			}
			is.Status = s
			if s.Cat == catDone {
				is.Resolved = now
			} else {
				is.Resolved = time.Time{}
			}
		}
	default:
		ed.fail(field, fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", field))
	}
}

func dueString(d string) string {
	if d == "" {
		return ""
	}
	return d + " 00:00:00.0"
}

func equalPoints(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// customNumber reads a stored number custom field (nil when empty).
func customNumber(raw json.RawMessage) *float64 {
	var f float64
	if len(raw) == 0 || json.Unmarshal(raw, &f) != nil {
		return nil
	}
	return &f
}

func pointsString(p *float64) *string {
	if p == nil {
		return nil
	}
	return strp(strconv.FormatFloat(*p, 'f', -1, 64))
}

func (ed *editor) setLabels(ls []string) {
	for _, l := range ls {
		if strings.ContainsAny(l, " \t\n") || l == "" {
			ed.fail("labels", fmt.Sprintf("The label '%s' contains spaces which is invalid.", l))
			return
		}
		if len(l) > 255 {
			ed.fail("labels", "The label must not exceed 255 characters.")
			return
		}
	}
	if slices.Equal(ls, ed.is.Labels) {
		return
	}
	if !ed.creating {
		id := func(s string) string { return s }
		ed.change("labels", "jira", "labels", nil, joinNames(ed.is.Labels, id), nil, joinNames(ls, id))
	}
	ed.is.Labels = ls
}

func (ed *editor) setComponents(cs []*component) {
	setRefs(ed, &ed.is.Components, cs, "Component", "components", func(c *component) (string, string) { return c.ID, c.Name })
}

func (ed *editor) setVersions(vs []*version) {
	setRefs(ed, &ed.is.FixVersions, vs, "Fix Version", "fixVersions", func(v *version) (string, string) { return v.ID, v.Name })
}

// setRefs replaces a multi-valued reference field, recording one changelog
// item per value removed and per value added, as Jira does.
func setRefs[T comparable](ed *editor, cur *[]T, next []T, field, fieldID string, ref func(T) (id, name string)) {
	if slices.Equal(next, *cur) {
		return
	}
	if !ed.creating {
		for _, v := range *cur {
			if !slices.Contains(next, v) {
				id, name := ref(v)
				ed.change(field, "jira", fieldID, strp(id), strp(name), nil, nil)
			}
		}
		for _, v := range next {
			if !slices.Contains(*cur, v) {
				id, name := ref(v)
				ed.change(field, "jira", fieldID, nil, nil, strp(id), strp(name))
			}
		}
	}
	*cur = next
}

// applyUpdate runs the operations of "update" (set, add, remove).
func (ed *editor) applyUpdate(field string, ops []json.RawMessage) {
	for _, raw := range ops {
		var op map[string]json.RawMessage
		if json.Unmarshal(raw, &op) != nil || len(op) != 1 {
			ed.fail(field, "Each update operation must be an object with one of set, add, remove.")
			return
		}
		for verb, val := range op {
			switch verb {
			case "set":
				ed.set(field, val)
			case "add", "remove":
				ed.addRemove(field, verb == "add", val)
			default:
				ed.fail(field, fmt.Sprintf("Operation '%s' is not supported for field '%s'.", verb, field))
			}
		}
	}
}

func (ed *editor) addRemove(field string, add bool, val json.RawMessage) {
	is := ed.is
	switch field {
	case "labels":
		var l string
		if json.Unmarshal(val, &l) != nil {
			ed.fail(field, "A label must be a string.")
			return
		}
		ls := slices.Clone(is.Labels)
		if add && !slices.Contains(ls, l) {
			ls = append(ls, l)
		} else if !add {
			ls = slices.DeleteFunc(ls, func(x string) bool { return x == l })
		}
		if len(ls) == 0 {
			ls = nil
		}
		ed.setLabels(ls)
	case "components", "fixVersions":
		var r ref
		if json.Unmarshal(val, &r) != nil {
			ed.fail(field, "Specify an object with an id or a name.")
			return
		}
		if field == "components" {
			c := is.Project.component(r.idOrName())
			if c == nil {
				ed.fail(field, fmt.Sprintf("Component name '%s' is not valid", r.idOrName()))
				return
			}
			cs := slices.Clone(is.Components)
			if add && !slices.Contains(cs, c) {
				cs = append(cs, c)
			} else if !add {
				cs = slices.DeleteFunc(cs, func(x *component) bool { return x == c })
			}
			ed.setComponents(cs)
			return
		}
		v := is.Project.version(r.idOrName())
		if v == nil {
			ed.fail(field, fmt.Sprintf("Version name '%s' is not valid", r.idOrName()))
			return
		}
		vs := slices.Clone(is.FixVersions)
		if add && !slices.Contains(vs, v) {
			vs = append(vs, v)
		} else if !add {
			vs = slices.DeleteFunc(vs, func(x *version) bool { return x == v })
		}
		ed.setVersions(vs)
	default:
		ed.fail(field, fmt.Sprintf("Field '%s' does not support add or remove.", field))
	}
}

// validADF checks a description or comment body: a JSON object that the ADF
// schema accepts.
func validADF(raw json.RawMessage) error {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("not an ADF document")
	}
	return adf.Validate(t)
}

// createOne creates an issue from IssueUpdateDetails. It returns the issue
// or Jira's field errors. e.mu must be held for writing.
func (e *Emulator) createOne(u issueUpdate, by *user) (*issue, *apiError) {
	ed := &editor{e: e, creating: true}
	var p *project
	if raw, ok := u.Fields["project"]; ok {
		var r ref
		if json.Unmarshal(raw, &r) == nil {
			p = e.st.project(r.idOrName())
		}
	}
	if p == nil {
		ed.fail("project", "Specify a valid project ID or key")
	} else if !e.userMay(by, p, "CREATE_ISSUES") {
		return nil, errf(http.StatusForbidden, "You do not have permission to create issues in this project.")
	}
	var t *issueType
	if raw, ok := u.Fields["issuetype"]; ok {
		var r ref
		if json.Unmarshal(raw, &r) == nil {
			t = findIssueType(r.idOrName())
		}
	}
	if t == nil {
		ed.fail("issuetype", "Specify an issue type")
	}
	if _, ok := u.Fields["summary"]; !ok {
		if _, inUpdate := u.Update["summary"]; !inUpdate {
			ed.fail("summary", "You must specify a summary of the issue.")
		}
	}
	if ed.errs != nil {
		return nil, fieldErr(http.StatusBadRequest, ed.errs)
	}
	now := e.now()
	is := &issue{Project: p, Type: t, Status: siteStatuses[0], Priority: findPriority("Medium"),
		Reporter: by, Created: now, Updated: now, CatChanged: now}
	ed.is = is
	for _, k := range sortedKeys(u.Fields) {
		if k == "project" || k == "issuetype" {
			continue
		}
		ed.set(k, u.Fields[k])
	}
	for _, k := range sortedKeys(u.Update) {
		ed.applyUpdate(k, u.Update[k])
	}
	if t.Subtask && is.Parent == nil {
		ed.fail("parent", "Sub-task must have a parent.")
	}
	for _, p := range u.Properties {
		if err := validPropertyKey(p.Key); err != nil {
			ed.fail("properties", err.Messages[0])
		} else if err := validPropertyValue(p.Value); err != nil {
			ed.fail("properties", err.Messages[0])
		}
	}
	if ed.errs != nil {
		return nil, fieldErr(http.StatusBadRequest, ed.errs)
	}
	e.st.nextIssueID++
	is.ID = e.st.nextIssueID
	is.Num = p.nextNum
	is.Key = p.Key + "-" + itoa(is.Num)
	parent := is.Parent
	is.Parent = nil
	e.st.addIssue(is)
	if parent != nil {
		e.st.setParent(is, parent)
	}
	for _, pr := range u.Properties {
		e.setPropLocked(is, pr.Key, pr.Value)
	}
	return is, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// handleCreateIssue is POST /rest/api/3/issue.
func (e *Emulator) handleCreateIssue(w http.ResponseWriter, r *http.Request) error {
	var u issueUpdate
	if err := decodeBody(r, &u, false); err != nil {
		return err
	}
	base := e.base(r)
	e.mu.Lock()
	by := e.actorOf(r)
	is, aerr := e.createOne(u, by)
	var hooks []delivery
	if aerr == nil {
		hooks = e.issueEventLocked(base, "jira:issue_created", "issue_created", is, nil, nil, by)
	}
	e.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	e.enqueue(hooks)
	writeJSON(w, http.StatusCreated, map[string]string{"id": i64toa(is.ID), "key": is.Key, "self": issueURL(base, is.ID)})
	return nil
}

// handleBulkCreate is POST /rest/api/3/issue/bulk: each element on its own;
// 201 if any was created, else 400, with errors per failed element.
func (e *Emulator) handleBulkCreate(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		IssueUpdates []issueUpdate `json:"issueUpdates"`
	}
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if len(req.IssueUpdates) == 0 {
		return errf(http.StatusBadRequest, "Specify at least one issue to create.")
	}
	if len(req.IssueUpdates) > maxBulkCreate {
		return errf(http.StatusBadRequest, "You can't create more than %d issues in a single request.", maxBulkCreate)
	}
	base := e.base(r)
	type created struct {
		ID   string `json:"id"`
		Key  string `json:"key"`
		Self string `json:"self"`
	}
	type elemErr struct {
		Status              int       `json:"status"`
		ElementErrors       errorBody `json:"elementErrors"`
		FailedElementNumber int       `json:"failedElementNumber"`
	}
	out := struct {
		Issues []created `json:"issues"`
		Errors []elemErr `json:"errors"`
	}{Issues: []created{}, Errors: []elemErr{}}
	var hooks []delivery
	by := e.actorOf(r)
	e.mu.Lock()
	for i, u := range req.IssueUpdates {
		is, aerr := e.createOne(u, by)
		if aerr != nil {
			eb := errorBody{ErrorMessages: aerr.Messages, Errors: aerr.Fields}
			if eb.ErrorMessages == nil {
				eb.ErrorMessages = []string{}
			}
			if eb.Errors == nil {
				eb.Errors = map[string]string{}
			}
			out.Errors = append(out.Errors, elemErr{Status: aerr.Status, ElementErrors: eb, FailedElementNumber: i})
			continue
		}
		out.Issues = append(out.Issues, created{ID: i64toa(is.ID), Key: is.Key, Self: issueURL(base, is.ID)})
		hooks = append(hooks, e.issueEventLocked(base, "jira:issue_created", "issue_created", is, nil, nil, by)...)
	}
	e.mu.Unlock()
	e.enqueue(hooks)
	status := http.StatusCreated
	if len(out.Issues) == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, out)
	return nil
}

// handleGetIssue is GET /rest/api/3/issue/{issueIdOrKey} (fields default
// *all).
func (e *Emulator) handleGetIssue(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	props := splitList(q["properties"])
	o := &renderOpts{sel: parseFieldSel(q["fields"], "*all"), expand: parseExpand(q["expand"]...), properties: props}
	base := e.base(r)
	e.mu.RLock()
	defer e.mu.RUnlock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		return issueNotFound()
	}
	stateOf(r).objects = 1
	writeJSON(w, http.StatusOK, e.renderIssue(base, is, o, e.fieldDefs()))
	return nil
}

// editLocked applies an edit; it returns the webhook deliveries to send.
func (e *Emulator) editLocked(base string, is *issue, u issueUpdate, by *user, allowStatus bool) ([]delivery, *apiError) {
	for k := range u.Fields {
		if _, both := u.Update[k]; both {
			return nil, fieldErr(http.StatusBadRequest, map[string]string{k: "Field '" + k + "' cannot appear in both 'fields' and 'update'"})
		}
	}
	// Validate on a copy so a failed edit changes nothing.
	tmp := *is
	ed := &editor{e: e, is: &tmp, allowStatus: allowStatus}
	for _, k := range sortedKeys(u.Fields) {
		ed.set(k, u.Fields[k])
	}
	for _, k := range sortedKeys(u.Update) {
		ed.applyUpdate(k, u.Update[k])
	}
	for _, p := range u.Properties {
		if err := validPropertyKey(p.Key); err != nil {
			ed.fail("properties", err.Messages[0])
		} else if err := validPropertyValue(p.Value); err != nil {
			ed.fail("properties", err.Messages[0])
		}
	}
	if ed.errs != nil {
		return nil, fieldErr(http.StatusBadRequest, ed.errs)
	}
	// Parent changes went through the store on the copy; move them over.
	parent := tmp.Parent
	tmp.Parent, tmp.children = is.Parent, is.children
	*is = tmp
	if parent != is.Parent {
		e.st.setParent(is, parent)
	}
	for _, p := range u.Properties {
		e.setPropLocked(is, p.Key, p.Value)
	}
	if len(ed.items) == 0 {
		return nil, nil
	}
	now := e.now()
	is.Updated = now
	h := &history{ID: e.st.newHistoryID(), Author: by, Created: now, Items: ed.items}
	is.Histories = append(is.Histories, h)
	e.st.version++
	return e.issueEventLocked(base, "jira:issue_updated", "issue_updated", is, h, nil, by), nil
}

// handleEditIssue is PUT /rest/api/3/issue/{issueIdOrKey}: 204, or 200
// with the issue when returnIssue=true.
func (e *Emulator) handleEditIssue(w http.ResponseWriter, r *http.Request) error {
	var u issueUpdate
	if err := decodeBody(r, &u, false); err != nil {
		return err
	}
	if len(u.Transition) > 0 && !isNull(u.Transition) {
		return errf(http.StatusBadRequest, "Transitions are not supported by the emulator.")
	}
	base := e.base(r)
	e.mu.Lock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		e.mu.Unlock()
		return issueNotFound()
	}
	hooks, aerr := e.editLocked(base, is, u, e.actorOf(r), false)
	var bean issueBean
	returnIssue := r.URL.Query().Get("returnIssue") == "true"
	if aerr == nil && returnIssue {
		bean = e.renderIssue(base, is, &renderOpts{sel: parseFieldSel(nil, "*all"), expand: parseExpand(r.URL.Query()["expand"]...)}, e.fieldDefs())
	}
	e.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	e.enqueue(hooks)
	if returnIssue {
		writeJSON(w, http.StatusOK, bean)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleDeleteIssue is DELETE /rest/api/3/issue/{issueIdOrKey}.
func (e *Emulator) handleDeleteIssue(w http.ResponseWriter, r *http.Request) error {
	base := e.base(r)
	e.mu.Lock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		e.mu.Unlock()
		return issueNotFound()
	}
	var subs []*issue
	for _, c := range is.children {
		if c.Type.Subtask {
			subs = append(subs, c)
		}
	}
	if len(subs) > 0 && r.URL.Query().Get("deleteSubtasks") != "true" {
		e.mu.Unlock()
		return errf(http.StatusBadRequest, "The issue has subtasks. Set deleteSubtasks to true to delete the issue with its subtasks.")
	}
	var hooks []delivery
	for _, x := range append(subs, is) {
		hooks = append(hooks, e.issueEventLocked(base, "jira:issue_deleted", "issue_deleted", x, nil, nil, e.actorOf(r))...)
		e.st.removeIssue(x)
	}
	e.mu.Unlock()
	e.enqueue(hooks)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
