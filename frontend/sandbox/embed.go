// Package sandboxui holds the /sandbox shell: a minimal Jira-like page
// (template, styles, script) and the local stand-in for Atlassian's all.js
// (ap-shim.js) that the app's iframes load in sandbox mode, and of
// @forge/bridge (forge-bridge-shim.js) for the Custom UI frames. Served by
// server/sandbox; compiled into the binary.
package sandboxui

import "embed"

// FS holds shell.html, shell.css, shell.js, ap-shim.js and
// forge-bridge-shim.js (the Custom UI frames' bridge).
//
//go:embed shell.html shell.css shell.js ap-shim.js forge-bridge-shim.js
var FS embed.FS
