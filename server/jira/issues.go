package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/domain"
)

// defaultFields are the fields read for domain.Issue (the story points
// field is added to them).
var defaultFields = []string{
	"summary", "description", "issuetype", "project", "labels", "components", "priority",
	"status", "votes", "watches", "issuelinks", "parent", "created", "updated", "duedate",
	"fixVersions",
}

// maxSearchProperties is Jira's limit on properties[] in a search.
const maxSearchProperties = 5

// ScanOptions narrow a project scan.
type ScanOptions struct {
	// JQLExtra is ANDed to "project = KEY".
	JQLExtra string
	// Fields to read; nil means the default fields plus story points.
	Fields []string
	// Properties are issue entity property keys to return (at most 5).
	Properties []string
	// NumberFields are field ids read as numbers into Issue.FieldValues
	// (the fields a framework maps inputs to); each issue records them in
	// FieldsRead.
	NumberFields []string
}

// Page is one page of a scan.
type Page struct {
	Issues []domain.Issue
	// Properties holds, per issue (same index), the raw values of the
	// properties asked for that the issue has; nil when none were asked.
	Properties []map[string]json.RawMessage
}

// IterateIssues pages through every issue of the project that matches
// jqlExtra (may be empty), calling fn with each page's issues in order. It
// uses POST /search/jql with the page size of Options (Jira may return
// fewer) and stops when Jira sends no nextPageToken. fields nil means
// the default fields. An error from fn stops the scan and is returned.
func (c *Client) IterateIssues(ctx context.Context, projectKey, jqlExtra string, fields []string, fn func([]domain.Issue) error) error {
	return c.Scan(ctx, projectKey, ScanOptions{JQLExtra: jqlExtra, Fields: fields}, func(p Page) error {
		return fn(p.Issues)
	})
}

// Scan is IterateIssues with entity properties: each page also carries the
// raw values of opts.Properties.
func (c *Client) Scan(ctx context.Context, projectKey string, opts ScanOptions, fn func(Page) error) error {
	token := ""
	for {
		page, next, err := c.ScanPage(ctx, projectKey, opts, token)
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// ScanPage reads one page of a project scan starting at pageToken ("" for
// the first page) and returns the token of the next page, "" after the
// last one. Callers that persist the token can resume a scan after a
// restart.
func (c *Client) ScanPage(ctx context.Context, projectKey string, opts ScanOptions, pageToken string) (Page, string, error) {
	if len(withInputs(opts.Properties)) > maxSearchProperties {
		return Page{}, "", fmt.Errorf("jira: scan %s: at most %d properties besides %s: %w", projectKey, maxSearchProperties-1, InputsProperty, domain.ErrInvalid)
	}
	jql, err := ProjectJQL(projectKey, opts.JQLExtra)
	if err != nil {
		return Page{}, "", fmt.Errorf("jira: scan: %w", err)
	}
	sp, err := c.storyPointsFieldForRead(ctx)
	if err != nil {
		return Page{}, "", fmt.Errorf("jira: scan %s: %w", projectKey, err)
	}
	fields := opts.Fields
	if fields == nil {
		fields = withField(defaultFields, sp)
	}
	fields = withNumberFields(fields, opts.NumberFields)
	req := searchRequest{JQL: jql, Fields: fields, MaxResults: c.opts.PageSize, Properties: withInputs(opts.Properties), NextPageToken: pageToken}
	var resp searchResponse
	if err := c.do(ctx, "POST", "rest/api/3/search/jql", &req, &resp); err != nil {
		return Page{}, "", fmt.Errorf("jira: scan %s: %w", projectKey, err)
	}
	page := Page{Issues: make([]domain.Issue, len(resp.Issues))}
	if len(opts.Properties) > 0 {
		page.Properties = make([]map[string]json.RawMessage, len(resp.Issues))
	}
	for i := range resp.Issues {
		page.Issues[i] = resp.Issues[i].toDomain(sp, opts.NumberFields)
		if page.Properties != nil {
			page.Properties[i] = resp.Issues[i].Properties
		}
	}
	return page, resp.NextPageToken, nil
}

// ProjectJQL is the bounded query of a project scan: project = "KEY",
// ANDed with extra when given.
func ProjectJQL(projectKey, extra string) (string, error) {
	if projectKey == "" || strings.ContainsAny(projectKey, "\"\\ ") {
		return "", fmt.Errorf("bad project key %q: %w", projectKey, domain.ErrInvalid)
	}
	jql := `project = "` + projectKey + `"`
	if extra = strings.TrimSpace(extra); extra != "" {
		jql += " AND (" + extra + ")"
	}
	return jql, nil
}

// BulkFetch reads the given issues (ids or keys), 100 per call, with the
// numberFields as in ScanOptions. Issues Jira does not return (missing or
// not visible) are left out.
func (c *Client) BulkFetch(ctx context.Context, keys, numberFields []string) ([]domain.Issue, error) {
	sp, err := c.storyPointsFieldForRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("jira: bulk fetch: %w", err)
	}
	fields := withNumberFields(withField(defaultFields, sp), numberFields)
	out := make([]domain.Issue, 0, len(keys))
	for start := 0; start < len(keys); start += maxBulkFetch {
		chunk := keys[start:min(start+maxBulkFetch, len(keys))]
		var resp bulkFetchResponse
		body := bulkFetchRequest{IssueIDsOrKeys: chunk, Fields: fields, Properties: []string{InputsProperty}}
		if err := c.do(ctx, "POST", "rest/api/3/issue/bulkfetch", &body, &resp); err != nil {
			return out, fmt.Errorf("jira: bulk fetch: %w", err)
		}
		for i := range resp.Issues {
			out = append(out, resp.Issues[i].toDomain(sp, numberFields))
		}
	}
	return out, nil
}

// History is one changelog entry of an issue.
type History struct {
	ID        string       `json:"id"`
	AccountID string       `json:"accountId,omitempty"`
	Created   time.Time    `json:"created"`
	Items     []ChangeItem `json:"items"`
}

// ChangeItem is one field change in a History.
type ChangeItem struct {
	Field      string `json:"field"`
	FieldID    string `json:"fieldId,omitempty"`
	From       string `json:"from,omitempty"`
	FromString string `json:"fromString,omitempty"`
	To         string `json:"to,omitempty"`
	ToString   string `json:"toString,omitempty"`
}

// IssueDetails is one issue with its changelog when asked for.
type IssueDetails struct {
	domain.Issue
	// Changelog is what expand=changelog returns (Jira caps it at the
	// latest 100 entries), oldest first.
	Changelog []History
}

// GetIssue reads one issue. A missing issue and one the app may not see
// both give an error wrapping domain.ErrNotFound, as Jira does not tell
// them apart.
func (c *Client) GetIssue(ctx context.Context, key string, withChangelog bool) (IssueDetails, error) {
	sp, err := c.storyPointsFieldForRead(ctx)
	if err != nil {
		return IssueDetails{}, fmt.Errorf("jira: get issue %s: %w", key, err)
	}
	q := url.Values{}
	q.Set("fields", strings.Join(withField(defaultFields, sp), ","))
	q.Set("properties", InputsProperty)
	if withChangelog {
		q.Set("expand", "changelog")
	}
	var raw rawIssue
	if err := c.do(ctx, "GET", "rest/api/3/issue/"+url.PathEscape(key)+"?"+q.Encode(), nil, &raw); err != nil {
		return IssueDetails{}, fmt.Errorf("jira: get issue %s: %w", key, err)
	}
	d := IssueDetails{Issue: raw.toDomain(sp, nil)}
	if raw.Changelog != nil {
		for _, h := range raw.Changelog.Histories {
			entry := History{ID: h.ID, Created: parseTime(h.Created), Items: h.Items}
			if h.Author != nil {
				entry.AccountID = h.Author.AccountID
			}
			d.Changelog = append(d.Changelog, entry)
		}
		// Jira lists expanded histories newest first.
		if n := len(d.Changelog); n > 1 && d.Changelog[0].Created.After(d.Changelog[n-1].Created) {
			for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
				d.Changelog[i], d.Changelog[j] = d.Changelog[j], d.Changelog[i]
			}
		}
	}
	return d, nil
}

// ApproximateCount asks Jira how many issues a bounded JQL matches.
func (c *Client) ApproximateCount(ctx context.Context, jql string) (int, error) {
	var resp struct {
		Count int `json:"count"`
	}
	if err := c.do(ctx, "POST", "rest/api/3/search/approximate-count", map[string]string{"jql": jql}, &resp); err != nil {
		return 0, fmt.Errorf("jira: approximate count: %w", err)
	}
	return resp.Count, nil
}

// storyPointsFieldForRead returns the story points field, discovering it
// on first use. A site without one reads no points; an ambiguous site is
// an error (never guessed).
func (c *Client) storyPointsFieldForRead(ctx context.Context) (string, error) {
	id, err := c.DiscoverStoryPointsField(ctx, 0)
	switch {
	case errors.Is(err, ErrNoStoryPointsField):
		return "", nil
	case errors.Is(err, ErrAmbiguousField):
		// Reading without story points guesses nothing: issues simply
		// carry none until someone picks the field (writes still refuse).
		c.opts.Logger.Warn("story points field is ambiguous; reading issues without story points", "err", err)
		return "", nil
	}
	return id, err
}

// withNumberFields adds the ids of extra to fields, once each.
func withNumberFields(fields, extra []string) []string {
	if len(extra) == 0 {
		return fields
	}
	out := slices.Clone(fields)
	for _, id := range extra {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func withField(fields []string, extra string) []string {
	out := make([]string, 0, len(fields)+1)
	out = append(out, fields...)
	if extra != "" {
		out = append(out, extra)
	}
	return out
}

// Wire types of the search and issue endpoints.

type searchRequest struct {
	JQL           string   `json:"jql"`
	NextPageToken string   `json:"nextPageToken,omitempty"`
	MaxResults    int      `json:"maxResults,omitempty"`
	Fields        []string `json:"fields,omitempty"`
	Properties    []string `json:"properties,omitempty"`
}

type searchResponse struct {
	Issues        []rawIssue `json:"issues"`
	NextPageToken string     `json:"nextPageToken"`
	IsLast        bool       `json:"isLast"`
}

type bulkFetchRequest struct {
	IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
	Fields         []string `json:"fields,omitempty"`
	Properties     []string `json:"properties,omitempty"`
}

type bulkFetchResponse struct {
	Issues []rawIssue `json:"issues"`
}

type rawIssue struct {
	ID         string                     `json:"id"`
	Key        string                     `json:"key"`
	Fields     json.RawMessage            `json:"fields"`
	Properties map[string]json.RawMessage `json:"properties"`
	Changelog  *struct {
		Histories []struct {
			ID     string `json:"id"`
			Author *struct {
				AccountID string `json:"accountId"`
			} `json:"author"`
			Created string       `json:"created"`
			Items   []ChangeItem `json:"items"`
		} `json:"histories"`
	} `json:"changelog"`
}

// issueFields are the fields toDomain reads, decoded in one pass.
type issueFields struct {
	Summary     string          `json:"summary"`
	Description adfText         `json:"description"`
	IssueType   *issueTypeField `json:"issuetype"`
	Project     *struct {
		Key string `json:"key"`
	} `json:"project"`
	Labels     []string     `json:"labels"`
	Components []named      `json:"components"`
	Priority   *named       `json:"priority"`
	Status     *statusField `json:"status"`
	Votes      *struct {
		Votes int `json:"votes"`
	} `json:"votes"`
	Watches *struct {
		WatchCount int `json:"watchCount"`
	} `json:"watches"`
	IssueLinks  []issueLink  `json:"issuelinks"`
	Parent      *linkedIssue `json:"parent"`
	Created     string       `json:"created"`
	Updated     string       `json:"updated"`
	DueDate     string       `json:"duedate"`
	FixVersions []struct {
		ReleaseDate string `json:"releaseDate"`
	} `json:"fixVersions"`
}

// adfText is an ADF field flattened to plain text while it is decoded,
// without keeping a copy of the document.
type adfText string

// UnmarshalJSON flattens the document; an unreadable one is left empty.
func (t *adfText) UnmarshalJSON(b []byte) error {
	s, err := adf.PlainText(b)
	if err == nil {
		*t = adfText(s)
	}
	return nil
}

type named struct {
	Name string `json:"name"`
}

type statusField struct {
	Name           string `json:"name"`
	StatusCategory struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

type issueTypeField struct {
	Name           string `json:"name"`
	Subtask        bool   `json:"subtask"`
	HierarchyLevel *int   `json:"hierarchyLevel"`
}

type linkedIssue struct {
	Key    string `json:"key"`
	Fields struct {
		Summary   string          `json:"summary"`
		Status    *statusField    `json:"status"`
		IssueType *issueTypeField `json:"issuetype"`
	} `json:"fields"`
}

type issueLink struct {
	Type struct {
		Name    string `json:"name"`
		Inward  string `json:"inward"`
		Outward string `json:"outward"`
	} `json:"type"`
	InwardIssue  *linkedIssue `json:"inwardIssue"`
	OutwardIssue *linkedIssue `json:"outwardIssue"`
}

// toDomain maps the fields Jira returned. A field that is absent, null or
// of an unexpected shape is left zero rather than failing the page
// (encoding/json skips a mistyped value and decodes the rest).
func (r *rawIssue) toDomain(spField string, numberFields []string) domain.Issue {
	is := domain.Issue{ID: r.ID, Key: r.Key}
	is.Inputs, is.InputSources = inputsOf(r.Properties[InputsProperty])
	var f issueFields
	if len(r.Fields) > 0 {
		_ = json.Unmarshal(r.Fields, &f) // see above: partial results are kept
	}
	is.Summary, is.Description = f.Summary, string(f.Description)
	if f.IssueType != nil {
		is.Type = domain.NormaliseIssueType(f.IssueType.Name)
	}
	if f.Project != nil {
		is.ProjectKey = f.Project.Key
	}
	if is.ProjectKey == "" {
		if k, _, ok := strings.Cut(r.Key, "-"); ok {
			is.ProjectKey = k
		}
	}
	is.Labels = f.Labels
	for _, c := range f.Components {
		is.Components = append(is.Components, c.Name)
	}
	if f.Priority != nil {
		is.Priority = f.Priority.Name
	}
	if f.Status != nil {
		is.Status = f.Status.Name
		is.StatusCat = domain.StatusCategory(f.Status.StatusCategory.Key)
	}
	if f.Votes != nil {
		is.Votes = f.Votes.Votes
	}
	if f.Watches != nil {
		is.Watchers = f.Watches.WatchCount
	}
	for _, l := range f.IssueLinks {
		if link, ok := toLink(l); ok {
			is.Links = append(is.Links, link)
		}
	}
	if f.Parent != nil && f.Parent.Key != "" {
		if isEpicParent(f.Parent, is.Type) {
			is.EpicKey = f.Parent.Key
		} else {
			is.ParentKey = f.Parent.Key
		}
	}
	if spField != "" {
		// The field id varies per site, so it is not in issueFields.
		var pts *float64
		if raw := objectMember(r.Fields, spField); raw != nil && json.Unmarshal(raw, &pts) == nil && pts != nil {
			is.StoryPoints = pts
		}
	}
	if len(numberFields) > 0 {
		is.FieldsRead = slices.Sorted(slices.Values(numberFields))
		for _, id := range numberFields {
			if v, ok := numberOf(objectMember(r.Fields, id)); ok {
				if is.FieldValues == nil {
					is.FieldValues = map[string]float64{}
				}
				is.FieldValues[id] = v
			}
		}
	}
	is.Created = parseTime(f.Created)
	is.Updated = parseTime(f.Updated)
	if d, err := time.Parse(time.DateOnly, f.DueDate); err == nil {
		is.DueDate = &d
	}
	for _, v := range f.FixVersions {
		d, err := time.Parse(time.DateOnly, v.ReleaseDate)
		if err != nil {
			continue
		}
		if is.FixVersionRelease == nil || d.Before(*is.FixVersionRelease) {
			is.FixVersionRelease = &d
		}
	}
	return is
}

// numberOf reads a field's value as a number: a number field's value, a
// select's option whose value is a number ({"value": "8"}), or a numeric
// string; ok false for null, empty and anything else.
func numberOf(raw []byte) (float64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0, false
	}
	if m, isObj := v.(map[string]any); isObj {
		v = m["value"]
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		f = n
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// objectMember returns the raw value of a top-level member of the JSON
// object obj, or nil. obj must be valid JSON (it comes out of a decoder);
// key is compared without unescaping, which suits field ids.
func objectMember(obj []byte, key string) []byte {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	i++
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return nil
		}
		end := stringEnd(obj, i)
		name := obj[i+1 : end-1]
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return nil
		}
		i = skipSpace(obj, i+1)
		vend := valueEnd(obj, i)
		if string(name) == key {
			return obj[i:vend]
		}
		i = skipSpace(obj, vend)
		if i >= len(obj) || obj[i] != ',' {
			return nil
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			j = stringEnd(b, j) - 1
			if depth == 0 {
				return j + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j
			}
			depth--
			if depth == 0 {
				return j + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return j
			}
		}
	}
	return len(b)
}

// toLink reads one issuelinks entry from the holder's side. Jira puts the
// other issue in outwardIssue when the holder is the link's inward end
// ({Blocks, inward A, outward B}: A shows outwardIssue B, "A blocks B"),
// and in inwardIssue on the other end ("B is blocked by A").
func toLink(l issueLink) (domain.Link, bool) {
	other, outward := l.OutwardIssue, true
	if other == nil {
		other, outward = l.InwardIssue, false
	}
	if other == nil || other.Key == "" {
		return domain.Link{}, false
	}
	link := domain.Link{OtherKey: other.Key, OtherTitle: other.Fields.Summary}
	if other.Fields.Status != nil {
		link.OtherDone = other.Fields.Status.StatusCategory.Key == string(domain.StatusDone)
	}
	name := strings.ToLower(l.Type.Name)
	verb := strings.ToLower(l.Type.Outward)
	switch {
	case name == "blocks" || strings.HasPrefix(verb, "blocks"):
		link.Kind = pick(outward, domain.LinkBlocks, domain.LinkBlockedBy)
	case name == "duplicate" || strings.HasPrefix(verb, "duplicates"):
		link.Kind = pick(outward, domain.LinkDuplicates, domain.LinkDuplicatedBy)
	default:
		link.Kind = domain.LinkRelates
	}
	return link, true
}

func pick(outward bool, out, in domain.LinkKind) domain.LinkKind {
	if outward {
		return out
	}
	return in
}

// isEpicParent reports whether parent is the issue's epic: an epic-typed
// (or hierarchy level 1) parent, or, when Jira sent no type, any parent of
// an issue that is not a sub-task.
func isEpicParent(p *linkedIssue, childType domain.IssueType) bool {
	if p.Key == "" {
		return false
	}
	if t := p.Fields.IssueType; t != nil {
		if t.HierarchyLevel != nil {
			return *t.HierarchyLevel == 1
		}
		return domain.NormaliseIssueType(t.Name) == domain.TypeEpic
	}
	return childType != domain.TypeSubtask
}

// parseTime reads Jira's timestamps ("2024-05-01T10:00:00.000+0200") and
// RFC 3339; zero when unreadable.
func parseTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// InputsProperty is the issue entity property holding framework inputs a
// person entered (RICE reach, WSJF job size …): a JSON object of input
// names to numbers, {"reach": 500, "impact": 2}. Every issue read asks
// for it, so that the inputs follow the issue.
const InputsProperty = "backlogai-inputs"

// withInputs adds InputsProperty to the properties a search asks for.
func withInputs(props []string) []string {
	if slices.Contains(props, InputsProperty) {
		return props
	}
	return append(slices.Clip(props), InputsProperty)
}

// inputsOf reads the inputs property; values that are not finite numbers
// are left out (the framework then says the input is missing).
func inputsOf(raw json.RawMessage) (map[string]float64, map[string]string) {
	if len(raw) == 0 {
		return nil, nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil, nil
	}
	var vals map[string]float64
	var src map[string]string
	for k, v := range m {
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) || k == "" {
			continue
		}
		if vals == nil {
			vals, src = map[string]float64{}, map[string]string{}
		}
		vals[k], src[k] = f, "entered"
	}
	return vals, src
}
