package web

import "github.com/labstack/echo/v4"

// generateRoutes registers the generation API (drafts, create, improve,
// split) on the app API group.
func (s *Server) generateRoutes(api *echo.Group) {}
