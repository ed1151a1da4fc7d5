package web

import "github.com/labstack/echo/v4"

// sandboxRoutes registers the /sandbox shell (only when SandboxHost is set).
func (s *Server) sandboxRoutes(e *echo.Echo) {}
