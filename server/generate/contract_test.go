package generate

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// platformSpec is Atlassian's description of the platform REST API,
// beside the checkout.
const platformSpec = "../../../shared/contracts/jira-platform-v3.openapi.json"

// TestPermissionsCheckMatchesJiraContract: the client's request to
// POST /rest/api/3/permissions/check and the emulator's answer both fit
// Atlassian's schemas (BulkPermissionsRequestBean, BulkPermissionGrants).
func TestPermissionsCheckMatchesJiraContract(t *testing.T) {
	if _, err := os.Stat(platformSpec); err != nil {
		t.Fatalf("the Jira platform OpenAPI description is missing at %s (it ships in ../shared/contracts): %v", platformSpec, err)
	}
	doc, err := openapi3.NewLoader().LoadFromFile(platformSpec)
	if err != nil {
		t.Fatal(err)
	}
	schema := func(name string) *openapi3.Schema {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			t.Fatalf("schema %s not in the description", name)
		}
		return ref.Value
	}
	reqSchema, respSchema := schema("BulkPermissionsRequestBean"), schema("BulkPermissionGrants")

	secret := "s3cr3t-shared-secret-for-tests-0123456789"
	emu := jiraemu.New(jiraemu.Options{AppKey: testAppKey, SharedSecret: secret})
	var mu sync.Mutex
	var reqBody, respBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rest/api/3/permissions/check" {
			emu.Handler().ServeHTTP(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		rec := httptest.NewRecorder()
		emu.Handler().ServeHTTP(rec, r)
		mu.Lock()
		reqBody, respBody = b, rec.Body.Bytes()
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	emu.SetBaseURL(srv.URL)
	defer emu.Close()
	emu.SetProjectAdmins("SHOP", "557058:admin")

	tn := &domain.Tenant{ClientKey: emu.ClientKey(), BaseURL: srv.URL, SharedSecret: secret}
	clients := &jiraclients.Registry{AppKey: testAppKey, HTTP: srv.Client()}
	c, err := clients.App(tn)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.GetProject(context.Background(), "SHOP")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := c.HasProjectPermission(context.Background(), "557058:admin", p.ID, jira.PermissionAdministerProjects)
	if err != nil || !ok {
		t.Fatalf("admin: %v %v", ok, err)
	}
	mu.Lock()
	sentReq, gotResp := reqBody, respBody
	mu.Unlock()
	for _, x := range []struct {
		what   string
		schema *openapi3.Schema
		raw    []byte
	}{{"request", reqSchema, sentReq}, {"response", respSchema, gotResp}} {
		var v any
		if err := json.Unmarshal(x.raw, &v); err != nil {
			t.Fatalf("%s is not JSON: %s", x.what, x.raw)
		}
		if err := x.schema.VisitJSON(v); err != nil {
			t.Errorf("%s does not fit the schema: %v\n%s", x.what, err, x.raw)
		}
	}
	if ok, err := c.HasProjectPermission(context.Background(), "557058:nobody", p.ID, jira.PermissionAdministerProjects); err != nil || ok {
		t.Errorf("non-admin: %v %v", ok, err)
	}
	if _, err := c.HasProjectPermission(context.Background(), "557058:nobody", "SHOP", jira.PermissionAdministerProjects); err == nil {
		t.Error("a project key instead of its id was sent")
	}
}
