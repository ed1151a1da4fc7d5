package web

// Story generation from a product context: submitting a run and reading it.

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/conncheck"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/llm"
)

// generateRoutes registers the generation API (drafts, create, improve,
// split, settings) on the app API group.
func (s *Server) generateRoutes(api *echo.Group) {
	if s.Generator == nil {
		return
	}
	api.POST("/projects/:project/generate", s.appAPI(s.generateSubmit))
	api.GET("/generation-runs/:run", s.appAPI(s.generationRun))
	api.GET("/projects/:project/drafts", s.appAPI(s.listDrafts))
	api.PUT("/drafts/:draft", s.appAPI(s.editDraft))
	api.POST("/projects/:project/drafts/create", s.appAPI(s.createDrafts))
	api.POST("/projects/:project/drafts/discard", s.appAPI(s.discardDrafts))
	api.POST("/projects/:project/drafts/restore", s.appAPI(s.discardDrafts))
	api.POST("/issues/:issue/improve", s.appAPI(s.improveIssue))
	api.POST("/issues/:issue/improve/apply", s.appAPI(s.applyImprovement))
	api.POST("/issues/:issue/answer", s.appAPI(s.answerQuestion))
	api.POST("/issues/:issue/split", s.appAPI(s.splitIssue))
	api.POST("/issues/:issue/split/apply", s.appAPI(s.applySplit))
	api.GET("/projects/:project/settings", s.appAPI(s.getSettings))
	api.PUT("/projects/:project/settings", s.appAPI(s.putSettings))
	api.POST("/projects/:project/settings/test", s.appAPI(s.testConnection))
}

// generateError turns the generation service's errors into messages a
// person can act on; anything else goes to the common mapping.
func generateError(err error) error {
	var ie *generate.InputError
	var ns *generate.NotSplittableError
	var ae *llm.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ns):
		// an answer, not a failure: no reference, nothing to retry
		return &APIError{Status: http.StatusUnprocessableEntity, Code: "not_splittable", Message: ns.Reason, Err: err}
	case errors.As(err, &ie):
		return BadRequest(ie.Msg)
	case !errors.Is(err, generate.ErrLLM):
		return err
	case errors.Is(err, domain.ErrBudget):
		return err // 402 with the budget message
	case errors.As(err, &ae) && ae.AuthFailed():
		return &APIError{Status: http.StatusBadGateway, Code: "llm_auth", Message: "The AI provider refused the API key. An admin can check it in Settings.", Err: err}
	case errors.Is(err, domain.ErrRateLimited):
		return &APIError{Status: http.StatusServiceUnavailable, Code: "llm_busy", Message: "The AI provider is rate limiting requests. Try again in a minute.", Err: err}
	case errors.Is(err, llm.ErrInvalidOutput):
		return &APIError{Status: http.StatusBadGateway, Code: "llm_output", Message: "The AI answer could not be used. Try again.", Err: err}
	case errors.As(err, &ae) && ae.Status >= 500:
		return &APIError{Status: http.StatusServiceUnavailable, Code: "llm_unavailable",
			Message: fmt.Sprintf("The AI provider failed (HTTP %d). Try again shortly.", ae.Status), Err: err}
	case errors.Is(err, domain.ErrUnavailable):
		// Say what happened: a refused connection or an unknown host is
		// not a slow answer, and trying again will not help.
		if kind, msg := conncheck.Describe(err, nil, 0); kind != conncheck.KindTimeout && kind != conncheck.KindNetwork {
			return &APIError{Status: http.StatusBadGateway, Code: "llm_unreachable",
				Message: "The AI provider could not be reached. " + msg + " An admin can check it in Settings with Test connection.", Err: err}
		}
		return &APIError{Status: http.StatusServiceUnavailable, Code: "llm_unavailable", Message: "The AI provider did not answer in time. Try again shortly.", Err: err}
	}
	return &APIError{Status: http.StatusBadGateway, Code: "llm_failed", Message: "The AI provider rejected the request. An admin can check the model in Settings.", Err: err}
}

func (s *Server) generateSubmit(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	var f generate.Form
	if err := decodeJSON(c, &f); err != nil {
		return err
	}
	// Drafts exist to become issues, and drafting spends the AI budget.
	if err := s.requirePermission(c, key, access.CreateIssues); err != nil {
		return err
	}
	id := identity(c)
	runID, err := s.Generator.Submit(c.Request().Context(), id.Tenant, id.AccountID, key, f)
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusAccepted, map[string]int64{"runId": runID})
}

func (s *Server) generationRun(c echo.Context) error {
	runID, err := idParam(c, "run")
	if err != nil {
		return err
	}
	project, err := pageProject(c)
	if err != nil {
		return err
	}
	v, err := s.Generator.Run(c.Request().Context(), identity(c).Tenant, runID)
	if err != nil {
		return err
	}
	if v.Project != project {
		return &APIError{Status: http.StatusNotFound, Code: "not_found", Message: "Not found."}
	}
	return c.JSON(http.StatusOK, v)
}
