package generate

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/analysis/story"
	"github.com/backlogai/backlogai/server/research"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json")

func golden(t *testing.T, name string, doc adf.Doc) {
	t.Helper()
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	raw = append(raw, '\n')
	if err := adf.Validate(raw); err != nil {
		t.Fatalf("%s: not valid ADF: %v", name, err)
	}
	path := filepath.Join("testdata", "golden", name+".adf.json")
	if *update {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, raw) {
		t.Errorf("%s differs from %s (-want +got):\n%s", name, path, cmp.Diff(string(want), string(raw)))
	}
}

// fullDraft is the first draft of the checkout scenario with its sources
// resolved, as the pipeline stores it.
func fullDraft(t *testing.T) Content {
	scenarios, err := LoadScenarios("testdata/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	sc := scenarios[0]
	var ans llmDrafts
	if err := json.Unmarshal(sc.Draft, &ans); err != nil {
		t.Fatal(err)
	}
	return fromLLM(ans.Drafts[0], sc.Research.Sources, "SHOP-12")
}

func TestDraftDocGolden(t *testing.T) {
	full := fullDraft(t)
	golden(t, "draft-full", Doc(&full))
	minimal := Content{Title: "Offer gift cards", UserStory: "As a store owner, I want to sell gift cards, so that customers can give my products as presents.",
		AcceptanceCriteria: []string{"Given a gift card of €25, when a customer buys it, then the recipient gets a code by email within 1 minute"}}
	minimal.normalize()
	golden(t, "draft-minimal", Doc(&minimal))
}

// TestDraftDocReadsBackAsTheDraft: the checks read the created issue's
// description as the draft's story and criteria, no more, no less.
func TestDraftDocReadsBackAsTheDraft(t *testing.T) {
	c := fullDraft(t)
	text := Doc(&c).PlainText()
	p, ok := story.Locate(c.Title, text)
	if !ok || p.Role != "returning mobile shopper" {
		t.Fatalf("story not found in the description: %+v", p)
	}
	crit := story.AcceptanceCriteria(text)
	if crit.Kind != story.KindGWT || len(crit.Items) != len(c.AcceptanceCriteria) {
		t.Errorf("criteria read back: %v %d, want %d Given/When/Then", crit.Kind, len(crit.Items), len(c.AcceptanceCriteria))
	}
	for i, it := range crit.Items {
		if it.Text != c.AcceptanceCriteria[i] {
			t.Errorf("criterion %d read back as %q", i, it.Text)
		}
	}
}

func TestTextDocGolden(t *testing.T) {
	text := "User story\n\nAs a merchant, I want to export orders to CSV, so that my accountant can import them.\n\n" +
		"Acceptance criteria\n\n- Given 120 orders in May, when I export May, then the file has 120 rows\n" +
		"- Given an order was refunded, when I export, then its amount is negative\n\n" +
		"Notes\n\nThe accountant uses Xero.\nColumns follow Xero's import format.\n\n" +
		"Steps\n1. Open orders\n2. Choose export"
	doc := TextDoc(text)
	golden(t, "textdoc", doc)
	if got := doc.PlainText(); got != "User story\n\nAs a merchant, I want to export orders to CSV, so that my accountant can import them.\n\n"+
		"Acceptance criteria\n\n- Given 120 orders in May, when I export May, then the file has 120 rows\n- Given an order was refunded, when I export, then its amount is negative\n\n"+
		"Notes\n\nThe accountant uses Xero.\nColumns follow Xero's import format.\n\nSteps\n\n1. Open orders\n2. Choose export" {
		t.Errorf("round trip:\n%s", got)
	}
	if empty := TextDoc(""); len(empty.Content) != 0 {
		t.Errorf("empty text gives %d blocks", len(empty.Content))
	}
}

func TestSourcesOnlyFromResearch(t *testing.T) {
	src := []research.Source{{Title: "A", URL: "https://a.example"}, {Title: "B", URL: "https://b.example"}}
	c := fromLLM(llmDraft{Title: "T", UserStory: "As a x, I want y, so that z.", Sources: []int{2, 2, 0, 7, 1}}, src, "")
	if diff := cmp.Diff([]research.Source{src[1], src[0]}, c.Sources); diff != "" {
		t.Errorf("cited sources (-want +got):\n%s", diff)
	}
}
