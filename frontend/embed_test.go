package frontend_test

import (
	"bytes"
	"compress/gzip"
	"html/template"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/frontend"
)

// stubs satisfy the helpers the web package passes to the templates.
var stubs = template.FuncMap{
	"lower": strings.ToLower, "moscowSlug": strings.ToLower, "flagLabel": func(s string) string { return s },
	"pct": func(float64) int { return 0 }, "num": func(float64) string { return "" }, "plural": func(int, string, string) string { return "" },
	"stateText": func(s string) string { return s }, "severityText": func(s string) string { return s },
	"methodText": func(s string) string { return s }, "phaseText": func(s string) string { return s },
}

func TestLoadHashesAndCompresses(t *testing.T) {
	a, err := frontend.Load("/app", stubs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app.css", "backlog.js", "backlogtools.js", "common.js", "criteria.js", "generate.js", "glance.js", "health.js", "host.js", "icon.svg",
		"insights.css", "insights.js", "page.js", "project.js", "scan.js", "settings.js", "strategy.js"}
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
	scripts := scriptNames(a)
	for _, n := range scripts {
		f, _ := a.File(n)
		end := bytes.Index(f.Body, []byte("*/"))
		if end < 0 {
			t.Fatalf("%s has no header comment", n)
		}
		docs.Write(f.Body[:end])
	}
	doc := docs.String()
	used := map[string]bool{}
	for _, n := range scripts {
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

// scriptNames lists every script and module in static/.
func scriptNames(a *frontend.Assets) []string {
	var out []string
	for _, n := range a.Names() {
		if strings.HasSuffix(n, ".js") {
			out = append(out, n)
		}
	}
	return out
}

// TestProjectPageModules: the project page loads its entry as a native
// ES module, preloads every module it imports, and all of them carry one
// hash (that of the module set), so that the relative imports the browser
// resolves next to the entry's URL are the hashed, cacheable URLs too.
// The classic scripts keep hashes of their own.
func TestProjectPageModules(t *testing.T) {
	a, err := frontend.Load("/app", stubs)
	if err != nil {
		t.Fatal(err)
	}
	entry, _ := a.File("project.js")
	if !entry.Module {
		t.Fatal("project.js is not a module")
	}
	tabs := []string{"backlog.js", "generate.js", "health.js", "page.js", "scan.js", "settings.js", "strategy.js"}
	for _, n := range tabs {
		f, _ := a.File(n)
		if !f.Module || f.Hash != entry.Hash {
			t.Errorf("%s: module %v, hash %s (entry %s)", n, f.Module, f.Hash, entry.Hash)
		}
		if !slices.Contains(f.Imports, "page.js") && n != "page.js" {
			t.Errorf("%s imports %v, not page.js", n, f.Imports)
		}
	}
	hashes := map[string]bool{}
	for _, n := range []string{"host.js", "common.js", "glance.js", "insights.js", "backlogtools.js"} {
		f, _ := a.File(n)
		if f.Module || f.Hash == entry.Hash || hashes[f.Hash] {
			t.Errorf("%s: module %v, hash %s shared", n, f.Module, f.Hash)
		}
		hashes[f.Hash] = true
	}

	head := func(script string) string {
		var buf bytes.Buffer
		if err := a.Render(&buf, "head", struct{ Title, APScript, Script string }{"t", "/ap.js", script}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if g := head("glance.js"); !strings.Contains(g, `<script src="`+a.URL("glance.js")+`" defer></script>`) || strings.Contains(g, "module") {
		t.Errorf("the glance's head loads its script otherwise than as a classic deferred script:\n%s", g)
	}
	html := head("project.js")
	if want := `<script type="module" src="` + a.URL("project.js") + `"></script>`; !strings.Contains(html, want) {
		t.Errorf("page lacks %s", want)
	}
	for _, n := range tabs {
		if want := `<link rel="modulepreload" href="` + a.URL(n) + `">`; !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, n := range []string{"host.js", "common.js", "insights.js"} {
		if want := `<script src="` + a.URL(n) + `" defer></script>`; !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Index(html, a.URL("common.js")) > strings.Index(html, a.URL("project.js")) {
		t.Error("the modules run before common.js, which they need")
	}
}

// TestLintSeesWhatTheBrowserRuns: eslint parses as classic scripts exactly
// the files the pages load as classic scripts, and every other file as a
// module (eslint.config.js names the scripts).
func TestLintSeesWhatTheBrowserRuns(t *testing.T) {
	a, err := frontend.Load("", stubs)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile("eslint.config.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const scripts = \[([^\]]*)\]`).FindSubmatch(cfg)
	if m == nil {
		t.Fatal("eslint.config.js names no scripts")
	}
	var linted []string
	for _, q := range regexp.MustCompile(`'static/([^']+)'`).FindAllSubmatch(m[1], -1) {
		linted = append(linted, string(q[1]))
	}
	var classic []string
	for _, n := range scriptNames(a) {
		if f, _ := a.File(n); !f.Module {
			classic = append(classic, n)
		}
	}
	slices.Sort(linted)
	if strings.Join(linted, ",") != strings.Join(classic, ",") {
		t.Errorf("eslint reads as classic scripts %v; the pages load as classic scripts %v", linted, classic)
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
