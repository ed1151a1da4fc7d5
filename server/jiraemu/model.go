package jiraemu

import (
	"encoding/json"
	"time"
)

// jiraTimeLayout is how Jira Cloud writes timestamps in REST responses.
const jiraTimeLayout = "2006-01-02T15:04:05.000-0700"

// dateLayout is Jira's format for date-only fields (duedate, releaseDate).
const dateLayout = "2006-01-02"

// statusCategory is one of Jira's three fixed status categories.
type statusCategory struct {
	ID        int
	Key       string
	Name      string
	ColorName string
}

var (
	catToDo       = &statusCategory{ID: 2, Key: "new", Name: "To Do", ColorName: "blue-gray"}
	catInProgress = &statusCategory{ID: 4, Key: "indeterminate", Name: "In Progress", ColorName: "yellow"}
	catDone       = &statusCategory{ID: 3, Key: "done", Name: "Done", ColorName: "green"}
)

var statusCategories = []*statusCategory{catToDo, catInProgress, catDone}

// status is a workflow status of the emulated site.
type status struct {
	ID   string
	Name string
	Cat  *statusCategory
}

// The site's statuses, as a classic Jira Software project has them.
var siteStatuses = []*status{
	{ID: "10000", Name: "To Do", Cat: catToDo},
	{ID: "3", Name: "In Progress", Cat: catInProgress},
	{ID: "10001", Name: "In Review", Cat: catInProgress},
	{ID: "10002", Name: "Done", Cat: catDone},
}

// issueType is an issue type of the emulated site.
type issueType struct {
	ID             string
	Name           string
	Description    string
	Subtask        bool
	HierarchyLevel int
	AvatarID       int
}

var siteIssueTypes = []*issueType{
	{ID: "10000", Name: "Epic", Description: "A big user story that needs to be broken down.", HierarchyLevel: 1, AvatarID: 10307},
	{ID: "10001", Name: "Story", Description: "Functionality or a feature expressed as a user goal.", AvatarID: 10315},
	{ID: "10002", Name: "Task", Description: "A small, distinct piece of work.", AvatarID: 10318},
	{ID: "10003", Name: "Bug", Description: "A problem or error.", AvatarID: 10303},
	{ID: "10004", Name: "Subtask", Description: "A small piece of work that's part of a larger task.", Subtask: true, HierarchyLevel: -1, AvatarID: 10316},
}

// priority is a Jira priority; Rank 1 is the highest.
type priority struct {
	ID   string
	Name string
	Rank int
}

var sitePriorities = []*priority{
	{ID: "1", Name: "Highest", Rank: 1},
	{ID: "2", Name: "High", Rank: 2},
	{ID: "3", Name: "Medium", Rank: 3},
	{ID: "4", Name: "Low", Rank: 4},
	{ID: "5", Name: "Lowest", Rank: 5},
}

// linkType is an issue link type. For a link {type, inwardIssue A,
// outwardIssue B} as POSTed, A "outward"s B (A blocks B).
type linkType struct {
	ID      string
	Name    string
	Inward  string
	Outward string
}

var siteLinkTypes = []*linkType{
	{ID: "10000", Name: "Blocks", Inward: "is blocked by", Outward: "blocks"},
	{ID: "10001", Name: "Cloners", Inward: "is cloned by", Outward: "clones"},
	{ID: "10002", Name: "Duplicate", Inward: "is duplicated by", Outward: "duplicates"},
	{ID: "10003", Name: "Relates", Inward: "relates to", Outward: "relates to"},
}

// user is an Atlassian account.
type user struct {
	AccountID   string
	DisplayName string
	AccountType string // "atlassian" or "app"
	TimeZone    string
}

type component struct {
	ID          string
	Name        string
	Description string
}

type version struct {
	ID          string
	Name        string
	Description string
	ReleaseDate string // YYYY-MM-DD or ""
	Released    bool
	Archived    bool
}

type project struct {
	ID          string
	Key         string
	Name        string
	Description string
	Lead        *user
	Components  []*component
	Versions    []*version
	BoardID     int
	nextNum     int
}

func (p *project) component(idOrName string) *component {
	for _, c := range p.Components {
		if c.ID == idOrName || c.Name == idOrName {
			return c
		}
	}
	return nil
}

func (p *project) version(idOrName string) *version {
	for _, v := range p.Versions {
		if v.ID == idOrName || v.Name == idOrName {
			return v
		}
	}
	return nil
}

type comment struct {
	ID      string
	Author  *user
	Body    json.RawMessage
	Created time.Time
	Updated time.Time
}

// changeItem is one field change of a changelog entry, as Jira reports it.
type changeItem struct {
	Field      string  `json:"field"`
	FieldType  string  `json:"fieldtype"`
	FieldID    string  `json:"fieldId,omitempty"`
	From       *string `json:"from"`
	FromString *string `json:"fromString"`
	To         *string `json:"to"`
	ToString   *string `json:"toString"`
}

type history struct {
	ID      string
	Author  *user
	Created time.Time
	Items   []changeItem
}

// link is one issue link. From "outward"s To: for Blocks, From blocks To.
// POST /issueLink {inwardIssue: A, outwardIssue: B} stores From=A, To=B;
// A's issuelinks entry then shows outwardIssue B, B's shows inwardIssue A.
type link struct {
	ID   string
	Type *linkType
	From *issue
	To   *issue
}

// issue is the emulator's record of one issue.
type issue struct {
	ID          int64
	Key         string
	Num         int
	Project     *project
	Type        *issueType
	Status      *status
	Priority    *priority
	Summary     string
	desc        json.RawMessage
	lazyDesc    func() json.RawMessage
	Labels      []string
	Components  []*component
	FixVersions []*version
	Parent      *issue
	children    []*issue
	DueDate     string
	Points      *float64
	Custom      map[string]json.RawMessage // other custom fields set through the API
	Votes       int
	Watches     int
	Reporter    *user
	Assignee    *user
	Created     time.Time
	Updated     time.Time
	Resolved    time.Time // zero unless done
	CatChanged  time.Time // statuscategorychangedate
	Links       []*link
	Comments    []*comment
	Histories   []*history
	Props       map[string]json.RawMessage
	// aliasVals caches the JQL alias values extracted from Props, indexed
	// like Emulator.aliases; nil entries mean "no value".
	aliasVals []any
	deleted   bool
	rank      int64 // position in the global rank order; 0: by creation (rank.go)
}

// description returns the issue's ADF description or nil.
func (is *issue) description() json.RawMessage {
	if is.desc == nil && is.lazyDesc != nil {
		return is.lazyDesc()
	}
	return is.desc
}

func (is *issue) setDescription(raw json.RawMessage) {
	is.desc = raw
	is.lazyDesc = nil
}

func findStatus(name string) *status {
	for _, s := range siteStatuses {
		if equalFold(s.Name, name) || s.ID == name {
			return s
		}
	}
	return nil
}

func findIssueType(idOrName string) *issueType {
	for _, t := range siteIssueTypes {
		if t.ID == idOrName || equalFold(t.Name, idOrName) {
			return t
		}
	}
	if equalFold(idOrName, "Sub-task") {
		return siteIssueTypes[4]
	}
	return nil
}

func findPriority(idOrName string) *priority {
	for _, p := range sitePriorities {
		if p.ID == idOrName || equalFold(p.Name, idOrName) {
			return p
		}
	}
	return nil
}

func findLinkType(idOrName string) *linkType {
	for _, t := range siteLinkTypes {
		if t.ID == idOrName || equalFold(t.Name, idOrName) {
			return t
		}
	}
	return nil
}

func findStatusCategory(v string) *statusCategory {
	for _, c := range statusCategories {
		if equalFold(c.Name, v) || equalFold(c.Key, v) || itoa(c.ID) == v {
			return c
		}
	}
	return nil
}

func jiraTime(t time.Time) string { return t.Format(jiraTimeLayout) }

func strp(s string) *string { return &s }
