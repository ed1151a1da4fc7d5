package adf

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath is the shared ADF schema, relative to this package directory.
const schemaPath = "../../../shared/contracts/adf.schema.json"

// loadSchema compiles Atlassian's ADF schema (draft-04) with an independent
// validator, the reference Validate must agree with.
func loadSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatalf("the shared ADF schema is required at %s (from server/adf): %v", schemaPath, err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("decode %s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("file:///adf.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("file:///adf.schema.json")
	if err != nil {
		t.Fatalf("compile ADF schema: %v", err)
	}
	return sch
}

// schemaValid reports whether the reference validator accepts raw.
func schemaValid(t testing.TB, sch *jsonschema.Schema, raw []byte) (bool, error) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decode instance: %v\n%s", err, raw)
	}
	err = sch.Validate(v)
	return err == nil, err
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidateAgreesWithSchema(t *testing.T) {
	sch := loadSchema(t)
	p := func(inline string) string {
		return `{"version":1,"type":"doc","content":[` + inline + `]}`
	}
	para := func(inline string) string { return p(`{"type":"paragraph","content":[` + inline + `]}`) }
	tests := []struct {
		name  string
		doc   string
		valid bool
	}{
		{"kitchen sink", string(readTestdata(t, "kitchen_sink.json")), true},
		{"empty doc", p(``), true},
		{"empty paragraph", p(`{"type":"paragraph"}`), true},
		{"heading level 6", p(`{"type":"heading","attrs":{"level":6},"content":[{"type":"text","text":"h"}]}`), true},
		{"link mark", para(`{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":"https://a"}}]}`), true},
		{"panel success", p(`{"type":"panel","attrs":{"panelType":"success"},"content":[{"type":"paragraph"}]}`), true},
		{"mediaSingle extra property", p(`{"type":"mediaSingle","foo":1,"content":[{"type":"media","attrs":{"type":"external","url":"u"}}]}`), true},

		{"not an object", `[]`, false},
		{"version 2", `{"version":2,"type":"doc","content":[]}`, false},
		{"version missing", `{"type":"doc","content":[]}`, false},
		{"type not doc", `{"version":1,"type":"paragraph","content":[]}`, false},
		{"content missing", `{"version":1,"type":"doc"}`, false},
		{"content not array", `{"version":1,"type":"doc","content":{}}`, false},
		{"extra doc property", `{"version":1,"type":"doc","content":[],"x":1}`, false},
		{"unknown node", p(`{"type":"marquee"}`), false},
		{"text at top level", p(`{"type":"text","text":"x"}`), false},
		{"listItem at top level", p(`{"type":"listItem","content":[{"type":"paragraph"}]}`), false},
		{"empty text", para(`{"type":"text","text":""}`), false},
		{"text without text", para(`{"type":"text"}`), false},
		{"heading level 7", p(`{"type":"heading","attrs":{"level":7}}`), false},
		{"heading level 0", p(`{"type":"heading","attrs":{"level":0}}`), false},
		{"heading level string", p(`{"type":"heading","attrs":{"level":"1"}}`), false},
		{"heading without attrs", p(`{"type":"heading","content":[]}`), false},
		{"heading with strong mark", p(`{"type":"heading","attrs":{"level":1},"marks":[{"type":"strong"}]}`), false},
		{"panel without type", p(`{"type":"panel","attrs":{},"content":[{"type":"paragraph"}]}`), false},
		{"panel bad type", p(`{"type":"panel","attrs":{"panelType":"danger"},"content":[{"type":"paragraph"}]}`), false},
		{"panel empty", p(`{"type":"panel","attrs":{"panelType":"info"},"content":[]}`), false},
		{"panel containing table", p(`{"type":"panel","attrs":{"panelType":"info"},"content":[{"type":"table","content":[{"type":"tableRow","content":[]}]}]}`), false},
		{"unknown mark", para(`{"type":"text","text":"x","marks":[{"type":"blink"}]}`), false},
		{"link without href", para(`{"type":"text","text":"x","marks":[{"type":"link","attrs":{}}]}`), false},
		{"link without attrs", para(`{"type":"text","text":"x","marks":[{"type":"link"}]}`), false},
		{"link href number", para(`{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":1}}]}`), false},
		{"strong with attrs", para(`{"type":"text","text":"x","marks":[{"type":"strong","attrs":{}}]}`), false},
		{"code with strong", para(`{"type":"text","text":"x","marks":[{"type":"code"},{"type":"strong"}]}`), false},
		{"empty bullet list", p(`{"type":"bulletList","content":[]}`), false},
		{"list of paragraphs", p(`{"type":"bulletList","content":[{"type":"paragraph"}]}`), false},
		{"list item without content", p(`{"type":"bulletList","content":[{"type":"listItem"}]}`), false},
		{"list item with heading", p(`{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"heading","attrs":{"level":1}}]}]}`), false},
		{"ordered negative order", p(`{"type":"orderedList","attrs":{"order":-1},"content":[{"type":"listItem","content":[{"type":"paragraph"}]}]}`), false},
		{"table without rows", p(`{"type":"table","content":[]}`), false},
		{"cell without content", p(`{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableCell","content":[]}]}]}`), false},
		{"row with paragraph", p(`{"type":"table","content":[{"type":"tableRow","content":[{"type":"paragraph"}]}]}`), false},
		{"rule with content", p(`{"type":"rule","content":[]}`), false},
		{"paragraph unknown attr", p(`{"type":"paragraph","attrs":{"colour":"red"}}`), false},
		{"task item bad state", p(`{"type":"taskList","attrs":{"localId":"a"},"content":[{"type":"taskItem","attrs":{"localId":"b","state":"DOING"}}]}`), false},
		{"status bad colour", para(`{"type":"status","attrs":{"text":"x","color":"pink"}}`), false},
		{"text colour short hex", para(`{"type":"text","text":"x","marks":[{"type":"textColor","attrs":{"color":"#fff"}}]}`), false},
		{"mention without id", para(`{"type":"mention","attrs":{"text":"@a"}}`), false},
		{"layout one column at root", p(`{"type":"layoutSection","content":[{"type":"layoutColumn","attrs":{"width":100},"content":[{"type":"paragraph"}]}]}`), false},
		{"mediaSingle two media", p(`{"type":"mediaSingle","content":[{"type":"media","attrs":{"type":"external","url":"u"}},{"type":"media","attrs":{"type":"external","url":"u"}}]}`), false},
		{"nested doc", p(`{"version":1,"type":"doc","content":[]}`), false},
		{"node is a string", p(`"paragraph"`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.doc)
			ref, refErr := schemaValid(t, sch, raw)
			if ref != tt.valid {
				t.Fatalf("test case is wrong: schema says valid=%v (%v)", ref, refErr)
			}
			err := Validate(raw)
			if got := err == nil; got != tt.valid {
				t.Fatalf("Validate = %v, want valid=%v", err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestValidateRejectsMalformedJSON(t *testing.T) {
	err := Validate([]byte(`{"version":1,`))
	if err == nil {
		t.Fatal("Validate accepted malformed JSON")
	}
	if errors.Is(err, ErrInvalid) {
		t.Errorf("a JSON syntax error should not be reported as a schema violation: %v", err)
	}
}

// TestValidateMutationsAgreeWithSchema mutates valid documents at random
// (seeded) and checks that Validate and the reference validator agree on
// every variant, valid or not.
func TestValidateMutationsAgreeWithSchema(t *testing.T) {
	sch := loadSchema(t)
	// Small seeds keep the reference validator fast: one document per
	// top-level block of the kitchen sink, plus the goldens.
	var sink struct {
		Content []json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(readTestdata(t, "kitchen_sink.json"), &sink); err != nil {
		t.Fatal(err)
	}
	var seeds [][]byte
	for _, block := range sink.Content {
		seeds = append(seeds, []byte(`{"version":1,"type":"doc","content":[`+string(block)+`]}`))
	}
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	for _, g := range goldens {
		seeds = append(seeds, readTestdata(t, filepath.Base(g)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 400
	if testing.Short() {
		n = 200
	}
	var valid, invalid int
	for i := range n {
		var doc any
		if err := json.Unmarshal(seeds[i%len(seeds)], &doc); err != nil {
			t.Fatal(err)
		}
		for range 1 + rng.IntN(3) {
			doc = mutate(rng, doc)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		ref, refErr := schemaValid(t, sch, raw)
		got := Validate(raw)
		if (got == nil) != ref {
			t.Fatalf("sample %d: Validate = %v, schema valid=%v (%v)\n%s", i, got, ref, refErr, raw)
		}
		if ref {
			valid++
		} else {
			invalid++
		}
	}
	// The mutations must exercise both outcomes for the agreement to mean
	// anything.
	if valid < n/20 || invalid < n/20 {
		t.Errorf("unbalanced samples: %d valid, %d invalid", valid, invalid)
	}
	t.Logf("%d samples: %d valid, %d invalid", n, valid, invalid)
}

var (
	mutationKeys = []string{
		"type", "attrs", "content", "marks", "text", "version", "level", "panelType", "href",
		"localId", "state", "order", "url", "layout", "width", "colour", "id", "shortName", "timestamp",
	}
	mutationValues = []any{
		"", "x", "info", "custom", "danger", "TODO", "DONE", "#ff0000", "#fff", "center", "wide", "\n",
		float64(0), float64(1), float64(3), float64(6), float64(7), float64(-1), 2.5, float64(100), float64(101),
		true, nil, []any{}, map[string]any{}, "doc",
	}
	mutationMarks = []any{
		map[string]any{"type": "strong"},
		map[string]any{"type": "em"},
		map[string]any{"type": "code"},
		map[string]any{"type": "link", "attrs": map[string]any{"href": "https://a"}},
		map[string]any{"type": "alignment", "attrs": map[string]any{"align": "center"}},
		map[string]any{"type": "fontSize", "attrs": map[string]any{"fontSize": "small"}},
		map[string]any{"type": "breakout", "attrs": map[string]any{"mode": "wide"}},
		map[string]any{"type": "indentation", "attrs": map[string]any{"level": float64(1)}},
	}
)

// mutate applies one random change somewhere in the document.
func mutate(rng *rand.Rand, doc any) any {
	var objs []map[string]any
	var arrs [][]any
	var arrOwners []func([]any)
	var nodes []any
	var walk func(v any, set func([]any))
	walk = func(v any, set func([]any)) {
		switch x := v.(type) {
		case map[string]any:
			objs = append(objs, x)
			if _, ok := x["type"].(string); ok {
				nodes = append(nodes, x)
			}
			for _, k := range sortedKeys(x) {
				k := k
				walk(x[k], func(a []any) { x[k] = a })
			}
		case []any:
			arrs = append(arrs, x)
			arrOwners = append(arrOwners, set)
			for _, e := range x {
				walk(e, nil)
			}
		}
	}
	walk(doc, nil)
	if len(objs) == 0 || len(arrs) == 0 {
		return doc
	}
	types := typeNames()
	switch rng.IntN(7) {
	case 0: // delete a key
		o := objs[rng.IntN(len(objs))]
		if keys := sortedKeys(o); len(keys) > 0 {
			delete(o, keys[rng.IntN(len(keys))])
		}
	case 1: // replace a value
		o := objs[rng.IntN(len(objs))]
		if keys := sortedKeys(o); len(keys) > 0 {
			o[keys[rng.IntN(len(keys))]] = clone(mutationValues[rng.IntN(len(mutationValues))])
		}
	case 2: // add a key
		o := objs[rng.IntN(len(objs))]
		o[mutationKeys[rng.IntN(len(mutationKeys))]] = clone(mutationValues[rng.IntN(len(mutationValues))])
	case 3: // move a copy of some node into some array
		i := rng.IntN(len(arrs))
		if arrOwners[i] != nil && len(nodes) > 0 {
			a := append(arrs[i], clone(nodes[rng.IntN(len(nodes))]))
			arrOwners[i](a)
		}
	case 4: // drop an array element
		i := rng.IntN(len(arrs))
		if arrOwners[i] != nil && len(arrs[i]) > 0 {
			a := arrs[i]
			j := rng.IntN(len(a))
			arrOwners[i](append(a[:j:j], a[j+1:]...))
		}
	case 5: // retype a node or mark
		o := objs[rng.IntN(len(objs))]
		if _, ok := o["type"]; ok {
			o["type"] = types[rng.IntN(len(types))]
		}
	case 6: // add a mark
		if len(nodes) > 0 {
			n := nodes[rng.IntN(len(nodes))].(map[string]any)
			m, _ := n["marks"].([]any)
			n["marks"] = append(m, clone(mutationMarks[rng.IntN(len(mutationMarks))]))
		}
	}
	return doc
}

func typeNames() []string {
	var out []string
	for t := range knownTypes {
		out = append(out, t)
	}
	for t := range markDefs {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func clone(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func BenchmarkValidate(b *testing.B) {
	raw := readTestdata(b, "kitchen_sink.json")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(raw); err != nil {
			b.Fatal(err)
		}
	}
}
