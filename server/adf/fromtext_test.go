package adf

import (
	"encoding/json"
	"strings"
	"testing"
)

// blockShape is a document's block types with their children's types, e.g.
// "heading paragraph bulletList(listItem listItem)".
func blockShape(nodes []Node) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = n.Type
		if n.Type == "bulletList" || n.Type == "orderedList" {
			parts[i] += "(" + blockShape(n.Content) + ")"
		}
	}
	return strings.Join(parts, " ")
}

func TestFromText(t *testing.T) {
	tests := []struct {
		name, in, shape, text string
	}{
		{"empty", "", "", ""},
		{"blank lines only", "\n \n\r\n", "", ""},
		{"one paragraph with a line break", "First line\r\n  second line  ", "paragraph", "First line\nsecond line"},
		{"heading before a paragraph", "Notes\n\nThe accountant uses Xero.", "heading paragraph", "Notes\n\nThe accountant uses Xero."},
		{"heading colon dropped", "Steps:\n- open\n- save", "heading bulletList(listItem listItem)", "Steps\n\n- open\n- save"},
		{"long line is no heading", "This line is long enough and has far too many words to be a heading\n\nText.", "paragraph paragraph",
			"This line is long enough and has far too many words to be a heading\n\nText."},
		{"sentence is no heading", "Done.\n\nMore.", "paragraph paragraph", "Done.\n\nMore."},
		{"bullets of every kind", "- a\n* b\n• c", "bulletList(listItem listItem listItem)", "- a\n- b\n- c"},
		{"ordered then bullet split the list", "1. one\n2) two\n- three", "orderedList(listItem listItem) bulletList(listItem)", "1. one\n2. two\n\n- three"},
		{"short line before a list is a heading", "Intro line\n- item", "heading bulletList(listItem)", "Intro line\n\n- item"},
		{"sentence then list", "Intro line.\n- item", "paragraph bulletList(listItem)", "Intro line.\n\n- item"},
		{"not a list: no space", "-dash\n1.5 kg", "paragraph", "-dash\n1.5 kg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := FromText(tt.in)
			if got := blockShape(doc.Content); got != tt.shape {
				t.Errorf("shape = %q, want %q", got, tt.shape)
			}
			if got := doc.PlainText(); got != tt.text {
				t.Errorf("PlainText = %q, want %q", got, tt.text)
			}
			raw, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(raw); err != nil {
				t.Errorf("invalid ADF: %v\n%s", err, raw)
			}
		})
	}
}

func TestParagraphs(t *testing.T) {
	tests := []struct {
		in    string
		n     int
		texts string
	}{
		{"", 0, ""},
		{"one", 1, "one"},
		{" a \n b \n\n\n c ", 2, "a\nb\n\nc"},
		{"- not a list\n\n1. nor this", 2, "- not a list\n\n1. nor this"},
	}
	for _, tt := range tests {
		got := Paragraphs(tt.in)
		if len(got) != tt.n {
			t.Errorf("Paragraphs(%q): %d nodes, want %d", tt.in, len(got), tt.n)
		}
		for _, n := range got {
			if n.Type != "paragraph" {
				t.Errorf("Paragraphs(%q): a %s node", tt.in, n.Type)
			}
		}
		if text := NewDoc(got...).PlainText(); text != tt.texts {
			t.Errorf("Paragraphs(%q) reads %q, want %q", tt.in, text, tt.texts)
		}
	}
}
