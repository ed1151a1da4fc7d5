package frontend

import (
	"strings"
	"testing"
)

// TestLinkModules: a module may import only ./<name> of another module
// served here (the browser has no bundler or import map to find anything
// else); all modules take the set's hash, which moves when any changes.
func TestLinkModules(t *testing.T) {
	files := func(entry string) map[string]*File {
		return map[string]*File{
			"entry.js":  {Name: "entry.js", Module: true, Hash: "e", Body: []byte(entry)},
			"tab.js":    {Name: "tab.js", Module: true, Hash: "t", Body: []byte("import { B } from './page.js';\nexport function setup() { return B; }\n")},
			"page.js":   {Name: "page.js", Module: true, Hash: "p", Body: []byte("export const B = window.BAI;\n")},
			"script.js": {Name: "script.js", Hash: "s", Body: []byte("(function () {})();\n")},
		}
	}
	cases := []struct {
		name, entry, err string
		imports          []string
	}{
		{"relative imports", "import { B } from './page.js';\nimport * as tab from \"./tab.js\";\nimport {\n  x,\n  y\n} from './page.js';\nB.init(tab.setup);\n", "", []string{"page.js", "tab.js", "page.js"}},
		{"side effect import and re-export", "import './tab.js';\nexport * from './page.js';\nexport function f() { return g('./nope.js'); }\n", "", []string{"tab.js", "page.js"}},
		{"bare specifier", "import x from 'lodash';\n", `imports "lodash"`, nil},
		{"absolute path", "import x from '/static/page.js';\n", `imports "/static/page.js"`, nil},
		{"subfolder", "import x from './lib/page.js';\n", `imports "./lib/page.js"`, nil},
		{"missing module", "import x from './gone.js';\n", `imports "./gone.js", which is not a module`, nil},
		{"classic script", "import './script.js';\n", `imports "./script.js", which is not a module`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := &Assets{files: files(tc.entry)}
			err := a.linkModules()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.files["entry.js"].Imports; strings.Join(got, ",") != strings.Join(tc.imports, ",") {
				t.Errorf("imports %v, want %v", got, tc.imports)
			}
			h := a.files["entry.js"].Hash
			if len(h) != 12 || a.files["tab.js"].Hash != h || a.files["page.js"].Hash != h || a.files["script.js"].Hash != "s" {
				t.Errorf("hashes entry %s tab %s page %s script %s", h, a.files["tab.js"].Hash, a.files["page.js"].Hash, a.files["script.js"].Hash)
			}
			if got := a.preloads("entry.js"); !strings.Contains(strings.Join(got, ","), "page.js") {
				t.Errorf("preloads %v", got)
			}
			// Any module's change moves the whole set.
			b := &Assets{files: files(tc.entry)}
			b.files["page.js"].Body = []byte("export const B = window.BAI || {};\n")
			if err := b.linkModules(); err != nil || b.files["entry.js"].Hash == h {
				t.Errorf("a changed page.js left the set hash at %s (%v)", h, err)
			}
		})
	}
}
