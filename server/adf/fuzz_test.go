package adf

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzPlainText: any input is flattened or refused without panicking, the
// text of valid UTF-8 input stays valid UTF-8, and whatever Validate
// accepts, PlainText reads.
func FuzzPlainText(f *testing.F) {
	doc, _ := json.Marshal(NewDoc(Heading(2, Text("Acceptance criteria")), BulletList(Item(Paragraph(Text("Given a cart, when I pay, then it works", MarkStrong())))),
		Table([]string{"metric", "target"}, []string{"conversion", "+2%"}), Panel(PanelInfo, Paragraph(Link("docs", "https://example.com")))))
	f.Add(doc)
	f.Add([]byte(`{"version":1,"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"x"}]}]}`))
	f.Add([]byte(`{"type":"doc","content":[{"type":"unknownNode","content":[{"type":"text","text":"kept"}]}]}`))
	f.Add([]byte(`"plain string"`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"content":[[[[[[[[[[]]]]]]]]]]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		txt, err := PlainText(raw)
		if err == nil && utf8.Valid(raw) && !utf8.ValidString(txt) {
			t.Fatalf("invalid UTF-8 out of valid input: %q", txt)
		}
		if Validate(raw) == nil && err != nil {
			t.Fatalf("Validate accepts what PlainText refuses: %v", err)
		}
	})
}
