package web

import (
	"encoding/json"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
)

// placeholder is the module page until the UI is wired (see frontend/).
var placeholder = template.Must(template.New("p").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BacklogAI</title></head>
<body><main><h1>BacklogAI</h1><p>{{.What}} for {{.Key}} is being prepared.</p></main></body></html>`))

func (s *Server) glancePage(c echo.Context) error {
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	return placeholder.Execute(c.Response(), map[string]string{"What": "The analysis", "Key": c.QueryParam("issueKey")})
}

func (s *Server) projectPage(c echo.Context) error {
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	return placeholder.Execute(c.Response(), map[string]string{"What": "The backlog", "Key": c.QueryParam("projectKey")})
}

// acknowledgeWebhook validates a webhook body and acknowledges it (a
// server without the sync service, such as in unit tests).
func acknowledgeWebhook(c echo.Context, raw []byte) error {
	var body struct {
		WebhookEvent string `json:"webhookEvent"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.WebhookEvent == "" {
		return BadRequest("webhook body must be JSON with a webhookEvent")
	}
	return c.NoContent(http.StatusNoContent)
}

// me tells the iframe who it is talking as.
func (s *Server) me(c echo.Context) error {
	id := identity(c)
	return c.JSON(http.StatusOK, map[string]string{"accountId": id.AccountID, "baseUrl": id.Tenant.DisplayURLOrBase()})
}
