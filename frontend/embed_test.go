package frontend_test

import (
	"bytes"
	"compress/gzip"
	"html/template"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/frontend"
)

// stubs satisfy the helpers the web package passes to the templates.
var stubs = template.FuncMap{
	"lower": strings.ToLower, "moscowSlug": strings.ToLower, "flagLabel": func(s string) string { return s },
	"pct": func(float64) int { return 0 }, "num": func(float64) string { return "" }, "plural": func(int, string, string) string { return "" },
	"rowOf": func(string, any) any { return nil }, "stateText": func(s string) string { return s }, "severityText": func(s string) string { return s },
	"methodText": func(s string) string { return s }, "phaseText": func(s string) string { return s },
	"quality": func(int) string { return "" },
}

func TestLoadHashesAndCompresses(t *testing.T) {
	a, err := frontend.Load("/app", stubs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app.css", "backlogtools.js", "common.js", "criteria.js", "glance.js", "host.js", "icon.svg", "insights.css", "insights.js", "project.js"}
	if got := a.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("static files %v, want %v", got, want)
	}
	for _, n := range want {
		f, _ := a.File(n)
		if !regexp.MustCompile(`^/app/static/[0-9a-f]{12}/` + regexp.QuoteMeta(n) + `$`).MatchString(a.URL(n)) {
			t.Errorf("URL of %s: %s", n, a.URL(n))
		}
		zr, err := gzip.NewReader(bytes.NewReader(f.Gzip))
		if err != nil {
			t.Fatal(err)
		}
		if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, f.Body) {
			t.Errorf("%s: gzip differs from the file", n)
		}
		if f.ContentType == "application/octet-stream" {
			t.Errorf("%s: no content type", n)
		}
	}
	if a.URL("nope.js") != "/app/static/missing/nope.js" {
		t.Errorf("unknown file URL %q", a.URL("nope.js"))
	}
	if _, ok := a.File("../embed.go"); ok {
		t.Error("a path reached outside the static files")
	}
	var buf bytes.Buffer
	if err := a.Render(&buf, "no-such-template", nil); err == nil {
		t.Error("rendering an unknown template did not fail")
	}
}

// TestScriptsDocumentTheirHooks: every data-testid a script or template
// sets is listed in the header comment of a script, where the browser
// tests look them up.
func TestScriptsDocumentTheirHooks(t *testing.T) {
	a, err := frontend.Load("", stubs)
	if err != nil {
		t.Fatal(err)
	}
	var docs strings.Builder
	for _, n := range []string{"backlogtools.js", "common.js", "criteria.js", "glance.js", "insights.js", "project.js"} {
		f, _ := a.File(n)
		end := bytes.Index(f.Body, []byte("*/"))
		if end < 0 {
			t.Fatalf("%s has no header comment", n)
		}
		docs.Write(f.Body[:end])
	}
	doc := docs.String()
	used := map[string]bool{}
	for _, n := range []string{"backlogtools.js", "common.js", "criteria.js", "glance.js", "insights.js", "project.js"} {
		f, _ := a.File(n)
		for _, m := range regexp.MustCompile(`'data-testid': '([a-z0-9_-]+)'`).FindAllSubmatch(f.Body, -1) {
			used[string(m[1])] = true
		}
	}
	for _, m := range regexp.MustCompile(`data-testid="([a-z0-9_-]+)"`).FindAllStringSubmatch(templates(t), -1) {
		used[m[1]] = true
	}
	for id := range used {
		if strings.HasSuffix(id, "-") {
			continue // a prefix built in code, e.g. 'strategy-' + name + '-remove'
		}
		// Families are documented once, e.g. filter-moscow-{must,…}.
		if !regexp.MustCompile(`(^|[^a-z0-9_-])`+regexp.QuoteMeta(id)+`([^a-z0-9_-]|$)`).MatchString(doc) && !familyDocumented(doc, id) {
			t.Errorf("data-testid %q is not documented in a script header", id)
		}
	}
}

func familyDocumented(doc, id string) bool {
	for _, m := range regexp.MustCompile(`([a-z-]+)-\{([a-z_,]+)\}`).FindAllStringSubmatch(doc, -1) {
		for _, v := range strings.Split(m[2], ",") {
			if m[1]+"-"+v == id || strings.HasPrefix(id, m[1]+"-"+v+"-") {
				return true
			}
		}
	}
	for _, m := range regexp.MustCompile(`([a-z-]+)\(-\|?([a-z|-]+)\)`).FindAllStringSubmatch(doc, -1) {
		for _, v := range strings.Split(m[2], "|") {
			if m[1]+"-"+strings.TrimPrefix(v, "-") == id {
				return true
			}
		}
	}
	return false
}

func templates(t *testing.T) string {
	var all strings.Builder
	for _, n := range []string{"layout.html", "glance.html", "project.html"} {
		b, err := frontend.TemplateSource(n)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.String()
}
