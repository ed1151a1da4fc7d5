package eval

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// investData is ../shared/data seen from this package.
const investData = "../../../shared/data"

// TestInvest runs the story checks on the public labelled data and holds
// the F1 each criterion reached, so a rule change that loses ground fails.
// The floors sit a little under the measured values (in comments); see
// the report for why some criteria stay low.
func TestInvest(t *testing.T) {
	if _, err := os.Stat(filepath.Join(investData, "invest", "ustai.csv")); err != nil {
		t.Fatalf("evaluation data missing (%v): shared/data must sit beside the repository", err)
	}
	got, err := Invest(investData)
	if err != nil {
		t.Fatalf("Invest: %v", err)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := got[k]
		t.Logf("%-20s P %.3f R %.3f F1 %.3f (tp %d fp %d fn %d)", k, m.Precision, m.Recall, m.F1, m.TP, m.FP, m.FN)
	}
	floors := map[string]float64{
		InvestMinimal:           0.83, // 0.855
		InvestProblemOriented:   0.80, // 0.835
		InvestHasBenefit:        0.95, // 0.973
		InvestConceptuallySound: 0.78, // 0.805
		InvestAtomic:            0.73, // 0.752: labels drift between abstracts (A1-7 0.85, A8-14 0.56)
		InvestUnambiguous:       0.40, // 0.437
		InvestEstimatable:       0.40, // 0.436
		InvestRoleSpan:          0.98, // 0.996
		InvestBenefitSpan:       0.98, // 0.993
	}
	for k, floor := range floors {
		m, ok := got[k]
		if !ok {
			t.Errorf("%s: not measured", k)
			continue
		}
		if m.F1 < floor {
			t.Errorf("%s: F1 %.3f below the floor %.2f", k, m.F1, floor)
		}
	}
	// The backlogs label a persona on every story, so has_role has no
	// positive case: what can be held is that no role is missed.
	if m := got[InvestHasRole]; m.FP != 0 || m.TP+m.FN != 0 {
		t.Errorf("has_role: %+v, want no story reported without a role", m)
	}
	for _, k := range []string{InvestUnique, InvestIndependent} {
		if m, ok := got[k]; !ok || m.TP+m.FN == 0 {
			t.Errorf("%s: no labelled positives read (%+v)", k, m)
		}
	}
}

// TestInvestCounts checks the reading and counting on a tiny data set
// written here: labels, empty cells, the PID prefix and span matching.
func TestInvestCounts(t *testing.T) {
	dir := t.TempDir()
	csv := "\ufeffID,Abstract,User story,atomic,minimal,Conceptually sound,Problem-oriented,Unambiguous,Estimatable,Independent,Unique\n" +
		"S1,A1,\"As a user, I want to export and email reports, so that I can share them.\",conjunctions,minimal,Conceptually sound,problem-oriented,Unambiguous,estimatable,independent,unique\n" +
		"S2,A1,\"As a user, I want a dropdown (with flags) so that I can pick a country.\",atomic,brackets,Conceptually sound,solution_oriented,,,,\n" +
		"S3,A1,\"As a nurse, I want to see free beds so that I can admit patients.\",atomic,minimal,no_feature,,,,,\n" +
		// An info-level scope join (named items in a phrase) is not counted.
		"S4,A1,\"As a dispatcher, I want to predict the ridership of taxi and Uber, so that I can plan.\",atomic,,,,,,,\n"
	lines := `{"text":"#G1# As a user, I want reports, so that I can share them.","entities":[{"label":"PID","start_offset":0,"end_offset":4},{"label":"Persona","start_offset":10,"end_offset":14},{"label":"Benefit","start_offset":41,"end_offset":57}]}
{"text":"#G1# As an admin, I want logs.","entities":[{"label":"PID","start_offset":0,"end_offset":4},{"label":"Persona","start_offset":11,"end_offset":16}]}
`
	mustWrite(t, filepath.Join(dir, "invest", "ustai.csv"), csv)
	mustWrite(t, filepath.Join(dir, "invest", "stories", "g1.jsonl"), lines)
	got, err := Invest(dir)
	if err != nil {
		t.Fatalf("Invest: %v", err)
	}
	want := map[string]Metric{
		InvestAtomic:            NewMetric(1, 0, 0),
		InvestMinimal:           NewMetric(1, 0, 0),
		InvestProblemOriented:   NewMetric(1, 0, 0),
		InvestConceptuallySound: NewMetric(0, 0, 1),
		InvestUnambiguous:       NewMetric(0, 0, 0),
		InvestEstimatable:       NewMetric(0, 0, 0),
		InvestIndependent:       NewMetric(0, 0, 0),
		InvestUnique:            NewMetric(0, 0, 0),
		InvestHasRole:           NewMetric(0, 0, 0),
		InvestHasBenefit:        NewMetric(1, 0, 0),
		InvestRoleSpan:          NewMetric(2, 0, 0),
		InvestBenefitSpan:       NewMetric(1, 0, 0),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestInvestErrors(t *testing.T) {
	tests := []struct {
		name, csv, jsonl, want string
	}{
		{"no data", "", "", "open ustai"},
		{"missing column", "ID,User story,atomic\nS1,As a user I want x,atomic\n", "", `no "minimal" column`},
		{"no backlogs", "ID,User story,atomic,minimal,Conceptually sound,Problem-oriented,Unambiguous,Estimatable,Independent,Unique\nS1,\"As a user, I want x\",atomic,,,,,,,\n", "", "no backlogs"},
		{"bad json", "ID,User story,atomic,minimal,Conceptually sound,Problem-oriented,Unambiguous,Estimatable,Independent,Unique\nS1,\"As a user, I want x\",atomic,,,,,,,\n", "{not json\n", "line 1"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if tt.csv != "" {
			mustWrite(t, filepath.Join(dir, "invest", "ustai.csv"), tt.csv)
		}
		if tt.jsonl != "" {
			mustWrite(t, filepath.Join(dir, "invest", "stories", "x.jsonl"), tt.jsonl)
		}
		if _, err := Invest(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
