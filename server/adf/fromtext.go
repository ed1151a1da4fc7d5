package adf

import "strings"

// Text → ADF. The app builds every document it sends to Jira through this
// package: the node constructors in adf.go, or these for plain text.

// Paragraphs turns text into paragraphs: a blank line separates them, a
// line break becomes a hard break, and each line is trimmed.
func Paragraphs(s string) []Node {
	var out []Node
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			lines := strings.Split(p, "\n")
			var inline []Node
			for i, l := range lines {
				if i > 0 {
					inline = append(inline, HardBreak())
				}
				inline = append(inline, Text(strings.TrimSpace(l)))
			}
			out = append(out, Paragraph(inline...))
		}
	}
	return out
}

// FromText turns plain text (an LLM's or a person's) into ADF: a blank
// line separates blocks, lines starting "- ", "* ", "• ", "1. " or "1) " are
// list items, a short line on its own followed by a blank line or a list is
// a level-3 heading, other lines are paragraphs with hard breaks.
func FromText(s string) Doc {
	var blocks []Node
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var para []string
	var items []Node
	ordered := false
	flushPara := func() {
		if len(para) == 0 {
			return
		}
		var inline []Node
		for i, l := range para {
			if i > 0 {
				inline = append(inline, HardBreak())
			}
			inline = append(inline, Text(l))
		}
		blocks = append(blocks, Paragraph(inline...))
		para = nil
	}
	flushList := func() {
		if len(items) == 0 {
			return
		}
		if ordered {
			blocks = append(blocks, OrderedList(items...))
		} else {
			blocks = append(blocks, BulletList(items...))
		}
		items = nil
	}
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case l == "":
			flushPara()
			flushList()
		case listItem(l) != "":
			flushPara()
			isOrdered := l[0] >= '0' && l[0] <= '9'
			if len(items) > 0 && isOrdered != ordered {
				flushList()
			}
			ordered = isOrdered
			items = append(items, Item(Text(listItem(l))))
		case len(para) == 0 && len(items) == 0 && heading(l, lines, i):
			blocks = append(blocks, Heading(3, Text(strings.TrimSuffix(l, ":"))))
		default:
			flushList()
			para = append(para, l)
		}
	}
	flushPara()
	flushList()
	return NewDoc(blocks...)
}

// listItem returns the text of a list line, "" when l is not one.
func listItem(l string) string {
	for _, p := range []string{"- ", "* ", "• "} {
		if strings.HasPrefix(l, p) {
			return strings.TrimSpace(l[len(p):])
		}
	}
	i := 0
	for i < len(l) && l[i] >= '0' && l[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(l) && (l[i] == '.' || l[i] == ')') && l[i+1] == ' ' {
		return strings.TrimSpace(l[i+2:])
	}
	return ""
}

// heading: a short line without a full stop, standing alone before a
// blank line or a list.
func heading(l string, lines []string, i int) bool {
	if len(l) > 60 || strings.HasSuffix(l, ".") || strings.HasSuffix(l, "?") || strings.Count(l, " ") > 6 {
		return false
	}
	if i+1 >= len(lines) {
		return false
	}
	next := strings.TrimSpace(lines[i+1])
	return next == "" || listItem(next) != ""
}
