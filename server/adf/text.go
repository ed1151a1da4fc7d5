package adf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// PlainText flattens an ADF document into the plain text the analysis
// engine reads:
//   - paragraphs and other blocks are separated by a blank line; a heading is
//     its text on its own line;
//   - list items are on their own lines prefixed "- " (bullet) or "1. ",
//     "2. " … (ordered); nested lists are indented by two spaces per level;
//   - task items are "[ ] text" or "[x] text";
//   - table rows are lines with cells joined by " | ";
//   - a hard break is a newline; mentions, emoji, dates, statuses and cards
//     become their text or URL.
//
// Unknown nodes are tolerated: their text, if any, and their content are
// kept. Empty input, JSON null, and a JSON string (plain text where ADF was
// expected) are accepted.
func PlainText(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("adf: plain text: %w", err)
		}
		return s, nil
	}
	var n textNode
	if err := json.Unmarshal(raw, &n); err != nil {
		// A value of an unexpected type (an attribute, say) only loses that
		// value; the rest of the document is decoded.
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			return "", fmt.Errorf("adf: plain text: %w", err)
		}
	}
	var w textWriter
	w.node(&n, "")
	return w.String(), nil
}

// textNode is the part of a node PlainText reads. Decoding into it rather
// than Node skips marks and unused attributes, which roughly halves the
// cost of flattening a description.
type textNode struct {
	Type    string     `json:"type"`
	Text    string     `json:"text"`
	Attrs   *textAttrs `json:"attrs"`
	Content []textNode `json:"content"`
}

type textAttrs struct {
	Text      string   `json:"text"`
	ShortName string   `json:"shortName"`
	URL       string   `json:"url"`
	State     string   `json:"state"`
	Title     string   `json:"title"`
	Timestamp string   `json:"timestamp"`
	Order     *float64 `json:"order"`
}

func attrs(n *textNode) *textAttrs {
	if n.Attrs == nil {
		return &textAttrs{}
	}
	return n.Attrs
}

// textWriter accumulates flattened text. The cursor is always where the
// next content goes, with any indentation for the current line written.
type textWriter struct {
	b []byte
}

func (w *textWriter) String() string {
	return string(bytes.TrimRight(w.b, " \n\t"))
}

// seq writes nodes separated by sep (followed by indent when sep ends a
// line), leaving out separators around nodes that write nothing.
func (w *textWriter) seq(nodes []textNode, sep, indent string) {
	wrote := false
	for i := range nodes {
		mark := len(w.b)
		if wrote {
			w.b = append(w.b, sep...)
			if len(sep) > 0 && sep[len(sep)-1] == '\n' {
				w.b = append(w.b, indent...)
			}
		}
		body := len(w.b)
		w.node(&nodes[i], indent)
		if len(w.b) == body {
			w.b = w.b[:mark]
			continue
		}
		wrote = true
	}
}

func (w *textWriter) inline(nodes []textNode, indent string) {
	for i := range nodes {
		w.node(&nodes[i], indent)
	}
}

func (w *textWriter) node(n *textNode, indent string) {
	switch n.Type {
	case "text":
		w.b = append(w.b, n.Text...)
	case "paragraph", "heading", "caption":
		w.inline(n.Content, indent)
	case "hardBreak":
		w.b = append(w.b, '\n')
		w.b = append(w.b, indent...)
	case "mention":
		if s := attrs(n).Text; s != "" {
			w.b = append(w.b, s...)
		} else {
			w.b = append(w.b, "@user"...)
		}
	case "emoji":
		if s := attrs(n).Text; s != "" {
			w.b = append(w.b, s...)
		} else {
			w.b = append(w.b, attrs(n).ShortName...)
		}
	case "inlineCard", "blockCard", "embedCard":
		w.b = append(w.b, attrs(n).URL...)
	case "status":
		w.b = append(w.b, attrs(n).Text...)
	case "date":
		w.date(attrs(n).Timestamp)
	case "placeholder", "rule", "media", "mediaInline", "mediaGroup", "mediaSingle",
		"extension", "inlineExtension", "syncBlock":
		// Nothing a reader of the text would miss.
	case "codeBlock":
		w.inline(n.Content, indent)
	case "bulletList", "orderedList":
		w.list(n, indent)
	case "taskList", "decisionList":
		w.tasks(n, indent)
	case "table":
		w.table(n, indent)
	case "expand", "nestedExpand":
		if title := attrs(n).Title; title != "" {
			w.b = append(w.b, title...)
			if len(n.Content) > 0 {
				w.b = append(w.b, "\n\n"...)
				w.b = append(w.b, indent...)
			}
		}
		w.seq(n.Content, "\n\n", indent)
	default: // doc, panel, blockquote, layouts, unknown nodes
		if n.Text != "" {
			w.b = append(w.b, n.Text...)
		}
		w.seq(n.Content, "\n\n", indent)
	}
}

func (w *textWriter) list(n *textNode, indent string) {
	ordered := n.Type == "orderedList"
	num := 1
	if o := attrs(n).Order; o != nil && *o >= 0 {
		num = int(*o)
	}
	inner := indent + "  "
	first := true
	for i := range n.Content {
		item := &n.Content[i]
		if !first {
			w.b = append(w.b, '\n')
			w.b = append(w.b, indent...)
		}
		first = false
		if ordered {
			w.b = strconv.AppendInt(w.b, int64(num), 10)
			w.b = append(w.b, ". "...)
			num++
		} else {
			w.b = append(w.b, "- "...)
		}
		if item.Type != "listItem" {
			w.node(item, inner)
			continue
		}
		w.seq(item.Content, "\n", inner)
	}
}

// tasks writes task and decision lists: "[ ] " / "[x] " per task, "- " per
// decision, nested task lists indented.
func (w *textWriter) tasks(n *textNode, indent string) {
	inner := indent + "  "
	first := true
	for i := range n.Content {
		item := &n.Content[i]
		mark := len(w.b)
		if !first {
			w.b = append(w.b, '\n')
			w.b = append(w.b, indent...)
		}
		switch item.Type {
		case "taskItem", "blockTaskItem":
			if attrs(item).State == "DONE" {
				w.b = append(w.b, "[x] "...)
			} else {
				w.b = append(w.b, "[ ] "...)
			}
			w.seq(item.Content, "\n", inner)
		case "decisionItem":
			w.b = append(w.b, "- "...)
			w.inline(item.Content, inner)
		case "taskList":
			w.b = append(w.b, "  "...)
			body := len(w.b)
			w.tasks(item, inner)
			if len(w.b) == body {
				w.b = w.b[:mark]
				continue
			}
		default:
			w.node(item, indent)
		}
		first = false
	}
}

// table writes one line per row, cells joined by " | ", each cell's content
// folded onto that line.
func (w *textWriter) table(n *textNode, indent string) {
	for r := range n.Content {
		if r > 0 {
			w.b = append(w.b, '\n')
			w.b = append(w.b, indent...)
		}
		row := &n.Content[r]
		for c := range row.Content {
			if c > 0 {
				w.b = append(w.b, " | "...)
			}
			start := len(w.b)
			w.seq(row.Content[c].Content, " ", "")
			w.fold(start)
		}
	}
}

// fold turns the newlines written since start into single spaces.
func (w *textWriter) fold(start int) {
	out := start
	space := false
	for i := start; i < len(w.b); i++ {
		c := w.b[i]
		if c == '\n' {
			if !space && out > start {
				w.b[out] = ' '
				out++
			}
			space = true
			continue
		}
		space = c == ' '
		w.b[out] = c
		out++
	}
	w.b = w.b[:out]
}

// date writes an ADF date (milliseconds since the epoch) as YYYY-MM-DD.
func (w *textWriter) date(ts string) {
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		w.b = append(w.b, ts...)
		return
	}
	w.b = time.UnixMilli(ms).UTC().AppendFormat(w.b, time.DateOnly)
}
