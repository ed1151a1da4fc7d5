// Package adf builds, validates and flattens Atlassian Document Format, the
// JSON rich-text format of Jira descriptions and comments.
//
// Build documents for Jira with NewDoc and the node constructors, or from
// plain text with FromText and Paragraphs; check them with Validate, and
// turn documents read from Jira into plain text for the analysis engine
// with PlainText.
package adf

import "encoding/json"

// Doc is an ADF document (version 1).
type Doc struct {
	Version int    `json:"version"`
	Type    string `json:"type"`
	Content []Node `json:"content"`
}

// Node is one ADF node. Builders fill only what the node type uses.
type Node struct {
	Type    string         `json:"type"`
	Attrs   map[string]any `json:"attrs,omitempty"`
	Content []Node         `json:"content,omitempty"`
	Marks   []Mark         `json:"marks,omitempty"`
	Text    string         `json:"text,omitempty"`
}

// Mark is formatting on a text node.
type Mark struct {
	Type  string         `json:"type"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

// PanelType is the kind of a panel, which sets its colour and icon.
type PanelType string

// Panel types the builder offers.
const (
	PanelInfo    PanelType = "info"
	PanelNote    PanelType = "note"
	PanelWarning PanelType = "warning"
	PanelSuccess PanelType = "success"
	PanelError   PanelType = "error"
)

// NewDoc returns a document holding the given block nodes. Inline nodes
// passed at the top level are gathered into paragraphs.
func NewDoc(blocks ...Node) Doc {
	content := asBlocks(blocks)
	if content == nil {
		content = []Node{}
	}
	return Doc{Version: 1, Type: "doc", Content: content}
}

// MarshalJSON writes the document, always as version 1 with a content array.
func (d Doc) MarshalJSON() ([]byte, error) {
	type doc Doc // without the method
	out := doc(d)
	out.Version, out.Type = 1, "doc"
	if out.Content == nil {
		out.Content = []Node{}
	}
	return json.Marshal(out)
}

// PlainText flattens the document; see the package-level PlainText.
func (d Doc) PlainText() string {
	raw, err := json.Marshal(d)
	if err != nil {
		return "" // a Doc holds only JSON-safe values
	}
	s, _ := PlainText(raw)
	return s
}

// Text returns a text node. Empty text yields a node the containers drop,
// since ADF forbids empty text nodes.
func Text(s string, marks ...Mark) Node {
	return Node{Type: "text", Text: s, Marks: marks}
}

// Strong is bold text.
func Strong(s string) Node { return Text(s, MarkStrong()) }

// Em is italic text.
func Em(s string) Node { return Text(s, MarkEm()) }

// Code is inline code. ADF allows only link beside the code mark.
func Code(s string) Node { return Text(s, MarkCode()) }

// Link is text linking to href.
func Link(s, href string) Node { return Text(s, MarkLink(href)) }

// MarkStrong is the bold mark.
func MarkStrong() Mark { return Mark{Type: "strong"} }

// MarkEm is the italic mark.
func MarkEm() Mark { return Mark{Type: "em"} }

// MarkCode is the inline-code mark.
func MarkCode() Mark { return Mark{Type: "code"} }

// MarkLink links text to href.
func MarkLink(href string) Mark {
	return Mark{Type: "link", Attrs: map[string]any{"href": href}}
}

// HardBreak is a line break inside a paragraph.
func HardBreak() Node { return Node{Type: "hardBreak"} }

// Paragraph holds inline nodes.
func Paragraph(inline ...Node) Node {
	return Node{Type: "paragraph", Content: dropEmpty(inline)}
}

// Heading is a heading of level 1-6 (clamped).
func Heading(level int, inline ...Node) Node {
	level = min(max(level, 1), 6)
	return Node{Type: "heading", Attrs: map[string]any{"level": level}, Content: dropEmpty(inline)}
}

// Item is a list item. Inline nodes are wrapped in a paragraph; nested lists
// may follow them.
func Item(content ...Node) Node {
	blocks := asBlocks(content)
	if len(blocks) == 0 {
		blocks = []Node{Paragraph()}
	}
	return Node{Type: "listItem", Content: blocks}
}

// BulletList is an unordered list. Nodes that are not list items are
// wrapped with Item. An empty list becomes an empty paragraph, since ADF
// requires at least one item.
func BulletList(items ...Node) Node { return listOf("bulletList", items) }

// OrderedList is a numbered list starting at 1; see BulletList.
func OrderedList(items ...Node) Node { return listOf("orderedList", items) }

func listOf(typ string, items []Node) Node {
	if len(items) == 0 {
		return Paragraph()
	}
	content := make([]Node, len(items))
	for i, it := range items {
		if it.Type != "listItem" {
			it = Item(it)
		}
		content[i] = it
	}
	return Node{Type: typ, Content: content}
}

// Table is a table of plain-text cells with a header row (omitted when
// header is empty). A table without any row becomes an empty paragraph.
func Table(header []string, rows ...[]string) Node {
	var content []Node
	if len(header) > 0 {
		content = append(content, row("tableHeader", header))
	}
	for _, r := range rows {
		if len(r) > 0 {
			content = append(content, row("tableCell", r))
		}
	}
	if len(content) == 0 {
		return Paragraph()
	}
	return Node{Type: "table", Content: content}
}

func row(cellType string, cells []string) Node {
	out := make([]Node, len(cells))
	for i, c := range cells {
		out[i] = Node{Type: cellType, Content: []Node{Paragraph(Text(c))}}
	}
	return Node{Type: "tableRow", Content: out}
}

// Panel is a coloured box holding blocks; inline nodes are wrapped in a
// paragraph.
func Panel(kind PanelType, content ...Node) Node {
	blocks := asBlocks(content)
	if len(blocks) == 0 {
		blocks = []Node{Paragraph()}
	}
	return Node{Type: "panel", Attrs: map[string]any{"panelType": string(kind)}, Content: blocks}
}

// Rule is a horizontal line.
func Rule() Node { return Node{Type: "rule"} }

// inlineTypes are the node types that live inside paragraphs.
var inlineTypes = map[string]bool{
	"text": true, "hardBreak": true, "mention": true, "emoji": true, "inlineCard": true,
	"date": true, "status": true, "placeholder": true, "inlineExtension": true, "mediaInline": true,
}

// asBlocks wraps runs of inline nodes in paragraphs and runs of stray list
// items in a bullet list.
func asBlocks(nodes []Node) []Node {
	var out, inline, items []Node
	flush := func() {
		if len(inline) > 0 {
			out = append(out, Paragraph(inline...))
			inline = nil
		}
		if len(items) > 0 {
			out = append(out, BulletList(items...))
			items = nil
		}
	}
	for _, n := range nodes {
		switch {
		case inlineTypes[n.Type]:
			if len(items) > 0 {
				flush()
			}
			inline = append(inline, n)
		case n.Type == "listItem":
			if len(inline) > 0 {
				flush()
			}
			items = append(items, n)
		default:
			flush()
			out = append(out, n)
		}
	}
	flush()
	return out
}

func dropEmpty(inline []Node) []Node {
	var out []Node
	for _, n := range inline {
		if n.Type == "text" && n.Text == "" {
			continue
		}
		out = append(out, n)
	}
	return out
}
