package jiraemu

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Fixture is the seed data of one emulated project: its metadata, people,
// issues (with comments, changelog and entity properties) and links. It is
// the format of fixtures/*.json; Generate builds large synthetic ones.
type Fixture struct {
	// Now is the moment the fixture was written for. With
	// Options.RebaseTimes every time in it is shifted so that Now becomes
	// the emulator's present.
	Now     time.Time      `json:"now"`
	Project FixtureProject `json:"project"`
	Users   []FixtureUser  `json:"users"`
	Issues  []FixtureIssue `json:"issues"`
	Links   []FixtureLink  `json:"links,omitempty"`
}

// FixtureProject describes the project the fixture's issues belong to.
type FixtureProject struct {
	ID          string             `json:"id"`
	Key         string             `json:"key"`
	Name        string             `json:"name"`
	Description string             `json:"description,omitempty"`
	Lead        string             `json:"lead,omitempty"` // accountId
	BoardID     int                `json:"boardId"`
	Components  []FixtureComponent `json:"components,omitempty"`
	Versions    []FixtureVersion   `json:"versions,omitempty"`
}

// FixtureComponent is a project component.
type FixtureComponent struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// FixtureVersion is a project version (fix version).
type FixtureVersion struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	ReleaseDate string `json:"releaseDate,omitempty"` // YYYY-MM-DD
	Released    bool   `json:"released,omitempty"`
}

// FixtureUser is an Atlassian account.
type FixtureUser struct {
	AccountID   string `json:"accountId"`
	DisplayName string `json:"displayName"`
}

// FixtureIssue is one issue. Type, Status and Priority are names of the
// site's issue types (Epic, Story, Task, Bug, Subtask), statuses (To Do,
// In Progress, In Review, Done) and priorities (Highest … Lowest).
type FixtureIssue struct {
	ID          string                     `json:"id,omitempty"`
	Key         string                     `json:"key"`
	Type        string                     `json:"type"`
	Status      string                     `json:"status"`
	Priority    string                     `json:"priority,omitempty"`
	Summary     string                     `json:"summary"`
	Description json.RawMessage            `json:"description,omitempty"` // ADF
	Labels      []string                   `json:"labels,omitempty"`
	Components  []string                   `json:"components,omitempty"`
	FixVersions []string                   `json:"fixVersions,omitempty"`
	Parent      string                     `json:"parent,omitempty"`  // key
	DueDate     string                     `json:"dueDate,omitempty"` // YYYY-MM-DD
	StoryPoints *float64                   `json:"storyPoints,omitempty"`
	Votes       int                        `json:"votes,omitempty"`
	Watches     int                        `json:"watches,omitempty"`
	Reporter    string                     `json:"reporter,omitempty"`
	Assignee    string                     `json:"assignee,omitempty"`
	Created     time.Time                  `json:"created"`
	Updated     time.Time                  `json:"updated"`
	Comments    []FixtureComment           `json:"comments,omitempty"`
	Changelog   []FixtureHistory           `json:"changelog,omitempty"`
	Properties  map[string]json.RawMessage `json:"properties,omitempty"`
	// Custom holds other custom field values by id (ReachField …).
	Custom map[string]json.RawMessage `json:"custom,omitempty"`

	// lazy renders the description on demand (Generate), so that large
	// synthetic projects do not hold every ADF document in memory.
	lazy func() json.RawMessage
}

// FixtureComment is a comment with an ADF body.
type FixtureComment struct {
	Author  string          `json:"author"`
	Body    json.RawMessage `json:"body"`
	Created time.Time       `json:"created"`
}

// FixtureHistory is one changelog entry.
type FixtureHistory struct {
	Author  string              `json:"author"`
	Created time.Time           `json:"created"`
	Items   []FixtureChangeItem `json:"items"`
}

// FixtureChangeItem is one field change, in Jira's changelog shape.
type FixtureChangeItem struct {
	Field      string `json:"field"`
	FieldType  string `json:"fieldtype"`
	FieldID    string `json:"fieldId,omitempty"`
	From       string `json:"from,omitempty"`
	FromString string `json:"fromString,omitempty"`
	To         string `json:"to,omitempty"`
	ToString   string `json:"toString,omitempty"`
}

// FixtureLink is an issue link in POST /issueLink terms: for Blocks,
// Inward blocks Outward; for Duplicate, Inward duplicates Outward.
type FixtureLink struct {
	Type    string `json:"type"`
	Inward  string `json:"inward"`
	Outward string `json:"outward"`
}

//go:embed fixtures/shop.json
var shopJSON []byte

// DemoFixture returns the SHOP demo project (an e-commerce platform team's
// backlog) from fixtures/shop.json.
func DemoFixture() (*Fixture, error) {
	var f Fixture
	if err := json.Unmarshal(shopJSON, &f); err != nil {
		return nil, fmt.Errorf("jiraemu: demo fixture: %w", err)
	}
	return &f, nil
}

// ReadFixture decodes a fixture in the fixtures/*.json format.
func ReadFixture(r io.Reader) (*Fixture, error) {
	var f Fixture
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("jiraemu: read fixture: %w", err)
	}
	return &f, nil
}

// MarshalJSON writes the description even when it is rendered lazily.
func (fi FixtureIssue) MarshalJSON() ([]byte, error) {
	type plain FixtureIssue
	p := plain(fi)
	if p.Description == nil && fi.lazy != nil {
		p.Description = fi.lazy()
	}
	return json.Marshal(p)
}
