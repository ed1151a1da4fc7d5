package forgeui_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	forgeui "github.com/backlogai/backlogai/forge/ui"
	"github.com/backlogai/backlogai/frontend"
)

// TestBundlesAreBuiltFromTheSources checks the Custom UI bundles that
// `make forge-ui` wrote (and `forge deploy` uploads): every file is the
// current copy of its source (forge/ui/src, frontend/static), nothing else
// is there but bridge.js, and bridge.js is @forge/bridge exposed as
// window.__forgeBridge. A stale bundle after a page change fails here.
// Without the bundles it skips (fails on CI).
func TestBundlesAreBuiltFromTheSources(t *testing.T) {
	for _, res := range []string{"glance", "project"} {
		dir := res
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("forge/ui/%s not built (make forge-ui): %v", res, err)
			}
			t.Skipf("forge/ui/%s not built; run `make forge-ui`", res)
		}
		want := map[string][]byte{}
		err := fs.WalkDir(frontend.Static(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			want[p], err = fs.ReadFile(frontend.Static(), p)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"index.html", "loader.js"} {
			if want[f], err = fs.ReadFile(forgeui.Src, "src/"+f); err != nil {
				t.Fatal(err)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			got, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			seen[e.Name()] = true
			if e.Name() == "bridge.js" {
				for _, s := range []string{"window.__forgeBridge=", "requestRemote", "showFlag", "getContext"} {
					if !bytes.Contains(got, []byte(s)) {
						t.Errorf("forge/ui/%s/bridge.js lacks %q: not the bundled @forge/bridge", res, s)
					}
				}
				continue
			}
			w, ok := want[e.Name()]
			if !ok {
				t.Errorf("forge/ui/%s/%s has no source", res, e.Name())
			} else if !bytes.Equal(got, w) {
				t.Errorf("forge/ui/%s/%s differs from its source: run `make forge-ui`", res, e.Name())
			}
		}
		for f := range want {
			if !seen[f] {
				t.Errorf("forge/ui/%s lacks %s: run `make forge-ui`", res, f)
			}
		}
		if !seen["bridge.js"] {
			t.Errorf("forge/ui/%s lacks bridge.js", res)
		}
	}
}
