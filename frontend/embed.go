// Package frontend holds the pages Jira loads into the app's iframes (the
// issue glance and the project page): HTML templates, styles and scripts,
// embedded in the binary. Templates are parsed once at start; every static
// file gets a content hash that its URL carries, so browsers may cache it
// for a year and still see a new version at once.
//
// A script with a top-level import or export is a native ES module. Modules
// import each other by relative path ("./backlog.js"), so the browser
// resolves an import next to its importer's URL: all modules share one
// hash, that of the whole set, and a change to any of them moves them all
// to new URLs. Load refuses an import it cannot serve.
package frontend

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// StaticPrefix is the URL path under which static files are served.
const StaticPrefix = "/static/"

// File is one static file, ready to serve.
type File struct {
	Name        string
	ContentType string
	Body        []byte
	// Gzip is Body compressed, for clients that accept it.
	Gzip []byte
	// Hash is a short content hash (hex); URLs of the form
	// /static/<Hash>/<Name> may be cached forever. Every module has the
	// hash of the module set.
	Hash string
	// Module: an ES module (loaded with <script type="module">).
	Module bool
	// Imports are the modules this one imports (names of static files).
	Imports []string
}

// Assets are the parsed templates and the static files.
type Assets struct {
	pages    *template.Template
	files    map[string]*File
	basePath string
}

// Load reads the embedded files, hashes and compresses the static ones and
// parses the templates with funcs plus "asset" (the hashed URL of a static
// file). basePath is the path prefix of the app's base URL ("" at root).
func Load(basePath string, funcs template.FuncMap) (*Assets, error) {
	a := &Assets{files: map[string]*File{}, basePath: strings.TrimSuffix(basePath, "/")}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		f := &File{Name: name, ContentType: contentType(name), Body: body, Hash: hex.EncodeToString(sum[:])[:12]}
		if f.Gzip, err = gzipBytes(body); err != nil {
			return err
		}
		if path.Ext(name) == ".js" && moduleSyntax.Match(body) {
			f.Module = true
		}
		a.files[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("frontend: static files: %w", err)
	}
	if err := a.linkModules(); err != nil {
		return nil, fmt.Errorf("frontend: static files: %w", err)
	}
	all := template.FuncMap{"asset": a.URL, "module": a.isModule, "preloads": a.preloads}
	for k, v := range funcs {
		all[k] = v
	}
	a.pages, err = template.New("pages").Funcs(all).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("frontend: templates: %w", err)
	}
	return a, nil
}

// moduleSyntax finds a top-level import or export (classic scripts here
// are wrapped in a function, so neither starts a line in them).
var moduleSyntax = regexp.MustCompile(`(?m)^(?:import|export)\b`)

// importFrom finds a module's static imports: import … from '…',
// import '…' and export … from '…'.
var importFrom = regexp.MustCompile(`(?m)^(?:import|export)\s+(?:[\w$*{},\s]*?\s*from\s*)?['"]([^'"]+)['"]`)

// linkModules records each module's imports, checks that each names a
// module served here, and gives every module the hash of the whole set.
func (a *Assets) linkModules() error {
	var names []string
	for n, f := range a.files {
		if f.Module {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	set := sha256.New()
	for _, n := range names {
		f := a.files[n]
		for _, m := range importFrom.FindAllSubmatch(f.Body, -1) {
			spec := string(m[1])
			dep, ok := strings.CutPrefix(spec, "./")
			if !ok || strings.Contains(dep, "/") {
				return fmt.Errorf("%s imports %q: only ./<name> of a module here can be served without a bundler", n, spec)
			}
			if d, found := a.files[dep]; !found || !d.Module {
				return fmt.Errorf("%s imports %q, which is not a module here", n, spec)
			}
			f.Imports = append(f.Imports, dep)
		}
		fmt.Fprintf(set, "%s\x00%d\x00", n, len(f.Body))
		set.Write(f.Body)
	}
	hash := hex.EncodeToString(set.Sum(nil))[:12]
	for _, n := range names {
		a.files[n].Hash = hash
	}
	return nil
}

func (a *Assets) isModule(name string) bool {
	f, ok := a.files[name]
	return ok && f.Module
}

// preloads lists the modules an entry module imports, directly or not, in
// a fixed order: the page names them in <link rel="modulepreload"> so that
// the browser fetches them at once rather than one import level at a time.
func (a *Assets) preloads(entry string) []string {
	seen := map[string]bool{entry: true}
	var out []string
	queue := []string{entry}
	for len(queue) > 0 {
		f, ok := a.files[queue[0]]
		queue = queue[1:]
		if !ok {
			continue
		}
		for _, d := range f.Imports {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
				queue = append(queue, d)
			}
		}
	}
	return out
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// URL is the cache-busting URL of a static file: /static/<hash>/<name>
// under the base path. An unknown name is a programming error; it yields
// a URL that answers 404 rather than failing the page.
func (a *Assets) URL(name string) string {
	f, ok := a.files[name]
	if !ok {
		return a.basePath + StaticPrefix + "missing/" + name
	}
	return a.basePath + StaticPrefix + f.Hash + "/" + name
}

// File returns the static file of that name (a plain name such as
// "app.css", never a path).
func (a *Assets) File(name string) (*File, bool) {
	f, ok := a.files[name]
	return f, ok
}

// Names lists the static files.
func (a *Assets) Names() []string {
	out := make([]string, 0, len(a.files))
	for n := range a.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Render executes the named template ("glance.html", or a fragment
// defined in one) into w.
func (a *Assets) Render(w io.Writer, name string, data any) error {
	if err := a.pages.ExecuteTemplate(w, name, data); err != nil {
		return fmt.Errorf("frontend: render %s: %w", name, err)
	}
	return nil
}

// TemplateSource returns a template file's text (for tests and tools).
func TemplateSource(name string) ([]byte, error) {
	return templateFS.ReadFile("templates/" + name)
}

// Static is the static files (app.css, common.js …) as a file system, for
// the Custom UI resources, which carry the same files as the Connect pages.
func Static() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // "static" is a valid path: cannot happen
	}
	return sub
}
