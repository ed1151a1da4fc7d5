package web

import (
	"net/url"

	"github.com/labstack/echo/v4"
)

// SandboxHost is what the /sandbox shell needs from the emulated Jira.
type SandboxHost interface {
	// SignedIframeURL is the URL Jira would load for one of our modules.
	SignedIframeURL(path string, query url.Values, accountID string) (string, error)
	ClientKey() string
	SharedSecret() string
	BaseURL() string
}

// uiRoutes registers the pages, static files and UI-only API endpoints.
func (s *Server) uiRoutes(e *echo.Echo, api *echo.Group) {}
