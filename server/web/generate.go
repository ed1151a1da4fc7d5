package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

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

// decodeLenient is decodeJSON for bodies that echo a response back:
// fields the call does not take are ignored.
func decodeLenient(c echo.Context, v any) error {
	if err := json.NewDecoder(c.Request().Body).Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return BadRequest("the request body is not valid JSON for this call")
	}
	return nil
}

// pageProject is the project of the page the token was issued for.
func pageProject(c echo.Context) (string, error) {
	jc := contextOf(c)
	pk := jc.Jira.Project.Key
	if pk == "" && jc.Jira.Issue.Key != "" {
		pk = projectOfIssue(jc.Jira.Issue.Key)
	}
	if pk == "" {
		return "", &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "This page was not opened for a project."}
	}
	return pk, nil
}

func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, BadRequest("invalid " + name + " id")
	}
	return id, nil
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

func (s *Server) createDrafts(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	var body struct {
		IDs []int64 `json:"ids"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.requirePermission(c, key, access.CreateIssues); err != nil {
		return err
	}
	res, err := s.Generator.CreateDrafts(c.Request().Context(), identity(c).Tenant, identity(c).AccountID, key, body.IDs)
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, res)
}

// discardDrafts discards drafts, or restores them (the undo) on
// /drafts/restore.
func (s *Server) discardDrafts(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	var body struct {
		IDs []int64 `json:"ids"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.requirePermission(c, key, access.CreateIssues); err != nil {
		return err
	}
	do := s.Generator.DiscardDrafts
	if strings.HasSuffix(c.Path(), "/restore") {
		do = s.Generator.RestoreDrafts
	}
	res, err := do(c.Request().Context(), identity(c).Tenant, key, body.IDs)
	if err != nil {
		return generateError(err)
	}
	return c.JSON(http.StatusOK, res)
}

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

// requireProjectAdmin lets only the project's administrators (and Jira
// administrators) through, as Jira itself says (cached like every check).
func (s *Server) requireProjectAdmin(c echo.Context, project string) error {
	err := s.requirePermission(c, project, access.AdministerProjects)
	var api *APIError
	if errors.As(err, &api) && api.Code == "permission_denied" {
		api.Code = "not_project_admin"
		api.Message = "Only administrators of this project can view or change BacklogAI settings."
	}
	return err
}

// isSiteAdmin reports whether the person acting is a Jira administrator.
func (s *Server) isSiteAdmin(c echo.Context) (bool, error) {
	err := s.requirePermission(c, "", access.Administer)
	var denied *access.DeniedError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &denied):
		return false, nil
	}
	return false, err
}

// getSettings shows a project's effective settings to its admins, and
// the site defaults besides to Jira site administrators.
func (s *Server) getSettings(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	if err := s.requireProjectAdmin(c, key); err != nil {
		return err
	}
	return s.settingsView(c, key)
}

// putSettings saves a project's settings (its admins) or, with
// ?scope=site, the site defaults and data retention (Jira site
// administrators only).
func (s *Server) putSettings(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	scope, err := s.settingsScope(c, key)
	if err != nil {
		return err
	}
	id := identity(c)
	ctx := c.Request().Context()
	var body generate.SettingsUpdate
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if _, err := s.Generator.SaveSettings(ctx, id.Tenant, scope, id.AccountID, body); err != nil {
		if errors.Is(err, generate.ErrSiteSetting) {
			return &APIError{Status: http.StatusForbidden, Code: "site_setting",
				Message: "Data retention (retentionDays) is a site setting: Jira site administrators change it in the site defaults.", Err: err}
		}
		return generateError(err)
	}
	return s.settingsView(c, key)
}

// settingsScope is the scope a settings call edits (?scope=project, the
// default, or site) once the caller is allowed to edit it.
func (s *Server) settingsScope(c echo.Context, key string) (string, error) {
	switch c.QueryParam("scope") {
	case "", "project":
		return key, s.requireProjectAdmin(c, key)
	case "site":
		ok, err := s.isSiteAdmin(c)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errNotSiteAdmin
		}
		return domain.SiteScope, nil
	}
	return "", BadRequest("scope: must be project or site")
}

// testConnection makes one real call with the settings being edited
// (the LLM or the research provider) and reports exactly how it went;
// nothing is saved. A failed connection is a 200 with ok false: the
// request itself succeeded.
func (s *Server) testConnection(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	scope, err := s.settingsScope(c, key)
	if err != nil {
		return err
	}
	var body struct {
		Target string `json:"target"`
		generate.SettingsUpdate
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	res, err := s.Generator.TestConnection(c.Request().Context(), identity(c).Tenant, scope, body.Target, body.SettingsUpdate)
	if err != nil {
		return generateError(err)
	}
	s.log(c).Info("connection tested", "target", body.Target, "kind", res.Kind, "status", res.Status)
	return c.JSON(http.StatusOK, res)
}

var errNotSiteAdmin = &APIError{Status: http.StatusForbidden, Code: "not_site_admin",
	Message: "Only Jira site administrators can change the site defaults and data retention."}

// settingsView answers with the project's settings; the site defaults are
// included for Jira site administrators only.
func (s *Server) settingsView(c echo.Context, project string) error {
	id := identity(c)
	ctx := c.Request().Context()
	siteAdmin, err := s.isSiteAdmin(c)
	if err != nil {
		return err
	}
	st, err := s.Generator.Settings(ctx, id.Tenant, project, siteAdmin)
	if err != nil {
		return err
	}
	st.IsAdmin = true
	return c.JSON(http.StatusOK, st)
}
