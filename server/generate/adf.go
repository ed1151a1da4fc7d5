package generate

import (
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
		section(headRollout, adf.Paragraphs(c.Rollout)...)
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

// TextDoc turns the plain text of an improved description into ADF (see
// adf.FromText); kept so that the package's callers read as before.
func TextDoc(s string) adf.Doc { return adf.FromText(s) }
