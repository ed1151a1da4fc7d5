package web

// Improving an issue (with answers to its questions) and splitting it.

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
)

func (s *Server) improveIssue(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	imp, err := s.Generator.Improve(c.Request().Context(), identity(c).Tenant, key)
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, imp)
}

// answerQuestion turns a PM's answer to a finding's clarifying question
// into a proposed edit (the improve diff); applying it is
// /improve/apply, checked and made as the person.
func (s *Server) answerQuestion(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	var body struct {
		FindingID string `json:"findingId"`
		Answer    string `json:"answer"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	imp, err := s.Generator.Answer(c.Request().Context(), identity(c).Tenant, key, body.FindingID, body.Answer)
	if errors.Is(err, domain.ErrConflict) {
		return &APIError{Status: http.StatusConflict, Code: "finding_gone",
			Message: "The issue changed and this finding is no longer reported. The glance now shows its current findings.", Err: err}
	}
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, imp)
}

func (s *Server) applyImprovement(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	var body struct {
		Summary     string `json:"summary"`
		Description string `json:"description"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.requirePermission(c, projectOfIssue(key), access.EditIssues); err != nil {
		return err
	}
	err = s.Generator.ApplyImprovement(c.Request().Context(), identity(c).Tenant, identity(c).AccountID, key, body.Summary, body.Description)
	if errors.Is(err, generate.ErrNoChange) {
		return c.JSON(http.StatusOK, map[string]any{"key": key, "updated": false,
			"message": "The text is the same as the issue's: nothing was written to Jira."})
	}
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"key": key, "updated": true})
}

func (s *Server) splitIssue(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	p, err := s.Generator.Split(c.Request().Context(), identity(c).Tenant, key)
	if err != nil {
		return generateError(err)
	}
	// The original's criteria, for the dialog to give each to one part
	// (or to all, as shared).
	crit, err := s.Generator.Criteria(c.Request().Context(), identity(c).Tenant, key)
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, struct {
		*generate.SplitProposal
		Criteria []string `json:"criteria"`
	}{p, crit})
}

func (s *Server) applySplit(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	// The stories come back as /split proposed them (with quality and
	// findings, which are recomputed, not read).
	var body struct {
		Stories []struct {
			Summary     string `json:"summary"`
			Description string `json:"description"`
		} `json:"stories"`
		// original: "keep" (an umbrella, the default) or "close".
		Original string `json:"original"`
	}
	if err := decodeLenient(c, &body); err != nil {
		return err
	}
	var opts generate.SplitOptions
	switch body.Original {
	case "", "keep":
	case "close":
		opts.CloseOriginal = true
	default:
		return BadRequest("original must be keep or close")
	}
	// The stories are created and the original issue is edited.
	if err := s.requirePermission(c, projectOfIssue(key), access.CreateIssues, access.EditIssues); err != nil {
		return err
	}
	stories := make([]generate.SplitStory, len(body.Stories))
	for i, st := range body.Stories {
		stories[i] = generate.SplitStory{Summary: st.Summary, Description: st.Description}
	}
	res, err := s.Generator.ApplySplitWith(c.Request().Context(), identity(c).Tenant, identity(c).AccountID, key, stories, opts)
	if errors.Is(err, domain.ErrConflict) {
		return &APIError{Status: http.StatusConflict, Code: "conflict", Message: "This split is being created by another request.", Err: err}
	}
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusCreated, res)
}
