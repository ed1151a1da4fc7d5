package jiraemu

import (
	"encoding/json"
	"html"
	"strings"
)

// adfNode is the part of an ADF node the emulator reads.
type adfNode struct {
	Type    string            `json:"type"`
	Text    string            `json:"text"`
	Attrs   map[string]any    `json:"attrs"`
	Content []adfNode         `json:"content"`
	Marks   []json.RawMessage `json:"marks"`
}

// adfToText flattens ADF to plain text (for changelog strings and JQL ~).
func adfToText(raw json.RawMessage) string {
	var n adfNode
	if err := json.Unmarshal(raw, &n); err != nil {
		return ""
	}
	var b strings.Builder
	writeText(&b, &n)
	return strings.TrimSpace(b.String())
}

func writeText(b *strings.Builder, n *adfNode) {
	switch n.Type {
	case "text":
		b.WriteString(n.Text)
		return
	case "hardBreak":
		b.WriteByte('\n')
		return
	}
	for i := range n.Content {
		writeText(b, &n.Content[i])
	}
	switch n.Type {
	case "paragraph", "heading", "listItem", "tableRow", "rule", "codeBlock":
		b.WriteByte('\n')
	case "tableCell", "tableHeader":
		b.WriteByte('\t')
	}
}

// adfToHTML renders ADF roughly as Jira's renderedFields does.
func adfToHTML(raw json.RawMessage) string {
	var n adfNode
	if err := json.Unmarshal(raw, &n); err != nil {
		return ""
	}
	var b strings.Builder
	writeHTML(&b, &n)
	return b.String()
}

func writeHTML(b *strings.Builder, n *adfNode) {
	tag := ""
	switch n.Type {
	case "text":
		b.WriteString(html.EscapeString(n.Text))
		return
	case "hardBreak":
		b.WriteString("<br/>")
		return
	case "rule":
		b.WriteString("<hr/>")
		return
	case "paragraph":
		tag = "p"
	case "heading":
		tag = "h3"
		if l, ok := n.Attrs["level"].(float64); ok && l >= 1 && l <= 6 {
			tag = "h" + itoa(int(l))
		}
	case "bulletList":
		tag = "ul"
	case "orderedList":
		tag = "ol"
	case "listItem":
		tag = "li"
	case "table":
		tag = "table"
	case "tableRow":
		tag = "tr"
	case "tableHeader":
		tag = "th"
	case "tableCell":
		tag = "td"
	case "codeBlock":
		tag = "pre"
	case "blockquote":
		tag = "blockquote"
	case "panel":
		tag = "div"
	}
	if tag != "" {
		b.WriteString("<" + tag + ">")
	}
	for i := range n.Content {
		writeHTML(b, &n.Content[i])
	}
	if tag != "" {
		b.WriteString("</" + tag + ">")
	}
}
