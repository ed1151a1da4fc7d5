package generate

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/backlogai/backlogai/server/domain"
)

// PromptVersion names the prompt templates in use; it is recorded with
// every run so results can be traced to the prompts that produced them.
const PromptVersion = "v1"

//go:embed prompts/*.tmpl
var promptFS embed.FS

// prompts are the parsed templates of one version.
type prompts struct {
	system, plan, draft, revise, improve, split *template.Template
}

func loadPrompts(version string) (*prompts, error) {
	funcs := template.FuncMap{
		"join": strings.Join,
		"inc":  func(i int) int { return i + 1 },
	}
	parse := func(name string) (*template.Template, error) {
		file := "prompts/" + name + "." + version + ".tmpl"
		raw, err := promptFS.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("generate: prompt %s: %w", file, err)
		}
		t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("generate: prompt %s: %w", file, err)
		}
		return t, nil
	}
	var p prompts
	var err error
	for _, x := range []struct {
		name string
		dst  **template.Template
	}{{"system", &p.system}, {"plan", &p.plan}, {"draft", &p.draft}, {"revise", &p.revise}, {"improve", &p.improve}, {"split", &p.split}} {
		if *x.dst, err = parse(x.name); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

func render(t *template.Template, data any) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("generate: render %s: %w", t.Name(), err)
	}
	return strings.TrimSpace(b.String()), nil
}

// JSON schemas of the answers, in the subset strict structured output
// accepts: every property required, no additional properties.
func object(props map[string]any) map[string]any {
	req := make([]string, 0, len(props))
	for k := range props {
		req = append(req, k)
	}
	slices.Sort(req)
	return map[string]any{"type": "object", "additionalProperties": false, "required": req, "properties": props}
}

func arrayOf(items any) map[string]any { return map[string]any{"type": "array", "items": items} }

var (
	str  = map[string]any{"type": "string"}
	strs = arrayOf(str)
)

func draftItemSchema(withIndex bool) map[string]any {
	names := make([]string, len(domain.Pillars))
	for i, p := range domain.Pillars {
		names[i] = string(p)
	}
	props := map[string]any{
		"title":              str,
		"userStory":          str,
		"acceptanceCriteria": strs,
		"nfrs":               strs,
		"metrics":            arrayOf(object(map[string]any{"name": str, "baseline": str, "target": str})),
		"risks":              strs,
		"dependencies":       strs,
		"rollout":            str,
		"openQuestions":      strs,
		"pillars": arrayOf(object(map[string]any{
			"name":   map[string]any{"type": "string", "enum": names},
			"value":  map[string]any{"type": "number"},
			"reason": str,
		})),
		"whyNow":  str,
		"whyThis": str,
		"whyUs":   str,
		"sources": arrayOf(map[string]any{"type": "integer"}),
	}
	if withIndex {
		props["index"] = map[string]any{"type": "integer"}
	}
	return object(props)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // constant schemas: a failure is a programming error
	}
	return b
}

// Schemas of the structured answers.
var (
	draftsSchema   = mustJSON(object(map[string]any{"drafts": arrayOf(draftItemSchema(false))}))
	revisionSchema = mustJSON(object(map[string]any{"drafts": arrayOf(draftItemSchema(true))}))
	planSchema     = mustJSON(object(map[string]any{"stories": arrayOf(object(map[string]any{"title": str, "goal": str}))}))
	improveSchema  = mustJSON(object(map[string]any{"summary": str, "description": str, "changes": strs}))
	splitSchema    = mustJSON(object(map[string]any{
		"stories":   arrayOf(object(map[string]any{"summary": str, "description": str})),
		"rationale": str,
	}))
)

// llmDraft is one draft as the model answers it; sources are numbers of
// the research sources the prompt listed (1-based).
type llmDraft struct {
	Index              int      `json:"index,omitempty"`
	Title              string   `json:"title"`
	UserStory          string   `json:"userStory"`
	AcceptanceCriteria []string `json:"acceptanceCriteria"`
	NFRs               []string `json:"nfrs"`
	Metrics            []Metric `json:"metrics"`
	Risks              []string `json:"risks"`
	Dependencies       []string `json:"dependencies"`
	Rollout            string   `json:"rollout"`
	OpenQuestions      []string `json:"openQuestions"`
	Pillars            []Pillar `json:"pillars"`
	WhyNow             string   `json:"whyNow"`
	WhyThis            string   `json:"whyThis"`
	WhyUs              string   `json:"whyUs"`
	Sources            []int    `json:"sources"`
}

type llmDrafts struct {
	Drafts []llmDraft `json:"drafts"`
}

// planItem is one story of a plan: drafts of more than chunkSize stories
// are planned first, then written in parallel chunks.
type planItem struct {
	Title string `json:"title"`
	Goal  string `json:"goal"`
}

type llmPlan struct {
	Stories []planItem `json:"stories"`
}

type llmImprove struct {
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	Changes     []string `json:"changes"`
}

type llmSplit struct {
	Stories []struct {
		Summary     string `json:"summary"`
		Description string `json:"description"`
	} `json:"stories"`
	Rationale string `json:"rationale"`
}
