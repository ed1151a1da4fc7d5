// Package forgeui holds the sources of the Custom UI resources of the
// Forge app (manifest.yml: resources glance and project): index.html and
// loader.js, which with the pages' static files (frontend/static) and
// bridge.js make one bundle. build.mjs writes the bundles for `forge
// deploy` (bridge.js: @forge/bridge bundled by esbuild); the /sandbox
// shell serves the same sources with its bridge shim.
package forgeui

import "embed"

// Src holds src/index.html and src/loader.js.
//
//go:embed src/index.html src/loader.js
var Src embed.FS
