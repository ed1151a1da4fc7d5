package web

import "github.com/labstack/echo/v4"

// What route packages mounted on the server through Deps.Mount (the
// /sandbox shell) share with it, so that their errors, limits and key
// checks are the app's own.

// HTMLErrors makes the error handler render a route's errors as an HTML
// page instead of JSON.
func HTMLErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxIframe, true)
		return next(c)
	}
}

// BodyLimit refuses request bodies larger than n bytes (413).
func BodyLimit(n int64) echo.MiddlewareFunc { return bodyLimit(n) }

// ValidKey reports whether k has the shape of a Jira project or issue key.
func ValidKey(k string) bool { return validKey(k) }

// ProjectOfIssue is the project key part of an issue key.
func ProjectOfIssue(key string) string { return projectOfIssue(key) }
