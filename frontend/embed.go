// Package frontend holds the pages Jira loads into the app's iframes (the
// issue glance and the project page): HTML templates, styles and scripts,
// embedded in the binary. Templates are parsed once at start; every static
// file gets a content hash that its URL carries, so browsers may cache it
// for a year and still see a new version at once.
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
	// /static/<Hash>/<Name> may be cached forever.
	Hash string
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
		a.files[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("frontend: static files: %w", err)
	}
	all := template.FuncMap{"asset": a.URL}
	for k, v := range funcs {
		all[k] = v
	}
	a.pages, err = template.New("pages").Funcs(all).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("frontend: templates: %w", err)
	}
	return a, nil
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
