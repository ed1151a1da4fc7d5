package web

// Request parameters of the app API: the page context of the token, and the project or issue of the URL it allows.

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// jiraContext is the context claim of tokens Jira issues to our iframes.
type jiraContext struct {
	Jira struct {
		Issue struct {
			Key string `json:"key"`
			ID  string `json:"id"`
		} `json:"issue"`
		Project struct {
			Key string `json:"key"`
			ID  string `json:"id"`
		} `json:"project"`
	} `json:"jira"`
}

func contextOf(c echo.Context) jiraContext {
	var jc jiraContext
	if id := identity(c); id != nil && len(id.Context) > 0 {
		_ = json.Unmarshal(id.Context, &jc) // a malformed context reads as none
	}
	return jc
}

// projectParam returns the project of the URL after checking that the
// token was issued for a page of that project: a user reaches only the
// project (or the issue's project) Jira opened our page for.
func projectParam(c echo.Context) (string, error) {
	key := c.Param("project")
	if !validKey(key) {
		return "", BadRequest("invalid project key")
	}
	jc := contextOf(c)
	pk := jc.Jira.Project.Key
	if pk == "" && jc.Jira.Issue.Key != "" {
		pk = projectOfIssue(jc.Jira.Issue.Key)
	}
	if pk != key {
		return "", &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "This page was not opened for that project."}
	}
	return key, nil
}

// issueParam returns the issue of the URL, which must belong to the page's
// project (or be the page's issue).
func issueParam(c echo.Context) (string, error) {
	key := c.Param("issue")
	if !validKey(key) || !strings.Contains(key, "-") {
		return "", BadRequest("invalid issue key")
	}
	jc := contextOf(c)
	if jc.Jira.Issue.Key == key {
		return key, nil
	}
	if pk := jc.Jira.Project.Key; pk != "" && projectOfIssue(key) == pk {
		return key, nil
	}
	return "", &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "This page was not opened for that issue."}
}

func projectOfIssue(key string) string {
	p, _, _ := strings.Cut(key, "-")
	return p
}

func validKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func decodeJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return BadRequest("the request body is not valid JSON for this call")
	}
	return nil
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
