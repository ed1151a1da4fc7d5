package jiraemu

import (
	"net/http"
	"strconv"
)

// handleFields is GET /rest/api/3/field.
func (e *Emulator) handleFields(w http.ResponseWriter, r *http.Request) error {
	defs := e.fieldDefs()
	out := make([]map[string]any, 0, len(defs))
	for _, f := range defs {
		m := map[string]any{"id": f.ID, "key": f.ID, "name": f.Name, "custom": f.Custom, "orderable": f.Orderable,
			"navigable": f.Navigable, "searchable": f.Searchable, "clauseNames": f.ClauseNames}
		if f.Schema != nil {
			m["schema"] = f.Schema
		}
		out = append(out, m)
	}
	stateOf(r).objects = len(out)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleGetProject is GET /rest/api/3/project/{projectIdOrKey}.
func (e *Emulator) handleGetProject(w http.ResponseWriter, r *http.Request) error {
	base := e.base(r)
	e.mu.RLock()
	defer e.mu.RUnlock()
	key := r.PathValue("projectIdOrKey")
	p := e.st.project(key)
	if p == nil {
		return errf(http.StatusNotFound, "No project could be found with key '%s'.", key)
	}
	comps := make([]map[string]any, 0, len(p.Components))
	for _, c := range p.Components {
		m := map[string]any{"self": base + "/rest/api/3/component/" + c.ID, "id": c.ID, "name": c.Name,
			"assigneeType": "PROJECT_DEFAULT", "realAssigneeType": "PROJECT_DEFAULT", "isAssigneeTypeValid": false,
			"project": p.Key, "projectId": mustInt(p.ID)}
		if c.Description != "" {
			m["description"] = c.Description
		}
		comps = append(comps, m)
	}
	vers := make([]map[string]any, 0, len(p.Versions))
	for _, v := range p.Versions {
		m := renderVersion(base, p, v)
		m["projectId"] = mustInt(p.ID)
		vers = append(vers, m)
	}
	types := make([]map[string]any, 0, len(siteIssueTypes))
	for _, t := range siteIssueTypes {
		types = append(types, renderIssueType(base, t))
	}
	out := map[string]any{
		"expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
		"self":   base + "/rest/api/3/project/" + p.ID, "id": p.ID, "key": p.Key, "name": p.Name,
		"description": p.Description, "components": comps, "issueTypes": types, "versions": vers,
		"assigneeType": "UNASSIGNED", "roles": map[string]string{}, "avatarUrls": avatarURLs(base, "projectavatar", "10400"),
		"projectTypeKey": "software", "simplified": false, "style": "classic", "isPrivate": false, "properties": map[string]any{},
	}
	if p.Lead != nil {
		out["lead"] = renderUser(base, p.Lead)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// handleBoardConfig is GET /rest/agile/1.0/board/{boardId}/configuration:
// a scrum board per project, estimating with the story points field.
func (e *Emulator) handleBoardConfig(w http.ResponseWriter, r *http.Request) error {
	base := e.base(r)
	id, err := strconv.Atoi(r.PathValue("boardId"))
	if err != nil {
		return errf(http.StatusBadRequest, "The board id must be a number.")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var p *project
	for _, x := range e.st.projects {
		if x.BoardID == id {
			p = x
		}
	}
	if p == nil {
		return errf(http.StatusNotFound, "Board does not exist or you do not have permission to see it.")
	}
	col := func(name string, ss ...*status) map[string]any {
		var sts []map[string]string
		for _, s := range ss {
			sts = append(sts, map[string]string{"id": s.ID, "self": base + "/rest/api/3/status/" + s.ID})
		}
		return map[string]any{"name": name, "statuses": sts}
	}
	out := map[string]any{
		"id": id, "name": p.Key + " board", "type": "scrum",
		"self":     base + "/rest/agile/1.0/board/" + itoa(id) + "/configuration",
		"location": map[string]any{"type": "project", "projectKeyOrId": p.Key},
		"filter":   map[string]string{"id": itoa(10000 + id), "self": base + "/rest/api/3/filter/" + itoa(10000+id)},
		"columnConfig": map[string]any{"constraintType": "none", "columns": []map[string]any{
			col("To Do", siteStatuses[0]), col("In Progress", siteStatuses[1]), col("In Review", siteStatuses[2]), col("Done", siteStatuses[3]),
		}},
		"estimation": map[string]any{"type": "field", "field": map[string]string{"fieldId": e.opts.StoryPointsField, "displayName": e.opts.StoryPointsName}},
		"ranking":    map[string]any{"rankCustomFieldId": 10019},
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
