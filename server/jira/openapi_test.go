package jira

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Atlassian's OpenAPI descriptions, relative to this package directory.
const (
	platformSpec = "../../../shared/contracts/jira-platform-v3.openapi.json"
	softwareSpec = "../../../shared/contracts/jira-software.openapi.json"
)

// unspecifiedPaths are endpoints Jira serves that neither description
// covers; requests to them are not validated.
var unspecifiedPaths = []string{"/_edge/tenant_info"}

// specs caches the loaded descriptions: loading the platform file takes
// about a second.
var specs struct {
	once     sync.Once
	err      error
	platform *openapi3.T
	software *openapi3.T
}

func loadSpecs() error {
	specs.once.Do(func() {
		load := func(path string) (*openapi3.T, error) {
			loader := openapi3.NewLoader()
			doc, err := loader.LoadFromFile(path)
			if err != nil {
				return nil, fmt.Errorf("the shared OpenAPI description is required at %s (from server/jira): %w", path, err)
			}
			return doc, nil
		}
		if specs.platform, specs.err = load(platformSpec); specs.err != nil {
			return
		}
		specs.software, specs.err = load(softwareSpec)
		if specs.err != nil {
			return
		}
		// Two paths differ only in their parameter name; gorillamux
		// refuses them. The app uses neither.
		specs.platform.Paths.Delete("/rest/api/3/field/{fieldId}")
		// JsonNode describes Jackson's Java class, not JSON: every real
		// property value (and Atlassian's own example) fails it. Entity
		// property values are any JSON, so it becomes the empty schema.
		if ref := specs.platform.Components.Schemas["JsonNode"]; ref != nil && ref.Value != nil {
			*ref.Value = openapi3.Schema{}
		}
	})
	return specs.err
}

// requestValidator is middleware checking every request the client sends
// against Atlassian's descriptions before the emulator sees it.
type requestValidator struct {
	platform, software routers.Router
	mu                 sync.Mutex
	problems           []string
	checked            map[string]int // "METHOD /path/template" → requests validated
}

func newRequestValidator(t testing.TB, baseURL string) *requestValidator {
	t.Helper()
	if err := loadSpecs(); err != nil {
		t.Fatal(err)
	}
	route := func(doc *openapi3.T) routers.Router {
		d := *doc // a shallow copy per server: only Servers changes
		d.Servers = openapi3.Servers{{URL: baseURL}}
		r, err := gorillamux.NewRouter(&d)
		if err != nil {
			t.Fatalf("router: %v", err)
		}
		return r
	}
	return &requestValidator{platform: route(specs.platform), software: route(specs.software), checked: map[string]int{}}
}

func (v *requestValidator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.validate(r); err != nil {
			v.mu.Lock()
			v.problems = append(v.problems, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
			v.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (v *requestValidator) validate(r *http.Request) error {
	for _, p := range unspecifiedPaths {
		if r.URL.Path == p {
			return nil
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	router := v.platform
	if strings.HasPrefix(r.URL.Path, "/rest/agile/") {
		router = v.software
	}
	// Validate a copy: the filter consumes the body.
	cp := r.Clone(context.Background())
	cp.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(cp)
	if err != nil {
		return fmt.Errorf("not in Atlassian's description: %w", err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: cp, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return err
	}
	v.mu.Lock()
	v.checked[r.Method+" "+route.Path]++
	v.mu.Unlock()
	return nil
}

// check fails the test for every request that broke the description.
func (v *requestValidator) check(t testing.TB) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, p := range v.problems {
		t.Errorf("request breaks Atlassian's OpenAPI description: %s", p)
	}
}

// validated returns how many requests per route template passed.
func (v *requestValidator) validated() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]int, len(v.checked))
	for k, n := range v.checked {
		out[k] = n
	}
	return out
}
