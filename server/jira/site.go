package jira

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/backlogai/backlogai/server/domain"
)

// storyPointsSchema is the custom field type of Jira Software's story
// points ("Story point estimate" in team-managed projects, "Story Points"
// in company-managed ones).
const storyPointsSchema = "com.pyxis.greenhopper.jira:jsw-story-points"

// ErrAmbiguousField is wrapped (by *AmbiguousFieldError) when several
// fields could hold story points and nothing says which one the team uses.
var ErrAmbiguousField = errors.New("jira: ambiguous story points field")

// ErrNoStoryPointsField is wrapped when the site has no story points field.
var ErrNoStoryPointsField = errors.New("jira: no story points field")

// Field is a Jira field as GET /field describes it.
type Field struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Custom     bool   `json:"custom"`
	SchemaType string `json:"schemaType,omitempty"` // schema.type, e.g. "number"
	CustomType string `json:"customType,omitempty"` // schema.custom
}

// AmbiguousFieldError lists the candidate story points fields.
type AmbiguousFieldError struct {
	Candidates []Field
}

func (e *AmbiguousFieldError) Error() string {
	ids := make([]string, len(e.Candidates))
	for i, f := range e.Candidates {
		ids[i] = fmt.Sprintf("%s (%s)", f.ID, f.Name)
	}
	return "jira: ambiguous story points field: candidates " + strings.Join(ids, ", ") + "; pass a board to decide"
}

// Unwrap returns ErrAmbiguousField.
func (e *AmbiguousFieldError) Unwrap() error { return ErrAmbiguousField }

// DiscoverStoryPointsField finds the story points field id: the one field
// of type jsw-story-points, else the one float custom field named "Story
// Points". When several qualify, the board's estimation field decides
// (boardID > 0); otherwise it returns an *AmbiguousFieldError — it never
// guesses. With no candidate at all the error wraps ErrNoStoryPointsField.
// The answer is remembered by the client (a board-less ambiguity is not).
func (c *Client) DiscoverStoryPointsField(ctx context.Context, boardID int64) (string, error) {
	c.mu.Lock()
	if c.spKnown {
		id := c.spField
		c.mu.Unlock()
		if id == "" {
			return "", fmt.Errorf("jira: discover story points: %w", ErrNoStoryPointsField)
		}
		return id, nil
	}
	c.mu.Unlock()

	fields, err := c.Fields(ctx)
	if err != nil {
		return "", fmt.Errorf("jira: discover story points: %w", err)
	}
	id, err := c.chooseStoryPoints(ctx, fields, boardID)
	if err != nil && !errors.Is(err, ErrNoStoryPointsField) {
		return "", fmt.Errorf("jira: discover story points: %w", err)
	}
	c.mu.Lock()
	c.spField, c.spKnown = id, true
	c.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("jira: discover story points: %w", err)
	}
	return id, nil
}

// StoryPointsField returns the field id settled so far ("" if none yet).
func (c *Client) StoryPointsField() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spField
}

func (c *Client) chooseStoryPoints(ctx context.Context, fields []Field, boardID int64) (string, error) {
	var candidates []Field
	for _, f := range fields {
		if f.CustomType == storyPointsSchema {
			candidates = append(candidates, f)
		}
	}
	if len(candidates) == 0 {
		for _, f := range fields {
			if f.Custom && f.SchemaType == "number" && strings.EqualFold(strings.TrimSpace(f.Name), "Story Points") {
				candidates = append(candidates, f)
			}
		}
	}
	switch len(candidates) {
	case 0:
		return "", ErrNoStoryPointsField
	case 1:
		return candidates[0].ID, nil
	}
	if boardID > 0 {
		id, err := c.boardEstimationField(ctx, boardID)
		if err != nil {
			return "", err
		}
		if slices.ContainsFunc(candidates, func(f Field) bool { return f.ID == id }) {
			return id, nil
		}
	}
	return "", &AmbiguousFieldError{Candidates: candidates}
}

// boardEstimationField reads the board's estimation field id ("" when the
// board estimates by issue count or time).
func (c *Client) boardEstimationField(ctx context.Context, boardID int64) (string, error) {
	var cfg struct {
		Estimation struct {
			Type  string `json:"type"`
			Field struct {
				FieldID string `json:"fieldId"`
			} `json:"field"`
		} `json:"estimation"`
	}
	path := "rest/agile/1.0/board/" + strconv.FormatInt(boardID, 10) + "/configuration"
	if err := c.do(ctx, "GET", path, nil, &cfg); err != nil {
		return "", fmt.Errorf("board %d configuration: %w", boardID, err)
	}
	return cfg.Estimation.Field.FieldID, nil
}

// Fields lists the site's fields (GET /field).
func (c *Client) Fields(ctx context.Context) ([]Field, error) {
	list, res, err := c.api.Issue.Field.Gets(ctx)
	if err := c.libErr(res, err); err != nil {
		return nil, fmt.Errorf("jira: fields: %w", err)
	}
	out := make([]Field, 0, len(list))
	for _, f := range list {
		if f == nil {
			continue
		}
		field := Field{ID: f.ID, Name: f.Name, Custom: f.Custom}
		if f.Schema != nil {
			field.SchemaType, field.CustomType = f.Schema.Type, f.Schema.Custom
		}
		out = append(out, field)
	}
	return out, nil
}

// LinkType is an issue link type: Blocks ("is blocked by" / "blocks"),
// Duplicate, Relates…
type LinkType struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Inward  string `json:"inward"`
	Outward string `json:"outward"`
}

// LinkTypes lists the site's issue link types.
func (c *Client) LinkTypes(ctx context.Context) ([]LinkType, error) {
	page, res, err := c.api.Issue.Link.Type.Gets(ctx)
	if err := c.libErr(res, err); err != nil {
		return nil, fmt.Errorf("jira: link types: %w", err)
	}
	var out []LinkType
	for _, t := range page.IssueLinkTypes {
		if t != nil {
			out = append(out, LinkType{ID: t.ID, Name: t.Name, Inward: t.Inward, Outward: t.Outward})
		}
	}
	return out, nil
}

// Project is the part of a Jira project the app uses.
type Project struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
	// Style is "classic" (company-managed) or "next-gen" (team-managed).
	Style      string   `json:"style,omitempty"`
	IssueTypes []string `json:"issueTypes,omitempty"`
}

// GetProject reads a project by key or id.
func (c *Client) GetProject(ctx context.Context, keyOrID string) (Project, error) {
	p, res, err := c.api.Project.Get(ctx, keyOrID, nil)
	if err := c.libErr(res, err); err != nil {
		return Project{}, fmt.Errorf("jira: get project %s: %w", keyOrID, err)
	}
	out := Project{ID: p.ID, Key: p.Key, Name: p.Name, Style: p.Style}
	for _, t := range p.IssueTypes {
		if t != nil {
			out.IssueTypes = append(out.IssueTypes, t.Name)
		}
	}
	return out, nil
}

// TenantInfo returns the site's cloudId (GET /_edge/tenant_info).
func (c *Client) TenantInfo(ctx context.Context) (string, error) {
	var info struct {
		CloudID string `json:"cloudId"`
	}
	if err := c.do(ctx, "GET", "_edge/tenant_info", nil, &info); err != nil {
		return "", fmt.Errorf("jira: tenant info: %w", err)
	}
	if info.CloudID == "" {
		return "", fmt.Errorf("jira: tenant info: no cloudId: %w", domain.ErrUnavailable)
	}
	return info.CloudID, nil
}
