package jiraemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// apiError is an error answered in Jira's {errorMessages, errors} shape.
type apiError struct {
	Status   int
	Messages []string
	Fields   map[string]string
	Header   http.Header
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s %v", e.Status, strings.Join(e.Messages, "; "), e.Fields)
}

func errf(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Messages: []string{fmt.Sprintf(format, args...)}}
}

func fieldErr(status int, fields map[string]string) *apiError {
	return &apiError{Status: status, Fields: fields}
}

// errorBody is Jira's ErrorCollection.
type errorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"errorMessages":["Internal server error"],"errors":{}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf) // fails only when the client is gone
}

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errf(http.StatusInternalServerError, "Internal server error")
	}
	for k, vs := range ae.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := errorBody{ErrorMessages: ae.Messages, Errors: ae.Fields}
	if body.ErrorMessages == nil {
		body.ErrorMessages = []string{}
	}
	if body.Errors == nil {
		body.Errors = map[string]string{}
	}
	writeJSON(w, ae.Status, body)
}

// handlerFunc is an endpoint: it writes a success response or returns an
// error that becomes Jira's error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// endpointClass is the burst bucket family of an endpoint.
type endpointClass int

const (
	classRead  endpointClass = iota // GET and POST: ~100 rps
	classWrite                      // PUT and DELETE: ~50 rps
)

type reqStateKey struct{}

// reqState carries per-request accounting from the middleware to handlers.
type reqState struct {
	objects int    // objects returned, for the points quota
	write   bool   // costs as a write
	issue   string // issue of a per-issue write, if any
	actor   *user  // the impersonated user of a Bearer token; nil: the app
}

func stateOf(r *http.Request) *reqState {
	if s, ok := r.Context().Value(reqStateKey{}).(*reqState); ok {
		return s
	}
	return &reqState{}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// routes builds the router. Every REST endpoint goes through api(), which
// counts it, applies faults, verifies the app's JWT and enforces limits.
func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h handlerFunc) {
		mux.Handle(pattern, e.api(pattern, h))
	}
	api("POST /rest/api/3/search/jql", e.handleSearch)
	api("GET /rest/api/3/search/jql", e.handleSearch)
	api("POST /rest/api/3/search/approximate-count", e.handleApproximateCount)
	api("GET /rest/api/3/search", e.handleOldSearch)
	api("POST /rest/api/3/search", e.handleOldSearch)
	api("POST /rest/api/3/issue/bulkfetch", e.handleBulkFetch)
	api("POST /rest/api/3/issue", e.handleCreateIssue)
	api("POST /rest/api/3/issue/bulk", e.handleBulkCreate)
	api("GET /rest/api/3/issue/{issueIdOrKey}", e.handleGetIssue)
	api("PUT /rest/api/3/issue/{issueIdOrKey}", e.handleEditIssue)
	api("DELETE /rest/api/3/issue/{issueIdOrKey}", e.handleDeleteIssue)
	api("GET /rest/api/3/issue/{issueIdOrKey}/properties", e.handlePropertyKeys)
	api("GET /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}", e.handleGetProperty)
	api("PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}", e.handleSetProperty)
	api("DELETE /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}", e.handleDeleteProperty)
	api("POST /rest/api/3/issue/properties/multi", e.handleMultiProperties)
	api("GET /rest/api/3/task/{taskId}", e.handleGetTask)
	api("POST /rest/api/3/issueLink", e.handleCreateLink)
	api("GET /rest/api/3/issueLinkType", e.handleLinkTypes)
	api("GET /rest/api/3/field", e.handleFields)
	api("GET /rest/api/3/project/{projectIdOrKey}", e.handleGetProject)
	api("GET /rest/api/3/issue/{issueIdOrKey}/comment", e.handleGetComments)
	api("POST /rest/api/3/issue/{issueIdOrKey}/comment", e.handleAddComment)
	api("GET /rest/api/3/issue/{issueIdOrKey}/changelog", e.handleChangelog)
	api("GET /rest/api/3/issue/{issueIdOrKey}/transitions", e.handleGetTransitions)
	api("POST /rest/api/3/issue/{issueIdOrKey}/transitions", e.handleTransition)
	api("GET /rest/agile/1.0/board/{boardId}/configuration", e.handleBoardConfig)
	api("POST /rest/api/3/permissions/check", e.handlePermissionsCheck)
	api("PUT /rest/agile/1.0/issue/rank", e.handleRank)

	mux.HandleFunc("GET /_edge/tenant_info", e.handleTenantInfo)
	mux.HandleFunc(TokenPattern, e.handleOAuthToken)
	mux.HandleFunc("GET /connect-keys/{kid}", e.handleConnectKey)
	mux.HandleFunc("GET "+ForgeJWKSPath, e.handleForgeJWKS)
	e.adminRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, errf(http.StatusNotFound, "No resource found for %s %s", r.Method, r.URL.Path))
	})

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A site context path (as /wiki on Confluence) is not part of the
		// routes nor of the qsh.
		// The token endpoint belongs to the authorization server, at the
		// origin's root.
		if p := e.basePath(); p != "" && r.URL.Path != "/oauth2/token" {
			if !strings.HasPrefix(r.URL.Path, p+"/") {
				writeAPIError(w, errf(http.StatusNotFound, "No resource found"))
				return
			}
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimPrefix(r.URL.Path, p)
			r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, p)
			r = r2
		}
		mux.ServeHTTP(w, r)
	})
}

// api wraps a REST endpoint with what Jira does before the endpoint runs.
func (e *Emulator) api(pattern string, h handlerFunc) http.Handler {
	method, path, _ := strings.Cut(pattern, " ")
	class := classRead
	if method == http.MethodPut || method == http.MethodDelete {
		class = classWrite
	}
	isWrite := method != http.MethodGet && !strings.HasSuffix(path, "/search/jql") &&
		!strings.HasSuffix(path, "/approximate-count") && !strings.HasSuffix(path, "/bulkfetch")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		st := &reqState{write: isWrite}
		if isWrite {
			st.issue = r.PathValue("issueIdOrKey")
		}
		r = r.WithContext(context.WithValue(r.Context(), reqStateKey{}, st))
		defer func() { e.count(pattern, rec.status) }()

		if err := e.slowDown(r.Context(), pattern); err != nil {
			return // client gave up
		}
		if method == http.MethodGet && hasBody(r) {
			writeAPIError(rec, errf(http.StatusForbidden, "A GET request must not have a body."))
			return
		}
		actor, scopes, err := e.authenticateCaller(r)
		if err != nil {
			rec.Header().Set("WWW-Authenticate", `JWT realm="Atlassian Connect"`)
			writeAPIError(rec, err)
			return
		}
		if actor != e.appUser {
			st.actor = actor
			if err := e.authorizeUser(r, pattern, isWrite, actor, scopes); err != nil {
				writeAPIError(rec, err)
				return
			}
		}
		if err := e.admit(rec.Header(), pattern, class, st); err != nil {
			writeAPIError(rec, err)
			return
		}
		if err := h(rec, r); err != nil {
			writeAPIError(rec, err)
		}
		e.charge(st)
	})
}

func hasBody(r *http.Request) bool {
	if r.ContentLength > 0 {
		return true
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return false
	}
	buf := make([]byte, 1)
	n, _ := r.Body.Read(buf)
	if n > 0 {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(buf[:n]), r.Body))
		return true
	}
	return false
}

// maxBody bounds request bodies (Jira rejects huge payloads too).
const maxBody = 8 << 20

// decodeBody decodes a JSON body strictly: unknown keys are a 400, as Jira's
// beans reject them.
func decodeBody(r *http.Request, v any, strict bool) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errf(http.StatusBadRequest, "Could not read the request body.")
	}
	if len(data) > maxBody {
		return errf(http.StatusRequestEntityTooLarge, "The request body is too large.")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errf(http.StatusBadRequest, "No content to map due to end-of-input")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		msg := "Invalid request payload. Refer to the REST API documentation and try again."
		if strings.Contains(err.Error(), "unknown field") {
			msg = "Invalid request payload. " + strings.TrimPrefix(err.Error(), "json: ") + ". Refer to the REST API documentation and try again."
		}
		return errf(http.StatusBadRequest, "%s", msg)
	}
	return nil
}

func (e *Emulator) handleTenantInfo(w http.ResponseWriter, r *http.Request) {
	e.count("GET /_edge/tenant_info", http.StatusOK)
	writeJSON(w, http.StatusOK, map[string]string{"cloudId": e.opts.CloudID})
}

func (e *Emulator) handleOldSearch(w http.ResponseWriter, r *http.Request) error {
	return errf(http.StatusGone, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
}
