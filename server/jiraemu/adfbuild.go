package jiraemu

import "encoding/json"

// ADF builders for fixtures. The app has its own ADF package; these few
// helpers keep the emulator's seed data independent of it.

type adfOut struct {
	Type    string         `json:"type"`
	Version int            `json:"version,omitempty"`
	Attrs   map[string]any `json:"attrs,omitempty"`
	Content []adfOut       `json:"content,omitempty"`
	Text    string         `json:"text,omitempty"`
	Marks   []adfMark      `json:"marks,omitempty"`
}

type adfMark struct {
	Type string `json:"type"`
}

func adfDoc(blocks ...adfOut) json.RawMessage {
	b, _ := json.Marshal(adfOut{Type: "doc", Version: 1, Content: blocks})
	return b
}

func adfText(s string) adfOut { return adfOut{Type: "text", Text: s} }

func adfStrong(s string) adfOut {
	return adfOut{Type: "text", Text: s, Marks: []adfMark{{Type: "strong"}}}
}

func adfPara(parts ...adfOut) adfOut {
	var content []adfOut
	for _, p := range parts {
		if p.Type == "text" && p.Text == "" {
			continue
		}
		content = append(content, p)
	}
	return adfOut{Type: "paragraph", Content: content}
}

func adfP(s string) adfOut { return adfPara(adfText(s)) }

func adfHeading(level int, s string) adfOut {
	return adfOut{Type: "heading", Attrs: map[string]any{"level": level}, Content: []adfOut{adfText(s)}}
}

func adfList(ordered bool, items ...string) adfOut {
	t := "bulletList"
	if ordered {
		t = "orderedList"
	}
	l := adfOut{Type: t}
	for _, it := range items {
		l.Content = append(l.Content, adfOut{Type: "listItem", Content: []adfOut{adfP(it)}})
	}
	return l
}

func adfPanel(kind string, blocks ...adfOut) adfOut {
	return adfOut{Type: "panel", Attrs: map[string]any{"panelType": kind}, Content: blocks}
}

func adfTable(header []string, rows ...[]string) adfOut {
	cell := func(t, s string) adfOut { return adfOut{Type: t, Content: []adfOut{adfP(s)}} }
	tb := adfOut{Type: "table", Attrs: map[string]any{"isNumberColumnEnabled": false, "layout": "default"}}
	hr := adfOut{Type: "tableRow"}
	for _, h := range header {
		hr.Content = append(hr.Content, cell("tableHeader", h))
	}
	tb.Content = append(tb.Content, hr)
	for _, r := range rows {
		tr := adfOut{Type: "tableRow"}
		for _, c := range r {
			tr.Content = append(tr.Content, cell("tableCell", c))
		}
		tb.Content = append(tb.Content, tr)
	}
	return tb
}
