// Package domain holds the types every part of BacklogAI speaks: issues as the
// analysis engine sees them, its results, tenants and drafts. It has no
// dependencies beyond the standard library; adapters (store, jira, llm, web)
// translate to and from these types.
package domain

import "time"

// IssueType is the kind of Jira issue, normalised. Checks treat stories
// differently from bugs, tasks and epics.
type IssueType string

const (
	TypeStory   IssueType = "story"
	TypeBug     IssueType = "bug"
	TypeTask    IssueType = "task"
	TypeEpic    IssueType = "epic"
	TypeSubtask IssueType = "subtask"
	TypeOther   IssueType = "other"
)

// NormaliseIssueType maps a Jira issue type name ("Story", "Sub-task", …) to
// an IssueType.
func NormaliseIssueType(name string) IssueType {
	switch lower(name) {
	case "story", "user story":
		return TypeStory
	case "bug", "defect":
		return TypeBug
	case "task", "improvement", "new feature", "feature":
		return TypeTask
	case "epic":
		return TypeEpic
	case "sub-task", "subtask":
		return TypeSubtask
	}
	return TypeOther
}

// StatusCategory is Jira's coarse status grouping.
type StatusCategory string

const (
	StatusToDo       StatusCategory = "new"
	StatusInProgress StatusCategory = "indeterminate"
	StatusDone       StatusCategory = "done"
)

// LinkKind is the relationship of a link as seen from the issue holding it.
type LinkKind string

const (
	LinkBlocks       LinkKind = "blocks"        // this issue blocks Other
	LinkBlockedBy    LinkKind = "blocked_by"    // this issue is blocked by Other
	LinkDuplicates   LinkKind = "duplicates"    // this issue duplicates Other
	LinkDuplicatedBy LinkKind = "duplicated_by" // Other duplicates this issue
	LinkRelates      LinkKind = "relates"
)

// Link is one issue link from the point of view of the issue that holds it.
type Link struct {
	Kind       LinkKind `json:"kind"`
	OtherKey   string   `json:"otherKey"`
	OtherDone  bool     `json:"otherDone,omitempty"` // the other issue is resolved
	OtherTitle string   `json:"otherTitle,omitempty"`
}

// Issue is a Jira issue as the analysis engine sees it. The Jira client and
// the story generator both fill it. Description is plain text (ADF already
// flattened, list items on their own lines prefixed with "- " or "1. ").
type Issue struct {
	ID          string         `json:"id"`
	Key         string         `json:"key"`
	ProjectKey  string         `json:"projectKey"`
	Type        IssueType      `json:"type"`
	Summary     string         `json:"summary"`
	Description string         `json:"description"`
	Labels      []string       `json:"labels,omitempty"`
	Components  []string       `json:"components,omitempty"`
	Priority    string         `json:"priority,omitempty"` // Jira priority name: Highest, High, Medium, Low, Lowest
	Status      string         `json:"status,omitempty"`
	StatusCat   StatusCategory `json:"statusCategory,omitempty"`
	Votes       int            `json:"votes"`
	Watchers    int            `json:"watchers"`
	Links       []Link         `json:"links,omitempty"`
	EpicKey     string         `json:"epicKey,omitempty"` // parent epic
	StoryPoints *float64       `json:"storyPoints,omitempty"`
	Created     time.Time      `json:"created"`
	Updated     time.Time      `json:"updated"`
	DueDate     *time.Time     `json:"dueDate,omitempty"`
	// FixVersionRelease is the earliest release date among the issue's fix
	// versions, if any has one.
	FixVersionRelease *time.Time `json:"fixVersionRelease,omitempty"`
	// RecentComments counts comments in the last 30 days (a demand signal).
	RecentComments int `json:"recentComments,omitempty"`
	// ParentKey is the parent of a sub-task: Jira's parent field when it
	// is not the epic.
	ParentKey string `json:"parentKey,omitempty"`
	// Inputs are framework inputs (RICE reach, WSJF job size …) entered in
	// the glance (the backlogai-inputs property); InputSources says
	// "entered" for each.
	Inputs       map[string]float64 `json:"inputs,omitempty"`
	InputSources map[string]string  `json:"inputSources,omitempty"`
	// FieldValues are the numbers of the Jira fields the project's
	// framework maps inputs to, by field id ("customfield_10050"); a field
	// that is empty on the issue is absent.
	FieldValues map[string]float64 `json:"fieldValues,omitempty"`
	// FieldsRead are the mapped field ids this snapshot was read with,
	// sorted: a field mapped later needs the issue read again.
	FieldsRead []string `json:"fieldsRead,omitempty"`
}

// Open reports whether the issue is not done.
func (i *Issue) Open() bool { return i.StatusCat != StatusDone }

// Text is the summary and description joined, as used for similarity.
func (i *Issue) Text() string {
	if i.Description == "" {
		return i.Summary
	}
	return i.Summary + "\n" + i.Description
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
