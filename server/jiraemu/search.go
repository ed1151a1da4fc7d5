package jiraemu

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/lru"
)

// Page size limits of POST /search/jql.
const (
	defaultMaxResults = 50
	maxResultsFields  = 100  // when fields beyond id/key are asked
	maxResultsIDs     = 5000 // when only id/key are asked
	maxReconcile      = 50
	maxBulkFetch      = 100
)

// searchRequest is SearchAndReconcileRequestBean; unknown keys are a 400.
type searchRequest struct {
	JQL             string   `json:"jql"`
	NextPageToken   *string  `json:"nextPageToken"`
	MaxResults      *int     `json:"maxResults"`
	Fields          []string `json:"fields"`
	Expand          string   `json:"expand"`
	Properties      []string `json:"properties"`
	FieldsByKeys    bool     `json:"fieldsByKeys"`
	ReconcileIssues []int64  `json:"reconcileIssues"`
}

type searchResponse struct {
	Issues        []issueBean         `json:"issues"`
	IsLast        bool                `json:"isLast"`
	NextPageToken string              `json:"nextPageToken,omitempty"`
	Names         map[string]string   `json:"names,omitempty"`
	Schema        map[string]jsonType `json:"schema,omitempty"`
}

// searchCache keeps the sorted results of recent queries so that paging a
// large project does not re-run the query for every page. An entry is
// valid while the store's versions it depends on are unchanged.
type searchCache struct {
	entries *lru.Cache[string, cacheEntry] // by JQL
}

type cacheEntry struct {
	jql         string
	version     uint64
	propVersion uint64
	usesProps   bool
	result      []*issue
}

const searchCacheSize = 8

func (c *searchCache) get(jql string, version, propVersion uint64) []*issue {
	if c.entries == nil {
		return nil
	}
	en, ok := c.entries.Get(jql, time.Time{})
	if ok && en.version == version && (!en.usesProps || en.propVersion == propVersion) {
		return en.result
	}
	return nil
}

func (c *searchCache) put(en cacheEntry) {
	if c.entries == nil {
		c.entries = lru.New[string, cacheEntry](searchCacheSize)
	}
	c.entries.Put(en.jql, en, time.Time{})
}

// pageToken is the opaque nextPageToken: the offset of the next page and a
// hash of the query it belongs to.
type pageToken struct {
	Offset int    `json:"o"`
	Query  uint32 `json:"q"`
}

func queryHash(jql string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(jql))
	return h.Sum32()
}

func encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s, jql string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, errors.New("bad token")
	}
	var t pageToken
	if err := json.Unmarshal(b, &t); err != nil || t.Offset < 0 || t.Query != queryHash(jql) {
		return 0, errors.New("bad token")
	}
	return t.Offset, nil
}

// runJQL parses, validates and runs a query. e.mu must be held (a read
// lock is enough: the cache has its own mutex).
func (e *Emulator) runJQL(jql string, requireBounded bool) ([]*issue, error) {
	q, err := parseJQL(jql)
	if err != nil {
		return nil, err
	}
	if requireBounded && q.where == nil {
		return nil, &jqlError{msg: "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."}
	}
	c, err := e.compile(q)
	if err != nil {
		return nil, err
	}
	if !c.usesNow {
		e.cacheMu.Lock()
		res := e.cache.get(jql, e.st.version, e.st.propVersion)
		e.cacheMu.Unlock()
		if res != nil {
			return res, nil
		}
	}
	var out []*issue
	for _, is := range e.st.issues {
		if c.match == nil || c.match(is) {
			out = append(out, is)
		}
	}
	slices.SortStableFunc(out, c.less)
	if !c.usesNow {
		e.cacheMu.Lock()
		e.cache.put(cacheEntry{jql: jql, version: e.st.version, propVersion: e.st.propVersion, usesProps: c.usesProps, result: out})
		e.cacheMu.Unlock()
	}
	return out, nil
}

func jqlAPIError(err error) error {
	var je *jqlError
	if errors.As(err, &je) {
		return errf(http.StatusBadRequest, "%s", je.msg)
	}
	return err
}

// splitList splits repeated and comma-separated query values.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

func searchRequestFromQuery(r *http.Request) (searchRequest, error) {
	q := r.URL.Query()
	req := searchRequest{
		JQL:        q.Get("jql"),
		Fields:     q["fields"],
		Expand:     strings.Join(q["expand"], ","),
		Properties: splitList(q["properties"]),
	}
	if t := q.Get("nextPageToken"); t != "" {
		req.NextPageToken = &t
	}
	if m := q.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			return req, errf(http.StatusBadRequest, "The maxResults parameter must be an integer.")
		}
		req.MaxResults = &n
	}
	if v := q.Get("fieldsByKeys"); v != "" {
		req.FieldsByKeys = v == "true"
	}
	for _, s := range splitList(q["reconcileIssues"]) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return req, errf(http.StatusBadRequest, "reconcileIssues must be issue IDs.")
		}
		req.ReconcileIssues = append(req.ReconcileIssues, n)
	}
	return req, nil
}

// handleSearch is GET|POST /rest/api/3/search/jql.
func (e *Emulator) handleSearch(w http.ResponseWriter, r *http.Request) error {
	var req searchRequest
	if r.Method == http.MethodPost {
		if err := decodeBody(r, &req, true); err != nil {
			return err
		}
	} else {
		var err error
		if req, err = searchRequestFromQuery(r); err != nil {
			return err
		}
	}
	if len(req.Properties) > maxSearchProperties {
		return errf(http.StatusBadRequest, "A maximum of %d properties can be requested.", maxSearchProperties)
	}
	if len(req.ReconcileIssues) > maxReconcile {
		return errf(http.StatusBadRequest, "A maximum of %d issues can be reconciled.", maxReconcile)
	}
	sel := parseFieldSel(req.Fields, "id")
	limit := maxResultsFields
	if sel.cheap() {
		limit = maxResultsIDs
	}
	max := defaultMaxResults
	if req.MaxResults != nil {
		max = *req.MaxResults
	}
	if max < 0 {
		return errf(http.StatusBadRequest, "The maxResults parameter must not be negative.")
	}
	if max > limit {
		max = limit
	}
	if max == 0 {
		max = defaultMaxResults
	}
	offset := 0
	if req.NextPageToken != nil && *req.NextPageToken != "" {
		o, err := decodeToken(*req.NextPageToken, req.JQL)
		if err != nil {
			return errf(http.StatusBadRequest, "The provided next page token is invalid or expired.")
		}
		offset = o
	}
	expand := parseExpand(req.Expand)
	base := e.base(r)

	e.mu.RLock()
	defer e.mu.RUnlock()
	res, err := e.runJQL(req.JQL, true)
	if err != nil {
		return jqlAPIError(err)
	}
	resp := searchResponse{Issues: []issueBean{}}
	if offset > len(res) {
		offset = len(res)
	}
	end := min(offset+max, len(res))
	o := &renderOpts{sel: sel, expand: expand, properties: req.Properties, maxHistories: 40}
	if expand["names"] {
		o.names = map[string]string{}
	}
	if expand["schema"] {
		o.schema = map[string]jsonType{}
	}
	defs := e.fieldDefs()
	for _, is := range res[offset:end] {
		resp.Issues = append(resp.Issues, e.renderIssue(base, is, o, defs))
	}
	resp.Names, resp.Schema = o.names, o.schema
	resp.IsLast = end >= len(res)
	if !resp.IsLast {
		resp.NextPageToken = encodeToken(pageToken{Offset: end, Query: queryHash(req.JQL)})
	}
	stateOf(r).objects = len(resp.Issues)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// handleApproximateCount is POST /rest/api/3/search/approximate-count.
func (e *Emulator) handleApproximateCount(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		JQL string `json:"jql"`
	}
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	res, err := e.runJQL(req.JQL, true)
	if err != nil {
		return jqlAPIError(err)
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": len(res)})
	return nil
}

type bulkFetchRequest struct {
	IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
	Fields         []string `json:"fields"`
	Expand         []string `json:"expand"`
	Properties     []string `json:"properties"`
	FieldsByKeys   bool     `json:"fieldsByKeys"`
}

// handleBulkFetch is POST /rest/api/3/issue/bulkfetch: up to 100 issues in
// request order; missing ones are silently left out.
func (e *Emulator) handleBulkFetch(w http.ResponseWriter, r *http.Request) error {
	var req bulkFetchRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	if len(req.IssueIDsOrKeys) == 0 {
		return errf(http.StatusBadRequest, "issueIdsOrKeys must not be empty.")
	}
	if len(req.IssueIDsOrKeys) > maxBulkFetch {
		return errf(http.StatusBadRequest, "A maximum of %d issues can be fetched at once.", maxBulkFetch)
	}
	if len(req.Properties) > maxSearchProperties {
		return errf(http.StatusBadRequest, "A maximum of %d properties can be requested.", maxSearchProperties)
	}
	base := e.base(r)
	o := &renderOpts{sel: parseFieldSel(req.Fields, "*navigable"), expand: parseExpand(req.Expand...),
		properties: req.Properties, maxHistories: 40}
	e.mu.RLock()
	defer e.mu.RUnlock()
	defs := e.fieldDefs()
	out := struct {
		Issues      []issueBean      `json:"issues"`
		IssueErrors []map[string]any `json:"issueErrors"`
	}{Issues: []issueBean{}, IssueErrors: []map[string]any{}}
	seen := map[*issue]bool{}
	for _, k := range req.IssueIDsOrKeys {
		is := e.st.issue(k)
		if is == nil || seen[is] {
			continue
		}
		seen[is] = true
		out.Issues = append(out.Issues, e.renderIssue(base, is, o, defs))
	}
	stateOf(r).objects = len(out.Issues)
	writeJSON(w, http.StatusOK, out)
	return nil
}
