package web

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
)

// mappableField is a Jira field a framework input can be read from.
type mappableField struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Type is "number", or "option" for a select whose options are
	// numbers ("1" … "10").
	Type string `json:"type"`
}

// mappable reports whether a framework input can be read from f, and as
// what: number fields, and single selects (their option's value is read
// as a number).
func mappable(f jira.Field) (string, bool) {
	switch f.SchemaType {
	case "number":
		return "number", true
	case "option":
		return "option", true
	}
	return "", false
}

// projectFields answers the Strategy tab's field mapping editor: the
// site's fields a framework input can be read from, by name. Like the
// project's other reads it is open to whoever may open the project page
// (Jira signs the page's token only for people who can browse it).
func (s *Server) projectFields(c echo.Context) error {
	if _, err := projectParam(c); err != nil {
		return err
	}
	fields, err := s.siteFields(c.Request().Context(), identity(c).Tenant)
	if err != nil {
		return err
	}
	out := []mappableField{}
	for _, f := range fields {
		if typ, ok := mappable(f); ok {
			out = append(out, mappableField{ID: f.ID, Name: f.Name, Type: typ})
		}
	}
	slices.SortFunc(out, func(a, b mappableField) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID, b.ID))
	})
	return c.JSON(http.StatusOK, map[string]any{"fields": out})
}

func (s *Server) siteFields(ctx context.Context, t *domain.Tenant) ([]jira.Field, error) {
	client, err := s.JiraClients.App(t)
	if err != nil {
		return nil, err
	}
	fields, err := client.Fields(ctx)
	if err != nil {
		return nil, fmt.Errorf("web: site fields: %w", err)
	}
	return fields, nil
}

// checkFieldMappings checks a strategy's field mappings against the site's
// fields (each must exist and hold a number or a numeric select) and
// records their names for the explanations. The error names the input.
func (s *Server) checkFieldMappings(ctx context.Context, t *domain.Tenant, st *domain.Strategy) error {
	cfg := st.Framework
	if cfg == nil {
		return nil
	}
	cfg.FieldNames = nil
	if len(cfg.Fields) == 0 {
		return nil
	}
	fields, err := s.siteFields(ctx, t)
	if err != nil {
		return err
	}
	byID := make(map[string]jira.Field, len(fields))
	for _, f := range fields {
		byID[f.ID] = f
	}
	cfg.FieldNames = map[string]string{}
	for _, in := range slices.Sorted(maps.Keys(cfg.Fields)) {
		id := strings.TrimSpace(cfg.Fields[in])
		f, ok := byID[id]
		if !ok {
			return BadRequest("framework.fields." + in + ": " + id + " is not a field of this Jira site")
		}
		if _, ok := mappable(f); !ok {
			return BadRequest("framework.fields." + in + ": " + f.Name + " (" + id + ") holds " + cmp.Or(f.SchemaType, "no value type") +
				", not a number or a select of numbers")
		}
		cfg.Fields[in] = id
		cfg.FieldNames[id] = f.Name
	}
	return nil
}
