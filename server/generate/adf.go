package generate

import (
	"strings"

	"github.com/backlogai/backlogai/server/adf"
)

// Label is put on every issue the app creates.
const Label = "backlogai"

// Section headings of a created story's description. The checks read the
// flattened text: "Acceptance criteria" opens the criteria section and the
// next heading closes it.
const (
	headStory        = "User story"
	headCriteria     = "Acceptance criteria"
	headNFRs         = "Non-functional requirements"
	headMetrics      = "Success metrics"
	headRisks        = "Risks"
	headDependencies = "Dependencies"
	headRollout      = "Rollout plan"
	headQuestions    = "Open questions"
	headWhy          = "Why"
	headSources      = "Sources"
)

// Doc is the ADF description a draft is created with: the user story,
// Given/When/Then acceptance criteria, NFRs, a metrics table with
// baseline and target, risks, dependencies, rollout plan, open questions,
// why now/this/us and the sources with links. Empty sections are left
// out.
func Doc(c *Content) adf.Doc {
	var b []adf.Node
	section := func(title string, nodes ...adf.Node) {
		b = append(b, adf.Heading(3, adf.Text(title)))
		b = append(b, nodes...)
	}
	bullets := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		nodes := make([]adf.Node, len(items))
		for i, it := range items {
			nodes[i] = adf.Item(adf.Text(it))
		}
		section(title, adf.BulletList(nodes...))
	}
	if c.UserStory != "" {
		section(headStory, adf.Paragraph(adf.Text(c.UserStory)))
	}
	bullets(headCriteria, c.AcceptanceCriteria)
	bullets(headNFRs, c.NFRs)
	if len(c.Metrics) > 0 {
		rows := make([][]string, len(c.Metrics))
		for i, m := range c.Metrics {
			rows[i] = []string{m.Name, orDash(m.Baseline), orDash(m.Target)}
		}
		section(headMetrics, adf.Table([]string{"Metric", "Baseline", "Target"}, rows...))
	}
	bullets(headRisks, c.Risks)
	bullets(headDependencies, c.Dependencies)
	if c.Rollout != "" {
		section(headRollout, paragraphs(c.Rollout)...)
	}
	bullets(headQuestions, c.OpenQuestions)
	var why []adf.Node
	for _, w := range []struct{ label, text string }{{"Why now: ", c.WhyNow}, {"Why this: ", c.WhyThis}, {"Why us: ", c.WhyUs}} {
		if w.text != "" {
			why = append(why, adf.Item(adf.Strong(w.label), adf.Text(w.text)))
		}
	}
	if len(why) > 0 {
		section(headWhy, adf.BulletList(why...))
	}
	if len(c.Sources) > 0 {
		items := make([]adf.Node, len(c.Sources))
		for i, s := range c.Sources {
			inline := []adf.Node{adf.Link(s.Title, s.URL)}
			if s.Date != "" {
				inline = append(inline, adf.Text(" ("+s.Date+")"))
			}
			items[i] = adf.Item(inline...)
		}
		section(headSources, adf.BulletList(items...))
	}
	b = append(b, adf.Rule(), adf.Paragraph(adf.Em("Drafted with BacklogAI and reviewed by a person before it was created.")))
	return adf.NewDoc(b...)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func paragraphs(s string) []adf.Node {
	var out []adf.Node
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			lines := strings.Split(p, "\n")
			var inline []adf.Node
			for i, l := range lines {
				if i > 0 {
					inline = append(inline, adf.HardBreak())
				}
				inline = append(inline, adf.Text(strings.TrimSpace(l)))
			}
			out = append(out, adf.Paragraph(inline...))
		}
	}
	return out
}

// TextDoc turns the plain text of an improved description into ADF: a
// blank line separates blocks, lines starting "- ", "* " or "1. " are list
// items, a short line on its own followed by a block is a heading.
func TextDoc(s string) adf.Doc {
	var blocks []adf.Node
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var para []string
	var items []adf.Node
	ordered := false
	flushPara := func() {
		if len(para) == 0 {
			return
		}
		var inline []adf.Node
		for i, l := range para {
			if i > 0 {
				inline = append(inline, adf.HardBreak())
			}
			inline = append(inline, adf.Text(l))
		}
		blocks = append(blocks, adf.Paragraph(inline...))
		para = nil
	}
	flushList := func() {
		if len(items) == 0 {
			return
		}
		if ordered {
			blocks = append(blocks, adf.OrderedList(items...))
		} else {
			blocks = append(blocks, adf.BulletList(items...))
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
			items = append(items, adf.Item(adf.Text(listItem(l))))
		case len(para) == 0 && len(items) == 0 && heading(l, lines, i):
			blocks = append(blocks, adf.Heading(3, adf.Text(strings.TrimSuffix(l, ":"))))
		default:
			flushList()
			para = append(para, l)
		}
	}
	flushPara()
	flushList()
	return adf.NewDoc(blocks...)
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
