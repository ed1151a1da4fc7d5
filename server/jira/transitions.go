package jira

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// InheritedFields are the fields of an issue that the parts of a split
// take over.
type InheritedFields struct {
	Labels        []string
	Components    []string // names
	FixVersionIDs []string
	Priority      string // name
	DueDate       string // YYYY-MM-DD, empty when none
}

// InheritedFields reads labels, components, fix versions, priority and due
// date of an issue.
func (c *Client) InheritedFields(ctx context.Context, key string) (InheritedFields, error) {
	var resp struct {
		Fields struct {
			Labels     []string `json:"labels"`
			Components []struct {
				Name string `json:"name"`
			} `json:"components"`
			FixVersions []struct {
				ID string `json:"id"`
			} `json:"fixVersions"`
			Priority *struct {
				Name string `json:"name"`
			} `json:"priority"`
			DueDate string `json:"duedate"`
		} `json:"fields"`
	}
	path := "rest/api/3/issue/" + url.PathEscape(key) + "?fields=labels,components,fixVersions,priority,duedate"
	if err := c.do(ctx, "GET", path, nil, &resp); err != nil {
		return InheritedFields{}, fmt.Errorf("jira: fields of %s: %w", key, err)
	}
	f := resp.Fields
	out := InheritedFields{Labels: f.Labels, DueDate: f.DueDate}
	for _, x := range f.Components {
		out.Components = append(out.Components, x.Name)
	}
	for _, v := range f.FixVersions {
		out.FixVersionIDs = append(out.FixVersionIDs, v.ID)
	}
	if f.Priority != nil {
		out.Priority = f.Priority.Name
	}
	return out, nil
}

// Transition is a workflow transition available on an issue.
type Transition struct {
	ID         string
	Name       string
	ToStatus   string
	ToCategory string // new, indeterminate, done
}

// Transitions lists the transitions the acting user may make on an issue.
func (c *Client) Transitions(ctx context.Context, key string) ([]Transition, error) {
	var resp struct {
		Transitions []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			To   struct {
				Name           string `json:"name"`
				StatusCategory struct {
					Key string `json:"key"`
				} `json:"statusCategory"`
			} `json:"to"`
		} `json:"transitions"`
	}
	if err := c.do(ctx, "GET", "rest/api/3/issue/"+url.PathEscape(key)+"/transitions", nil, &resp); err != nil {
		return nil, fmt.Errorf("jira: transitions of %s: %w", key, err)
	}
	out := make([]Transition, 0, len(resp.Transitions))
	for _, t := range resp.Transitions {
		out = append(out, Transition{ID: t.ID, Name: t.Name, ToStatus: t.To.Name, ToCategory: t.To.StatusCategory.Key})
	}
	return out, nil
}

// DoneTransition picks the transition to a done status: one to a status
// named Done if there is one, else the first to the done category.
func DoneTransition(ts []Transition) (Transition, bool) {
	var best *Transition
	for i := range ts {
		if ts[i].ToCategory != "done" {
			continue
		}
		if strings.EqualFold(ts[i].ToStatus, "Done") {
			return ts[i], true
		}
		if best == nil {
			best = &ts[i]
		}
	}
	if best == nil {
		return Transition{}, false
	}
	return *best, true
}

// DoTransition moves an issue along a transition.
func (c *Client) DoTransition(ctx context.Context, key, transitionID string) error {
	body := map[string]any{"transition": map[string]string{"id": transitionID}}
	if err := c.do(ctx, "POST", "rest/api/3/issue/"+url.PathEscape(key)+"/transitions", body, nil); err != nil {
		return fmt.Errorf("jira: transition %s: %w", key, err)
	}
	return nil
}
