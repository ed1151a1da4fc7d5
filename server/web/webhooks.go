package web

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/domain"
)

// webhookHandler persists a Jira webhook and answers at once.
func (s *Server) webhookHandler(c echo.Context) error {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyReadError(err)
	}
	if s.Backlog == nil {
		return acknowledgeWebhook(c, raw) // no sync service: validate and acknowledge
	}
	res, err := s.Backlog.AcceptWebhook(c.Request().Context(), identity(c).Tenant, c.Request().Header.Get("X-Atlassian-Webhook-Identifier"), raw)
	if err != nil {
		if errors.Is(err, domain.ErrInvalid) {
			return BadRequest("webhook body must be a Jira issue event")
		}
		return err
	}
	if s.Logger.Enabled(c.Request().Context(), slog.LevelDebug) {
		s.log(c).Debug("webhook accepted", "result", res)
	}
	c.Response().Header().Set("X-BacklogAI-Webhook", string(res))
	return c.NoContent(http.StatusNoContent)
}
