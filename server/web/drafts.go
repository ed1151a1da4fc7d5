package web

// The drafts of generation runs: listing, editing, creating them in Jira, discarding and restoring.

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
)

func (s *Server) listDrafts(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	ds, err := s.Generator.Drafts(c.Request().Context(), identity(c).Tenant, key)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"drafts": ds})
}

func (s *Server) editDraft(c echo.Context) error {
	id, err := idParam(c, "draft")
	if err != nil {
		return err
	}
	project, err := pageProject(c)
	if err != nil {
		return err
	}
	// A partial update: only the draft fields sent change. The page may
	// send the whole draft back; the rest (status, check, score…) is
	// ignored.
	var body json.RawMessage
	if err := decodeLenient(c, &body); err != nil {
		return err
	}
	if err := s.requirePermission(c, project, access.CreateIssues); err != nil {
		return err
	}
	d, err := s.Generator.PatchDraft(c.Request().Context(), identity(c).Tenant, project, id, body)
	if errors.Is(err, domain.ErrConflict) {
		return &APIError{Status: http.StatusConflict, Code: "conflict", Message: "This draft is being created or was created already; it can no longer be edited.", Err: err}
	}
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, d)
}

// draftSelection reads the project and the selected draft ids of a bulk
// draft request, once the person may create issues in the project.
func (s *Server) draftSelection(c echo.Context) (string, []int64, error) {
	key, err := projectParam(c)
	if err != nil {
		return "", nil, err
	}
	var body struct {
		IDs []int64 `json:"ids"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return "", nil, err
	}
	if err := s.requirePermission(c, key, access.CreateIssues); err != nil {
		return "", nil, err
	}
	return key, body.IDs, nil
}

func (s *Server) createDrafts(c echo.Context) error {
	key, ids, err := s.draftSelection(c)
	if err != nil {
		return err
	}
	res, err := s.Generator.CreateDrafts(c.Request().Context(), identity(c).Tenant, identity(c).AccountID, key, ids)
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, res)
}

// discardDrafts discards drafts, or restores them (the undo) on
// /drafts/restore.
func (s *Server) discardDrafts(c echo.Context) error {
	key, ids, err := s.draftSelection(c)
	if err != nil {
		return err
	}
	do := s.Generator.DiscardDrafts
	if strings.HasSuffix(c.Path(), "/restore") {
		do = s.Generator.RestoreDrafts
	}
	res, err := do(c.Request().Context(), identity(c).Tenant, key, ids)
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, res)
}
