package jiraemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// adminRoutes serves the control API of the standalone emulator under
// /_emulator/. It is unauthenticated: the emulator is a local test tool.
//
//	GET|PUT /_emulator/faults        the Faults (JSON; slow delays as "250ms")
//	GET|DELETE /_emulator/stats      request counts / reset them
//	POST /_emulator/install          {"appBaseUrl": "..."}: signed install
//	POST /_emulator/uninstall
//	GET /_emulator/iframe-url?path=/p&accountId=a&<more query>
//	GET /_emulator/deliveries        webhooks sent
//	GET /_emulator/info              base URL, keys URL, app key, clientKey, projects, demo users
//	PUT /_emulator/issues/{key}      {"fields": {...}, "accountId": "..."}: a person's edit in Jira
//	GET /_emulator/issues/{key}      the issue as GET /rest/api/3/issue returns it (all fields; ?expand=changelog), for tests
func (e *Emulator) adminRoutes(mux *http.ServeMux) {
	admin := func(pattern string, h handlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				writeAPIError(w, err)
			}
		})
	}
	admin("GET /_emulator/faults", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, e.Faults())
		return nil
	})
	admin("PUT /_emulator/faults", func(w http.ResponseWriter, r *http.Request) error {
		var f Faults
		if err := decodeBody(r, &f, true); err != nil {
			return err
		}
		e.SetFaults(f)
		writeJSON(w, http.StatusOK, e.Faults())
		return nil
	})
	admin("GET /_emulator/rank/{project}", e.handleAdminRank)
	admin("GET /_emulator/stats", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, e.Stats())
		return nil
	})
	admin("DELETE /_emulator/stats", func(w http.ResponseWriter, r *http.Request) error {
		e.ResetStats()
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	admin("POST /_emulator/install", func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			AppBaseURL string `json:"appBaseUrl"`
		}
		if err := decodeBody(r, &req, true); err != nil {
			return err
		}
		if err := e.Install(r.Context(), req.AppBaseURL); err != nil {
			return errf(http.StatusBadGateway, "%s", err.Error())
		}
		writeJSON(w, http.StatusOK, map[string]string{"clientKey": e.ClientKey(), "appKey": e.AppKey()})
		return nil
	})
	admin("POST /_emulator/uninstall", func(w http.ResponseWriter, r *http.Request) error {
		if err := e.Uninstall(r.Context()); err != nil {
			return errf(http.StatusBadGateway, "%s", err.Error())
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	admin("GET /_emulator/iframe-url", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		path, account := q.Get("path"), q.Get("accountId")
		q.Del("path")
		q.Del("accountId")
		u, err := e.SignedIframeURL(path, q, account)
		if err != nil {
			return errf(http.StatusBadRequest, "%s", err.Error())
		}
		writeJSON(w, http.StatusOK, map[string]string{"url": u})
		return nil
	})
	admin("GET /_emulator/deliveries", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, e.Deliveries())
		return nil
	})
	admin("GET /_emulator/info", func(w http.ResponseWriter, r *http.Request) error {
		e.mu.RLock()
		var projects []string
		n := len(e.st.issues)
		for k := range e.st.projects {
			projects = append(projects, k)
		}
		e.mu.RUnlock()
		slices.Sort(projects)
		writeJSON(w, http.StatusOK, map[string]any{"baseUrl": e.base(r), "keysUrl": e.base(r) + "/connect-keys",
			"appKey": e.AppKey(), "clientKey": e.ClientKey(), "installed": e.SharedSecret() != "",
			"projects": projects, "issues": n, "storyPointsField": e.opts.StoryPointsField, "users": DemoUsers})
		return nil
	})
	admin("GET /_emulator/issues/{key}", func(w http.ResponseWriter, r *http.Request) error {
		base := e.base(r)
		e.mu.RLock()
		defer e.mu.RUnlock()
		is := e.st.issue(r.PathValue("key"))
		if is == nil {
			return issueNotFound()
		}
		writeJSON(w, http.StatusOK, e.renderIssue(base, is, &renderOpts{sel: parseFieldSel(nil, "*all"),
			expand: parseExpand(r.URL.Query()["expand"]...)}, e.fieldDefs()))
		return nil
	})
	admin("PUT /_emulator/issues/{key}", func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Fields    map[string]any `json:"fields"`
			AccountID string         `json:"accountId"`
		}
		if err := decodeBody(r, &req, true); err != nil {
			return err
		}
		if err := e.UserUpdate(r.PathValue("key"), req.Fields, req.AccountID); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// UserUpdate applies a change as a person would make it in Jira's UI
// (fields as in PUT /issue, plus "status": {"name": …}), records it in the
// changelog and sends the jira:issue_updated webhooks. accountID "" means
// the project lead.
func (e *Emulator) UserUpdate(key string, fields map[string]any, accountID string) error {
	raw := map[string]json.RawMessage{}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("jiraemu: user update %s: %w", k, err)
		}
		raw[k] = b
	}
	e.mu.Lock()
	is := e.st.issue(key)
	if is == nil {
		e.mu.Unlock()
		return issueNotFound()
	}
	by := e.st.user(accountID)
	if by == nil {
		by = is.Project.Lead
	}
	hooks, aerr := e.editLocked(e.base(nil), is, issueUpdate{Fields: raw}, by, true)
	e.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	e.enqueue(hooks)
	return nil
}

// IssueProperty returns an issue's entity property as stored, for tests.
func (e *Emulator) IssueProperty(issueKey, propertyKey string) (json.RawMessage, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	is := e.st.issue(issueKey)
	if is == nil {
		return nil, false
	}
	v, ok := is.Props[propertyKey]
	return v, ok
}

// IssueCount returns the number of issues in a project (all when "").
func (e *Emulator) IssueCount(projectKey string) int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if projectKey == "" {
		return len(e.st.issues)
	}
	n := 0
	for _, is := range e.st.issues {
		if strings.EqualFold(is.Project.Key, projectKey) {
			n++
		}
	}
	return n
}

// IssueURL is the browse URL of an issue on the emulated site.
func (e *Emulator) IssueURL(key string) string {
	return e.BaseURL() + "/browse/" + url.PathEscape(key)
}
