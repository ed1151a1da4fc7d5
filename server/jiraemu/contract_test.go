package jiraemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Atlassian's OpenAPI descriptions, beside the checkout.
const (
	platformSpec = "../../../shared/contracts/jira-platform-v3.openapi.json"
	softwareSpec = "../../../shared/contracts/jira-software.openapi.json"
)

// specException names a documented way Jira (and so the emulator) differs
// from its OpenAPI description. Responses matching one are checked for
// status only.
type specException struct {
	method, path string // path "" matches any
	status       int
	why          string
}

var specExceptions = []specException{
	{"GET", "/rest/api/3/search", 410, "the old search was removed (CHANGE-2046) but is still described, without a 410"},
	{"POST", "/rest/api/3/search", 410, "the old search was removed (CHANGE-2046) but is still described, without a 410"},
	{"", "", 429, "rate limiting (enforced since 2026-03-02) is not in the description of any operation"},
	{"GET", "/rest/api/3/issue/{issueIdOrKey}", 403, "Jira answers 403 to a GET with a body; not described"},
	{"PUT", "/rest/api/3/issue/{issueIdOrKey}", 204, "a 204 has no body and no Content-Type; the description gives it application/json content"},
	{"PUT", "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}", 200, "Jira answers with an empty body; the description declares application/json content"},
	{"PUT", "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}", 201, "Jira answers with an empty body; the description declares application/json content"},
	{"POST", "/rest/api/3/issueLink", 201, "Jira answers with an empty body (documented in the operation's text); the description declares application/json content"},
}

// requestExceptions are operations whose request schema real requests
// cannot meet.
var requestExceptions = map[string]string{
	"POST /rest/api/3/issue/properties/multi": "property values are typed JsonNode, which the description spells out as Jackson's JsonNode bean (additionalProperties false), not as any JSON",
}

// Quirks of Jira's JSON that its description rejects; the contract test
// normalises them away (and logs that it did) before validating, so the
// rest of each response is still checked strictly.
const (
	quirkNull      = "Jira sends null for empty values (fields, changelog from/to, assignee); OpenAPI 3.0 schemas without nullable reject null"
	quirkTimestamp = "Jira writes timestamps as 2026-01-02T15:04:05.000+0000 (offset without colon); format date-time requires +00:00"
)

var jiraTimestamp = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})([+-]\d\d)(\d\d)$`)

// normalizeQuirks drops null members and rewrites Jira timestamps; it
// reports which quirks it met.
func normalizeQuirks(v any, seen map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if val == nil {
				delete(x, k)
				seen[quirkNull] = true
				continue
			}
			x[k] = normalizeQuirks(val, seen)
		}
	case []any:
		for i := range x {
			x[i] = normalizeQuirks(x[i], seen)
		}
	case string:
		if m := jiraTimestamp.FindStringSubmatch(x); m != nil {
			seen[quirkTimestamp] = true
			return m[1] + m[2] + ":" + m[3]
		}
	}
	return v
}

func exceptionFor(method, path string, status int) *specException {
	for i, x := range specExceptions {
		if x.status == status && (x.method == "" || x.method == method) && (x.path == "" || x.path == path) {
			return &specExceptions[i]
		}
	}
	return nil
}

func loadSpec(t *testing.T, file, serverURL string, drop ...string) routers.Router {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("OpenAPI description missing (expected ../shared beside the checkout): %v", err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	// Atlassian's file does not pass doc.Validate (bad examples and
	// defaults); it is not called. Two of its paths conflict for the router.
	for _, p := range drop {
		doc.Paths.Delete(p)
	}
	doc.Servers = openapi3.Servers{{URL: serverURL}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router for %s: %v", file, err)
	}
	return r
}

// contractChecker validates requests and responses against the specs.
type contractChecker struct {
	t        *testing.T
	site     *testSite
	routers  []routers.Router
	checked  map[string]bool // "METHOD path status" validated against the spec
	excepted map[string]string
	quirks   map[string]int
}

func (c *contractChecker) options() *openapi3filter.Options {
	// SkipSettingDefaults: kin would otherwise add default query values to
	// the request, which breaks the qsh the client signed.
	return &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true, SkipSettingDefaults: true}
}

func (c *contractChecker) route(req *http.Request) (*routers.Route, map[string]string) {
	for _, r := range c.routers {
		if route, params, err := r.FindRoute(req); err == nil {
			return route, params
		}
	}
	c.t.Fatalf("no operation in the specs for %s %s", req.Method, req.URL.Path)
	return nil, nil
}

// call sends a signed request, validating both directions; it returns the
// status and body.
func (c *contractChecker) call(method, path string, body any) (int, []byte) {
	c.t.Helper()
	req := c.site.request(method, path, body)
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	route, params := c.route(req)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.options()}
	ctx := context.Background()
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		if why, ok := requestExceptions[method+" "+route.Path]; ok {
			c.excepted[method+" "+route.Path+" request"] = why
		} else {
			c.t.Errorf("request %s %s does not match the spec: %v", method, path, err)
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	status, header, respBody := c.site.send(req)
	key := fmt.Sprintf("%s %s %d", method, route.Path, status)
	if x := exceptionFor(method, route.Path, status); x != nil {
		c.excepted[key] = x.why
		return status, respBody
	}
	checked := respBody
	if len(respBody) > 0 {
		dec := json.NewDecoder(bytes.NewReader(respBody))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			seen := map[string]bool{}
			v = normalizeQuirks(v, seen)
			checked, _ = json.Marshal(v)
			for q := range seen {
				c.quirks[q]++
			}
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(checked)), Options: c.options()}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.t.Errorf("response to %s %s (%d) does not match the spec: %v\n%.600s", method, path, status, err, respBody)
	}
	c.checked[key] = true
	return status, respBody
}

func (c *contractChecker) expect(want int, method, path string, body any) []byte {
	c.t.Helper()
	st, b := c.call(method, path, body)
	if st != want {
		c.t.Fatalf("%s %s: %d, want %d: %.300s", method, path, st, want, b)
	}
	return b
}

// TestContractWithAtlassianOpenAPI validates every request and response of
// the operations the app uses against Atlassian's own descriptions.
func TestContractWithAtlassianOpenAPI(t *testing.T) {
	s := newSite(t, Options{TaskDelay: time.Millisecond})
	c := &contractChecker{t: t, site: s, checked: map[string]bool{}, excepted: map[string]string{}, quirks: map[string]int{},
		routers: []routers.Router{
			loadSpec(t, platformSpec, s.srv.URL, "/rest/api/3/field/{id}"),
			loadSpec(t, softwareSpec, s.srv.URL),
		}}

	c.expect(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = SHOP", "maxResults": 3})
	c.expect(200, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = SHOP ORDER BY key", "maxResults": 20,
		"fields": []string{"*all"}, "expand": "names,schema,renderedFields,changelog", "properties": []string{"backlogai"}, "fieldsByKeys": false,
		"reconcileIssues": []int{10001}})
	c.expect(200, "GET", "/rest/api/3/search/jql?jql=project%20%3D%20SHOP&fields=summary,status,issuelinks&maxResults=5&expand=names", nil)
	c.expect(400, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "order by key"})
	c.expect(200, "POST", "/rest/api/3/search/approximate-count", map[string]any{"jql": "project = SHOP"})
	c.expect(410, "GET", "/rest/api/3/search?jql=project%20%3D%20SHOP", nil)
	c.expect(410, "POST", "/rest/api/3/search", map[string]any{"jql": "project = SHOP"})
	c.expect(200, "POST", "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": []string{"SHOP-1", "SHOP-2"},
		"fields": []string{"summary", "customfield_10016"}, "expand": []string{"names"}, "properties": []string{"backlogai"}})
	c.expect(200, "GET", "/rest/api/3/issue/SHOP-3", nil)
	c.expect(200, "GET", "/rest/api/3/issue/SHOP-3?expand=renderedFields,names,schema,changelog&properties=backlogai", nil)
	c.expect(404, "GET", "/rest/api/3/issue/SHOP-99999", nil)

	created := c.expect(201, "POST", "/rest/api/3/issue", createBody("Contract story", map[string]any{"labels": []string{"contract"}}))
	key := strings.Split(strings.Split(string(created), `"key":"`)[1], `"`)[0]
	c.expect(400, "POST", "/rest/api/3/issue", createBody("Bad", map[string]any{"description": "text"}))
	c.expect(201, "POST", "/rest/api/3/issue/bulk", map[string]any{"issueUpdates": []any{createBody("Bulk one", nil), createBody("", nil)}})
	c.expect(400, "POST", "/rest/api/3/issue/bulk", map[string]any{"issueUpdates": []any{createBody("", nil)}})
	c.expect(204, "PUT", "/rest/api/3/issue/"+key, map[string]any{"fields": map[string]any{"summary": "Contract story, edited"}})
	c.expect(200, "PUT", "/rest/api/3/issue/"+key+"?returnIssue=true", map[string]any{"fields": map[string]any{"customfield_10016": 3}})
	c.expect(400, "PUT", "/rest/api/3/issue/"+key, map[string]any{"fields": map[string]any{"nope": 1}})

	c.expect(201, "PUT", "/rest/api/3/issue/"+key+"/properties/backlogai", map[string]any{"score": 64, "moscow": "Should"})
	c.expect(200, "PUT", "/rest/api/3/issue/"+key+"/properties/backlogai", map[string]any{"score": 65, "moscow": "Should"})
	c.expect(200, "GET", "/rest/api/3/issue/"+key+"/properties/backlogai", nil)
	c.expect(404, "GET", "/rest/api/3/issue/"+key+"/properties/none", nil)
	c.expect(204, "DELETE", "/rest/api/3/issue/"+key+"/properties/backlogai", nil)

	st, _ := c.call("POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": []any{
		map[string]any{"issueID": 10001, "properties": map[string]any{"backlogai": map[string]any{"score": 50}}}}})
	if st != 303 {
		t.Fatalf("multi: %d", st)
	}
	c.expect(400, "POST", "/rest/api/3/issue/properties/multi", map[string]any{"issues": []any{}})
	c.expect(200, "GET", "/rest/api/3/task/10001", nil) // enqueued
	time.Sleep(20 * time.Millisecond)
	c.expect(200, "GET", "/rest/api/3/task/10001", nil) // complete
	c.expect(404, "GET", "/rest/api/3/task/1", nil)

	c.expect(201, "POST", "/rest/api/3/issueLink", map[string]any{"type": map[string]string{"name": "Blocks"},
		"inwardIssue": map[string]string{"key": key}, "outwardIssue": map[string]string{"key": "SHOP-1"}})
	c.expect(200, "GET", "/rest/api/3/issue/"+key+"?fields=issuelinks", nil)
	c.expect(200, "GET", "/rest/api/3/issueLinkType", nil)
	c.expect(200, "GET", "/rest/api/3/field", nil)
	c.expect(200, "GET", "/rest/api/3/project/SHOP", nil)
	c.expect(404, "GET", "/rest/api/3/project/NOPE", nil)
	c.expect(201, "POST", "/rest/api/3/issue/"+key+"/comment", map[string]any{"body": okDoc})
	c.expect(200, "GET", "/rest/api/3/issue/"+key+"/comment", nil)
	c.expect(200, "GET", "/rest/api/3/issue/SHOP-3/changelog?startAt=0&maxResults=2", nil)
	c.expect(200, "GET", "/rest/agile/1.0/board/1/configuration", nil)

	s.emu.SetFaults(Faults{Throttle: []ThrottleRule{{Count: 1}}})
	c.expect(429, "GET", "/rest/api/3/field", nil)
	s.emu.SetFaults(Faults{})

	if len(c.checked) < 25 {
		t.Errorf("only %d operation/status pairs validated", len(c.checked))
	}
	for k, why := range c.excepted {
		t.Logf("spec exception %s: %s", k, why)
	}
	for q, n := range c.quirks {
		t.Logf("normalised in %d responses: %s", n, q)
	}
}

// TestContractRejectsMalformedResponse guards the contract test itself: a
// response that breaks the schema must be caught.
func TestContractRejectsMalformedResponse(t *testing.T) {
	r := loadSpec(t, platformSpec, "http://jira.test", "/rest/api/3/field/{id}")
	req, _ := http.NewRequest("GET", "http://jira.test/rest/api/3/issueLinkType", nil)
	route, params, err := r.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	bad := `{"issueLinkTypes": [{"id": 10000, "name": "Blocks"}]}`
	h := http.Header{"Content-Type": {"application/json"}}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: 200, Header: h, Body: io.NopCloser(strings.NewReader(bad))})
	if err == nil {
		t.Fatal("a numeric link type id passed validation")
	}
}
