// Package backlogai holds files that live at the repository root but are
// compiled into the binary: the Connect descriptor template.
package backlogai

import _ "embed"

// DescriptorTemplate is atlassian-connect.json; the web layer serves it with
// baseUrl and key taken from configuration.
//
//go:embed atlassian-connect.json
var DescriptorTemplate []byte
