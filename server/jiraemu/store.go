package jiraemu

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// store holds every entity of the emulated site. The Emulator's mu guards it.
type store struct {
	projects map[string]*project // by upper-case key
	projByID map[string]*project
	issues   []*issue // creation order; deleted issues are removed
	byKey    map[string]*issue
	byID     map[int64]*issue
	users    map[string]*user

	nextIssueID   int64
	nextProjectID int64
	nextCompID    int64
	nextVersionID int64
	nextLinkID    int64
	nextCommentID int64
	nextHistoryID int64

	// version changes on every change that can alter search results other
	// than entity properties; propVersion on every property change.
	version     uint64
	propVersion uint64
}

func newStore() *store {
	return &store{
		projects:      map[string]*project{},
		projByID:      map[string]*project{},
		byKey:         map[string]*issue{},
		byID:          map[int64]*issue{},
		users:         map[string]*user{},
		nextIssueID:   10000,
		nextProjectID: 10000,
		nextCompID:    10000,
		nextVersionID: 10000,
		nextLinkID:    10000,
		nextCommentID: 10000,
		nextHistoryID: 10000,
	}
}

// issue finds an issue by id or key (keys are case-insensitive, as in Jira).
func (s *store) issue(idOrKey string) *issue {
	if n, err := strconv.ParseInt(idOrKey, 10, 64); err == nil {
		return s.byID[n]
	}
	return s.byKey[strings.ToUpper(idOrKey)]
}

func (s *store) project(idOrKey string) *project {
	if p := s.projByID[idOrKey]; p != nil {
		return p
	}
	return s.projects[strings.ToUpper(idOrKey)]
}

func (s *store) user(accountID string) *user {
	if accountID == "" {
		return nil
	}
	return s.users[accountID]
}

func (s *store) addUser(u *user) {
	if _, ok := s.users[u.AccountID]; !ok {
		s.users[u.AccountID] = u
	}
}

func (s *store) newHistoryID() string {
	s.nextHistoryID++
	return i64toa(s.nextHistoryID)
}

func (s *store) newCommentID() string {
	s.nextCommentID++
	return i64toa(s.nextCommentID)
}

func (s *store) newLinkID() string {
	s.nextLinkID++
	return i64toa(s.nextLinkID)
}

// addIssue registers a new issue (ID, Key and Num already set).
func (s *store) addIssue(is *issue) {
	s.issues = append(s.issues, is)
	s.byKey[is.Key] = is
	s.byID[is.ID] = is
	if is.ID >= s.nextIssueID {
		s.nextIssueID = is.ID
	}
	if is.Num >= is.Project.nextNum {
		is.Project.nextNum = is.Num + 1
	}
	s.version++
}

func (s *store) removeIssue(is *issue) {
	is.deleted = true
	delete(s.byKey, is.Key)
	delete(s.byID, is.ID)
	for i, x := range s.issues {
		if x == is {
			s.issues = append(s.issues[:i], s.issues[i+1:]...)
			break
		}
	}
	for _, l := range is.Links {
		other := l.To
		if other == is {
			other = l.From
		}
		other.Links = removeLink(other.Links, l)
	}
	is.Links = nil
	for _, c := range is.children {
		c.Parent = nil
	}
	is.children = nil
	s.setParent(is, nil)
	s.version++
}

// setParent makes parent (nil: none) the parent of child.
func (s *store) setParent(child, parent *issue) {
	if old := child.Parent; old != nil {
		out := old.children[:0]
		for _, c := range old.children {
			if c != child {
				out = append(out, c)
			}
		}
		old.children = out
	}
	child.Parent = parent
	if parent != nil {
		parent.children = append(parent.children, child)
	}
	s.version++
}

func removeLink(ls []*link, l *link) []*link {
	out := ls[:0]
	for _, x := range ls {
		if x != l {
			out = append(out, x)
		}
	}
	return out
}

// addLink links from → to (from "outward"s to) unless an equal link exists.
func (s *store) addLink(t *linkType, from, to *issue) *link {
	for _, l := range from.Links {
		if l.Type == t && l.From == from && l.To == to {
			return l
		}
	}
	l := &link{ID: s.newLinkID(), Type: t, From: from, To: to}
	from.Links = append(from.Links, l)
	if to != from {
		to.Links = append(to.Links, l)
	}
	s.version++
	return l
}

// load adds a fixture's project, users, issues and links. shift moves every
// time in the fixture forward (RebaseTimes).
func (s *store) load(f *Fixture, shift time.Duration, setProps func(*issue, map[string]json.RawMessage)) error {
	fp := f.Project
	key := strings.ToUpper(fp.Key)
	if key == "" {
		return fmt.Errorf("jiraemu: fixture project has no key")
	}
	if _, dup := s.projects[key]; dup {
		return fmt.Errorf("jiraemu: project %s loaded twice", key)
	}
	for _, u := range f.Users {
		s.addUser(&user{AccountID: u.AccountID, DisplayName: u.DisplayName, AccountType: "atlassian", TimeZone: "Europe/London"})
	}
	p := &project{ID: fp.ID, Key: key, Name: fp.Name, Description: fp.Description, Lead: s.user(fp.Lead), BoardID: fp.BoardID, nextNum: 1}
	if p.ID == "" {
		s.nextProjectID++
		p.ID = i64toa(s.nextProjectID)
	}
	if p.BoardID == 0 {
		p.BoardID = len(s.projects) + 1
	}
	for _, c := range fp.Components {
		s.nextCompID++
		p.Components = append(p.Components, &component{ID: i64toa(s.nextCompID), Name: c.Name, Description: c.Description})
	}
	for _, v := range fp.Versions {
		s.nextVersionID++
		p.Versions = append(p.Versions, &version{ID: i64toa(s.nextVersionID), Name: v.Name, Description: v.Description,
			ReleaseDate: shiftDate(v.ReleaseDate, shift), Released: v.Released})
	}
	s.projects[key] = p
	s.projByID[p.ID] = p

	type parentRef struct {
		child *issue
		key   string
	}
	var parents []parentRef
	for i := range f.Issues {
		fi := &f.Issues[i]
		is, err := s.issueFromFixture(p, fi, shift)
		if err != nil {
			return err
		}
		if _, dup := s.byKey[is.Key]; dup {
			return fmt.Errorf("jiraemu: fixture issue %s twice", is.Key)
		}
		if _, dup := s.byID[is.ID]; dup {
			return fmt.Errorf("jiraemu: fixture issue id %d twice", is.ID)
		}
		s.addIssue(is)
		if fi.Parent != "" {
			parents = append(parents, parentRef{is, fi.Parent})
		}
		if len(fi.Properties) > 0 {
			setProps(is, fi.Properties)
		}
	}
	for _, pr := range parents {
		parent := s.issue(pr.key)
		if parent == nil {
			return fmt.Errorf("jiraemu: fixture issue %s: parent %s not found", pr.child.Key, pr.key)
		}
		s.setParent(pr.child, parent)
	}
	for _, fl := range f.Links {
		t := findLinkType(fl.Type)
		from, to := s.issue(fl.Inward), s.issue(fl.Outward)
		if t == nil || from == nil || to == nil {
			return fmt.Errorf("jiraemu: fixture link %s %s→%s: unknown type or issue", fl.Type, fl.Inward, fl.Outward)
		}
		s.addLink(t, from, to)
	}
	return nil
}

func (s *store) issueFromFixture(p *project, fi *FixtureIssue, shift time.Duration) (*issue, error) {
	is := &issue{Project: p, Summary: fi.Summary, Votes: fi.Votes, Watches: fi.Watches}
	if fi.Key == "" {
		is.Num = p.nextNum
		is.Key = p.Key + "-" + itoa(is.Num)
	} else {
		k := strings.ToUpper(fi.Key)
		prefix, num, ok := strings.Cut(k, "-")
		n, err := strconv.Atoi(num)
		if !ok || prefix != p.Key || err != nil || n <= 0 {
			return nil, fmt.Errorf("jiraemu: fixture issue key %q is not %s-<n>", fi.Key, p.Key)
		}
		is.Key, is.Num = k, n
	}
	if fi.ID == "" {
		s.nextIssueID++
		is.ID = s.nextIssueID
	} else {
		n, err := strconv.ParseInt(fi.ID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("jiraemu: fixture issue %s: id %q: %w", is.Key, fi.ID, err)
		}
		is.ID = n
	}
	if is.Type = findIssueType(fi.Type); is.Type == nil {
		return nil, fmt.Errorf("jiraemu: fixture issue %s: unknown type %q", is.Key, fi.Type)
	}
	if is.Status = findStatus(fi.Status); is.Status == nil {
		return nil, fmt.Errorf("jiraemu: fixture issue %s: unknown status %q", is.Key, fi.Status)
	}
	prio := fi.Priority
	if prio == "" {
		prio = "Medium"
	}
	if is.Priority = findPriority(prio); is.Priority == nil {
		return nil, fmt.Errorf("jiraemu: fixture issue %s: unknown priority %q", is.Key, fi.Priority)
	}
	if fi.Description != nil && string(fi.Description) != "null" {
		is.desc = fi.Description
	} else if fi.lazy != nil {
		is.lazyDesc = fi.lazy
	}
	is.Labels = fi.Labels
	for _, c := range fi.Components {
		comp := p.component(c)
		if comp == nil {
			return nil, fmt.Errorf("jiraemu: fixture issue %s: unknown component %q", is.Key, c)
		}
		is.Components = append(is.Components, comp)
	}
	for _, v := range fi.FixVersions {
		ver := p.version(v)
		if ver == nil {
			return nil, fmt.Errorf("jiraemu: fixture issue %s: unknown version %q", is.Key, v)
		}
		is.FixVersions = append(is.FixVersions, ver)
	}
	is.DueDate = shiftDate(fi.DueDate, shift)
	is.Points = fi.StoryPoints
	if len(fi.Custom) > 0 {
		is.Custom = maps.Clone(fi.Custom)
	}
	is.Reporter = s.user(fi.Reporter)
	is.Assignee = s.user(fi.Assignee)
	is.Created = fi.Created.Add(shift)
	is.Updated = fi.Updated.Add(shift)
	if is.Updated.Before(is.Created) {
		is.Updated = is.Created
	}
	is.CatChanged = is.Created
	for _, fc := range fi.Comments {
		is.Comments = append(is.Comments, &comment{ID: s.newCommentID(), Author: s.user(fc.Author), Body: fc.Body,
			Created: fc.Created.Add(shift), Updated: fc.Created.Add(shift)})
	}
	for _, fh := range fi.Changelog {
		h := &history{ID: s.newHistoryID(), Author: s.user(fh.Author), Created: fh.Created.Add(shift)}
		for _, it := range fh.Items {
			h.Items = append(h.Items, changeItem{Field: it.Field, FieldType: it.FieldType, FieldID: it.FieldID,
				From: optStr(it.From), FromString: optStr(it.FromString), To: optStr(it.To), ToString: optStr(it.ToString)})
			if it.FieldID == "status" || it.Field == "status" {
				from, to := findStatus(it.FromString), findStatus(it.ToString)
				if from != nil && to != nil && from.Cat != to.Cat {
					is.CatChanged = h.Created
				}
			}
		}
		is.Histories = append(is.Histories, h)
	}
	if is.Status.Cat == catDone {
		is.Resolved = is.CatChanged
		if is.Resolved.Equal(is.Created) {
			is.Resolved = is.Updated
		}
	}
	return is, nil
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// shiftDate moves a YYYY-MM-DD date by shift, rounded to whole days.
func shiftDate(d string, shift time.Duration) string {
	if d == "" || shift == 0 {
		return d
	}
	t, err := time.Parse(dateLayout, d)
	if err != nil {
		return d
	}
	days := int((shift + 12*time.Hour) / (24 * time.Hour))
	return t.AddDate(0, 0, days).Format(dateLayout)
}
