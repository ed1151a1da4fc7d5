package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// static serves /static/<name> and /static/<hash>/<name> from the
// embedded files only: the path is looked up by name in a fixed table,
// so nothing outside it (templates, the repository) can be reached.
func (u *ui) static(c echo.Context) error {
	rest := c.Param("*")
	if dec, err := url.PathUnescape(rest); err == nil {
		rest = dec
	}
	hash, name, hashed := strings.Cut(rest, "/")
	if !hashed {
		name, hash = hash, ""
	}
	f, ok := u.assets.File(name)
	if !ok || strings.Contains(name, "/") || strings.Contains(name, "..") {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	etag := `"` + f.Hash + `"`
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	if hashed && hash == f.Hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// A plain or outdated URL (a page from before a deploy): serve the
		// current file, but make the browser revalidate.
		h.Set("Cache-Control", "no-cache")
	}
	if match := c.Request().Header.Get("If-None-Match"); match == etag {
		return c.NoContent(http.StatusNotModified)
	}
	body := f.Body
	if strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip") {
		body = f.Gzip
		h.Set("Content-Encoding", "gzip")
	}
	if c.Request().Method == http.MethodHead {
		h.Set("Content-Type", f.ContentType)
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, f.ContentType, body)
}

// favicon answers the browser's automatic /favicon.ico request with the
// app icon, so that the logs carry no 404 for every page a person opens.
func (u *ui) favicon(c echo.Context) error {
	f, ok := u.assets.File("icon.svg")
	if !ok {
		return c.NoContent(http.StatusNoContent)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	if c.Request().Method == http.MethodHead {
		c.Response().Header().Set("Content-Type", f.ContentType)
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, f.ContentType, f.Body)
}
