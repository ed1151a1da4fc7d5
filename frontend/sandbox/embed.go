// Package sandboxui holds the /sandbox shell: a minimal Jira-like page
// (template, styles, script) and the local stand-in for Atlassian's all.js
// (ap-shim.js) that the app's iframes load in sandbox mode. Served by
// server/web/sandbox.go; compiled into the binary.
package sandboxui

import "embed"

// FS holds shell.html, shell.css, shell.js and ap-shim.js.
//
//go:embed shell.html shell.css shell.js ap-shim.js
var FS embed.FS
