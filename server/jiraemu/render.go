package jiraemu

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// jsonType is Jira's JsonTypeBean (a field's schema).
type jsonType struct {
	Type     string `json:"type"`
	Items    string `json:"items,omitempty"`
	System   string `json:"system,omitempty"`
	Custom   string `json:"custom,omitempty"`
	CustomID int64  `json:"customId,omitempty"`
}

// fieldDef describes one field of the site, as GET /field lists it.
type fieldDef struct {
	ID          string
	Name        string
	Custom      bool
	Navigable   bool
	Orderable   bool
	Searchable  bool
	ClauseNames []string
	Schema      *jsonType
}

// fieldDefs returns the site's fields in GET /field order.
func (e *Emulator) fieldDefs() []*fieldDef {
	sys := func(id, name, typ, items string, clauses ...string) *fieldDef {
		if len(clauses) == 0 {
			clauses = []string{id}
		}
		f := &fieldDef{ID: id, Name: name, Navigable: true, Orderable: true, Searchable: true, ClauseNames: clauses}
		if typ != "" {
			f.Schema = &jsonType{Type: typ, Items: items, System: id}
		}
		return f
	}
	custom := func(id, name, typ, items, kind string) *fieldDef {
		n, _ := strconv.ParseInt(strings.TrimPrefix(id, "customfield_"), 10, 64)
		return &fieldDef{ID: id, Name: name, Custom: true, Navigable: true, Orderable: true, Searchable: true,
			ClauseNames: []string{"cf[" + strconv.FormatInt(n, 10) + "]", name},
			Schema:      &jsonType{Type: typ, Items: items, Custom: kind, CustomID: n}}
	}
	comment := sys("comment", "Comment", "comments-page", "", "comment")
	comment.Navigable, comment.Orderable = false, false
	parent := sys("parent", "Parent", "", "", "parent")
	parent.Orderable = false
	defs := []*fieldDef{
		sys("summary", "Summary", "string", "", "summary"),
		sys("description", "Description", "string", "", "description"),
		sys("issuetype", "Issue Type", "issuetype", "", "issuetype", "type"),
		sys("status", "Status", "status", "", "status"),
		sys("priority", "Priority", "priority", "", "priority"),
		sys("labels", "Labels", "array", "string", "labels"),
		sys("components", "Components", "array", "component", "component"),
		sys("fixVersions", "Fix versions", "array", "version", "fixVersion"),
		sys("issuelinks", "Linked Issues", "array", "issuelinks", "issueLink"),
		parent,
		sys("subtasks", "Sub-tasks", "array", "issuelinks", "subtasks"),
		sys("votes", "Votes", "votes", "", "votes"),
		sys("watches", "Watchers", "watches", "", "watchers"),
		sys("duedate", "Due date", "date", "", "due", "duedate"),
		sys("created", "Created", "datetime", "", "created", "createdDate"),
		sys("updated", "Updated", "datetime", "", "updated", "updatedDate"),
		sys("resolution", "Resolution", "resolution", "", "resolution"),
		sys("resolutiondate", "Resolved", "datetime", "", "resolved", "resolutiondate"),
		sys("statuscategorychangedate", "Status Category Changed", "datetime", "", "statusCategoryChangedDate"),
		sys("project", "Project", "project", "", "project"),
		sys("reporter", "Reporter", "user", "", "reporter"),
		sys("assignee", "Assignee", "user", "", "assignee"),
		sys("creator", "Creator", "user", "", "creator"),
		sys("environment", "Environment", "string", "", "environment"),
		comment,
		custom(e.opts.StoryPointsField, e.opts.StoryPointsName, "number", "", "com.pyxis.greenhopper.jira:jsw-story-points"),
		custom(e.decoyField(), "Story Points", "number", "", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
		custom("customfield_10019", "Rank", "any", "", "com.pyxis.greenhopper.jira:gh-lexo-rank"),
		custom("customfield_10020", "Sprint", "array", "json", "com.pyxis.greenhopper.jira:gh-sprint"),
		custom("customfield_10015", "Start date", "date", "", "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"),
		custom(ReachField, "Reach", "number", "", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
		custom(BusinessValueField, "Business value", "number", "", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
	}
	return defs
}

// decoyField is the id of the plain "Story Points" float field.
func (e *Emulator) decoyField() string {
	if e.opts.StoryPointsField == DecoyStoryPointsField {
		return "customfield_10026"
	}
	return DecoyStoryPointsField
}

// fieldSel is a parsed fields parameter.
type fieldSel struct {
	all, nav bool
	ids      map[string]bool
	excl     map[string]bool
	key      bool // "key" asked: key and self without fields
}

// parseFieldSel parses Jira's fields list (items may be comma-separated).
func parseFieldSel(list []string, def string) fieldSel {
	var s fieldSel
	var items []string
	for _, l := range list {
		for _, x := range strings.Split(l, ",") {
			if x = strings.TrimSpace(x); x != "" {
				items = append(items, x)
			}
		}
	}
	if len(items) == 0 {
		items = []string{def}
	}
	for _, x := range items {
		switch {
		case x == "*all":
			s.all = true
		case x == "*navigable":
			s.nav = true
		case x == "id":
		case x == "key":
			s.key = true
		case strings.HasPrefix(x, "-"):
			if s.excl == nil {
				s.excl = map[string]bool{}
			}
			s.excl[x[1:]] = true
		default:
			if s.ids == nil {
				s.ids = map[string]bool{}
			}
			s.ids[x] = true
		}
	}
	// "-x" alone means all navigable fields but x.
	if !s.all && !s.nav && len(s.ids) == 0 && len(s.excl) > 0 {
		s.nav = true
	}
	return s
}

// idOnly reports whether only issue ids are asked (search's default).
func (s fieldSel) idOnly() bool { return !s.all && !s.nav && len(s.ids) == 0 && !s.key }

// cheap reports whether at most id and key are asked (large pages allowed).
func (s fieldSel) cheap() bool { return !s.all && !s.nav && len(s.ids) == 0 }

func (s fieldSel) wants(f *fieldDef) bool {
	if s.excl[f.ID] {
		return false
	}
	if s.ids[f.ID] {
		return true
	}
	return s.all || s.nav && f.Navigable
}

// issueBean is Jira's IssueBean.
type issueBean struct {
	Expand         string              `json:"expand,omitempty"`
	ID             string              `json:"id"`
	Self           string              `json:"self,omitempty"`
	Key            string              `json:"key,omitempty"`
	Fields         map[string]any      `json:"fields,omitempty"`
	RenderedFields map[string]any      `json:"renderedFields,omitempty"`
	Properties     any                 `json:"properties,omitempty"`
	Names          map[string]string   `json:"names,omitempty"`
	Schema         map[string]jsonType `json:"schema,omitempty"`
	Changelog      *changelogInline    `json:"changelog,omitempty"`
}

// changelogInline is PageOfChangelogs (expand=changelog): most recent first.
type changelogInline struct {
	StartAt    int              `json:"startAt"`
	MaxResults int              `json:"maxResults"`
	Total      int              `json:"total"`
	Histories  []map[string]any `json:"histories"`
}

const issueExpandable = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"

// renderOpts say what to put in an issue bean besides the fields.
type renderOpts struct {
	sel        fieldSel
	expand     map[string]bool
	properties []string
	// names and schema collect field names and schemas for the response
	// level (search) when not nil; otherwise they go on the issue.
	names  map[string]string
	schema map[string]jsonType
	// maxHistories caps expand=changelog (search and bulk fetch: 40).
	maxHistories int
}

func parseExpand(list ...string) map[string]bool {
	m := map[string]bool{}
	for _, l := range list {
		for _, x := range strings.Split(l, ",") {
			if x = strings.TrimSpace(x); x != "" {
				m[x] = true
			}
		}
	}
	return m
}

// renderIssue builds the IssueBean of is. The store lock must be held.
func (e *Emulator) renderIssue(base string, is *issue, o *renderOpts, defs []*fieldDef) issueBean {
	b := issueBean{ID: i64toa(is.ID)}
	if o.sel.idOnly() && len(o.properties) == 0 && len(o.expand) == 0 {
		return b
	}
	b.Expand = issueExpandable
	b.Self = issueURL(base, is.ID)
	b.Key = is.Key
	if !o.sel.cheap() {
		b.Fields = map[string]any{}
		for _, f := range defs {
			if !o.sel.wants(f) {
				continue
			}
			v, ok := e.fieldValue(base, is, f.ID)
			if !ok {
				continue
			}
			b.Fields[f.ID] = v
			if o.expand["names"] {
				if o.names != nil {
					o.names[f.ID] = f.Name
				} else {
					if b.Names == nil {
						b.Names = map[string]string{}
					}
					b.Names[f.ID] = f.Name
				}
			}
			if o.expand["schema"] && f.Schema != nil {
				if o.schema != nil {
					o.schema[f.ID] = *f.Schema
				} else {
					if b.Schema == nil {
						b.Schema = map[string]jsonType{}
					}
					b.Schema[f.ID] = *f.Schema
				}
			}
		}
		if o.expand["renderedFields"] {
			b.RenderedFields = e.renderedFields(is, b.Fields)
		}
	}
	if len(o.properties) > 0 {
		props := map[string]json.RawMessage{}
		for _, k := range o.properties {
			if k == "*all" {
				for pk, v := range is.Props {
					props[pk] = v
				}
				continue
			}
			if v, ok := is.Props[k]; ok {
				props[k] = v
			}
		}
		b.Properties = props
	}
	if o.expand["changelog"] {
		max := o.maxHistories
		if max == 0 {
			max = 100
		}
		cl := &changelogInline{Total: len(is.Histories), Histories: []map[string]any{}}
		for i := len(is.Histories) - 1; i >= 0 && len(cl.Histories) < max; i-- {
			cl.Histories = append(cl.Histories, e.renderHistory(base, is.Histories[i]))
		}
		cl.MaxResults = len(cl.Histories)
		b.Changelog = cl
	}
	return b
}

// fieldValue renders one field of is as Jira returns it; ok is false for a
// field that is absent rather than null (parent without a parent).
func (e *Emulator) fieldValue(base string, is *issue, id string) (any, bool) {
	switch id {
	case "summary":
		return is.Summary, true
	case "description":
		if d := is.description(); d != nil {
			return json.RawMessage(d), true
		}
		return nil, true
	case "issuetype":
		return e.frag(base, is.Type, func() any { return renderIssueType(base, is.Type) }), true
	case "status":
		return e.frag(base, is.Status, func() any { return renderStatus(base, is.Status) }), true
	case "priority":
		return e.frag(base, is.Priority, func() any { return renderPriority(base, is.Priority) }), true
	case "labels":
		if is.Labels == nil {
			return []string{}, true
		}
		return is.Labels, true
	case "components":
		out := make([]map[string]any, 0, len(is.Components))
		for _, c := range is.Components {
			m := map[string]any{"self": base + "/rest/api/3/component/" + c.ID, "id": c.ID, "name": c.Name}
			if c.Description != "" {
				m["description"] = c.Description
			}
			out = append(out, m)
		}
		return out, true
	case "fixVersions":
		out := make([]map[string]any, 0, len(is.FixVersions))
		for _, v := range is.FixVersions {
			out = append(out, renderVersion(base, is.Project, v))
		}
		return out, true
	case "issuelinks":
		out := make([]map[string]any, 0, len(is.Links))
		for _, l := range is.Links {
			out = append(out, e.renderLink(base, is, l))
		}
		return out, true
	case "parent":
		if is.Parent == nil {
			return nil, false
		}
		return e.linkedIssue(base, is.Parent), true
	case "subtasks":
		out := []map[string]any{}
		for _, c := range e.childrenOf(is) {
			if c.Type.Subtask {
				out = append(out, map[string]any{"id": i64toa(c.ID), "key": c.Key, "self": issueURL(base, c.ID),
					"fields": e.linkedFields(base, c)})
			}
		}
		return out, true
	case "votes":
		return map[string]any{"self": base + "/rest/api/3/issue/" + is.Key + "/votes", "votes": is.Votes, "hasVoted": false}, true
	case "watches":
		return map[string]any{"self": base + "/rest/api/3/issue/" + is.Key + "/watchers", "watchCount": is.Watches, "isWatching": false}, true
	case "duedate":
		if is.DueDate == "" {
			return nil, true
		}
		return is.DueDate, true
	case "created":
		return jiraTime(is.Created), true
	case "updated":
		return jiraTime(is.Updated), true
	case "resolution":
		if is.Status.Cat != catDone {
			return nil, true
		}
		return map[string]any{"self": base + "/rest/api/3/resolution/10000", "id": "10000", "description": "Work has been completed on this issue.", "name": "Done"}, true
	case "resolutiondate":
		if is.Status.Cat != catDone || is.Resolved.IsZero() {
			return nil, true
		}
		return jiraTime(is.Resolved), true
	case "statuscategorychangedate":
		return jiraTime(is.CatChanged), true
	case "project":
		return e.frag(base, is.Project, func() any { return renderProjectRef(base, is.Project) }), true
	case "reporter", "creator":
		return e.userFrag(base, is.Reporter), true
	case "assignee":
		return e.userFrag(base, is.Assignee), true
	case "environment":
		return nil, true
	case "comment":
		cs := make([]map[string]any, 0, len(is.Comments))
		for _, c := range is.Comments {
			cs = append(cs, renderComment(base, is, c))
		}
		return map[string]any{"comments": cs, "self": base + "/rest/api/3/issue/" + i64toa(is.ID) + "/comment",
			"maxResults": len(cs), "total": len(cs), "startAt": 0}, true
	case e.opts.StoryPointsField:
		if is.Points == nil {
			return nil, true
		}
		return *is.Points, true
	case "customfield_10019":
		return rankString(is), true
	case "customfield_10020", "customfield_10015", e.decoyField(), ReachField, BusinessValueField:
		if v, ok := is.Custom[id]; ok {
			return v, true
		}
		return nil, true
	}
	return nil, false
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// childrenOf lists issues whose parent is is, in the order they got it.
func (e *Emulator) childrenOf(is *issue) []*issue { return is.children }

func renderIssueType(base string, t *issueType) map[string]any {
	return map[string]any{
		"self": base + "/rest/api/3/issuetype/" + t.ID, "id": t.ID, "description": t.Description,
		"iconUrl": base + "/rest/api/2/universal_avatar/view/type/issuetype/avatar/" + itoa(t.AvatarID) + "?size=medium",
		"name":    t.Name, "subtask": t.Subtask, "avatarId": t.AvatarID, "hierarchyLevel": t.HierarchyLevel,
	}
}

func renderStatus(base string, s *status) map[string]any {
	c := s.Cat
	return map[string]any{
		"self": base + "/rest/api/3/status/" + s.ID, "description": "", "iconUrl": base + "/", "name": s.Name, "id": s.ID,
		"statusCategory": map[string]any{"self": base + "/rest/api/3/statuscategory/" + itoa(c.ID), "id": c.ID,
			"key": c.Key, "colorName": c.ColorName, "name": c.Name},
	}
}

func renderPriority(base string, p *priority) map[string]any {
	return map[string]any{"self": base + "/rest/api/3/priority/" + p.ID,
		"iconUrl": base + "/images/icons/priorities/" + strings.ToLower(p.Name) + ".svg", "name": p.Name, "id": p.ID}
}

func renderVersion(base string, p *project, v *version) map[string]any {
	m := map[string]any{"self": base + "/rest/api/3/version/" + v.ID, "id": v.ID, "name": v.Name,
		"archived": v.Archived, "released": v.Released}
	if v.Description != "" {
		m["description"] = v.Description
	}
	if v.ReleaseDate != "" {
		m["releaseDate"] = v.ReleaseDate
	}
	return m
}

func avatarURLs(base, kind, id string) map[string]string {
	u := base + "/secure/" + kind + "?avatarId=" + id
	return map[string]string{"48x48": u, "24x24": u + "&size=small", "16x16": u + "&size=xsmall", "32x32": u + "&size=medium"}
}

func renderProjectRef(base string, p *project) map[string]any {
	return map[string]any{"self": base + "/rest/api/3/project/" + p.ID, "id": p.ID, "key": p.Key, "name": p.Name,
		"projectTypeKey": "software", "simplified": false, "avatarUrls": avatarURLs(base, "projectavatar", "10400")}
}

func renderUser(base string, u *user) any {
	if u == nil {
		return nil
	}
	return map[string]any{"self": base + "/rest/api/3/user?accountId=" + u.AccountID, "accountId": u.AccountID,
		"avatarUrls": avatarURLs(base, "useravatar", "10122"), "displayName": u.DisplayName, "active": true,
		"timeZone": u.TimeZone, "accountType": u.AccountType}
}

// linkedFields are the few fields Jira embeds for a linked or parent issue.
func (e *Emulator) linkedFields(base string, is *issue) map[string]any {
	return map[string]any{"summary": is.Summary,
		"status":    e.frag(base, is.Status, func() any { return renderStatus(base, is.Status) }),
		"priority":  e.frag(base, is.Priority, func() any { return renderPriority(base, is.Priority) }),
		"issuetype": e.frag(base, is.Type, func() any { return renderIssueType(base, is.Type) })}
}

func (e *Emulator) linkedIssue(base string, is *issue) map[string]any {
	return map[string]any{"id": i64toa(is.ID), "key": is.Key, "self": issueURL(base, is.ID), "fields": e.linkedFields(base, is)}
}

// fragCache memoises the JSON of objects that are identical in every
// response for one base URL (statuses, priorities, issue types, projects,
// users): rendering them once instead of per issue halves the cost of a
// large search page.
type fragCache struct {
	mu   sync.Mutex
	base string
	m    map[any]json.RawMessage
}

func (e *Emulator) frag(base string, key any, build func() any) json.RawMessage {
	c := &e.frags
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base != base || c.m == nil {
		c.base, c.m = base, map[any]json.RawMessage{}
	}
	if b, ok := c.m[key]; ok {
		return b
	}
	b, _ := json.Marshal(build())
	c.m[key] = b
	return b
}

func (e *Emulator) userFrag(base string, u *user) any {
	if u == nil {
		return nil
	}
	return e.frag(base, u, func() any { return renderUser(base, u) })
}

func renderLinkType(base string, t *linkType) map[string]any {
	return map[string]any{"id": t.ID, "name": t.Name, "inward": t.Inward, "outward": t.Outward,
		"self": base + "/rest/api/3/issueLinkType/" + t.ID}
}

// renderLink renders l as seen from is: the issue holding the outward end
// (From) shows outwardIssue: To, the other shows inwardIssue: From.
func (e *Emulator) renderLink(base string, is *issue, l *link) map[string]any {
	m := map[string]any{"id": l.ID, "self": base + "/rest/api/3/issueLink/" + l.ID, "type": renderLinkType(base, l.Type)}
	if l.From == is {
		m["outwardIssue"] = e.linkedIssue(base, l.To)
	} else {
		m["inwardIssue"] = e.linkedIssue(base, l.From)
	}
	return m
}

func renderComment(base string, is *issue, c *comment) map[string]any {
	return map[string]any{
		"self": base + "/rest/api/3/issue/" + i64toa(is.ID) + "/comment/" + c.ID, "id": c.ID,
		"author": renderUser(base, c.Author), "body": json.RawMessage(c.Body), "updateAuthor": renderUser(base, c.Author),
		"created": jiraTime(c.Created), "updated": jiraTime(c.Updated), "jsdPublic": true,
	}
}

func (e *Emulator) renderHistory(base string, h *history) map[string]any {
	items := h.Items
	if items == nil {
		items = []changeItem{}
	}
	m := map[string]any{"id": h.ID, "created": jiraTime(h.Created), "items": items}
	if h.Author != nil {
		m["author"] = renderUser(base, h.Author)
	}
	return m
}

// renderedFields is expand=renderedFields: HTML for rich text, Jira's
// display format for dates. Fields without a rendered form are left out
// (Jira sends null, which its own description does not allow).
func (e *Emulator) renderedFields(is *issue, fields map[string]any) map[string]any {
	out := map[string]any{}
	if _, ok := fields["description"]; ok {
		if d := is.description(); d != nil {
			out["description"] = adfToHTML(d)
		}
	}
	if _, ok := fields["created"]; ok {
		out["created"] = is.Created.Format("02/Jan/06 3:04 PM")
	}
	if _, ok := fields["updated"]; ok {
		out["updated"] = is.Updated.Format("02/Jan/06 3:04 PM")
	}
	if _, ok := fields["duedate"]; ok && is.DueDate != "" {
		out["duedate"] = is.DueDate
	}
	return out
}
