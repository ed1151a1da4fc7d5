package eval

import (
	"math"
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
	res, err := Invest(investData)
	if err != nil {
		t.Fatalf("Invest: %v", err)
	}
	got := res.Overall
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
		InvestHasBenefit:  0.95, // 0.973
		InvestRoleSpan:    0.98, // 0.996
		InvestBenefitSpan: 0.98, // 0.993
	}
	// The targets hold in each group of abstracts (annotators differ):
	// F1 at least 0.15 over flagging every story, and MCC at least 0.40.
	for _, g := range []string{GroupFirst, GroupSecond} {
		for _, k := range []string{InvestAtomic, InvestMinimal, InvestProblemOriented, InvestConceptuallySound} {
			m, ok := res.Groups[g][k]
			t.Logf("%s %-20s P %.3f R %.3f F1 %.3f MCC %.3f flag-all %.3f", g, k, m.Precision, m.Recall, m.F1, m.MCC, m.FlagAllF1)
			if !ok || m.F1 < m.FlagAllF1+0.15 || m.MCC < 0.40 {
				t.Errorf("%s %s: F1 %.3f (flag-all %.3f) MCC %.3f, want F1 ≥ flag-all + 0.15 and MCC ≥ 0.40", g, k, m.F1, m.FlagAllF1, m.MCC)
			}
		}
		// What is not claimed must not be: vague words are hints now.
		for _, k := range []string{InvestUnambiguous, InvestEstimatable} {
			if m := res.Groups[g][k]; m.TP+m.FP > 5 {
				t.Errorf("%s %s: %d stories flagged, but the criterion is not claimed", g, k, m.TP+m.FP)
			}
		}
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
	res, err := Invest(dir)
	if err != nil {
		t.Fatalf("Invest: %v", err)
	}
	got := res.Overall
	// tp, fp, fn, tn per criterion.
	want := map[string][4]int{
		InvestAtomic:            {1, 0, 0, 3},
		InvestMinimal:           {1, 0, 0, 2},
		InvestProblemOriented:   {1, 0, 0, 1},
		InvestConceptuallySound: {0, 0, 1, 2},
		InvestUnambiguous:       {0, 0, 0, 1},
		InvestEstimatable:       {0, 0, 0, 1},
		InvestIndependent:       {0, 0, 0, 1},
		InvestUnique:            {0, 0, 0, 1},
		InvestHasRole:           {0, 0, 0, 2},
		InvestHasBenefit:        {1, 0, 0, 1},
		InvestRoleSpan:          {2, 0, 0, 0},
		InvestBenefitSpan:       {1, 0, 0, 1},
	}
	gotCounts := map[string][4]int{}
	for k, m := range got {
		gotCounts[k] = [4]int{m.TP, m.FP, m.FN, m.TN}
	}
	if diff := cmp.Diff(want, gotCounts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Every story is of abstract A1: the first group holds the UStAI
	// criteria, the second is absent.
	if g := res.Groups[GroupFirst]; g[InvestAtomic] != got[InvestAtomic] || len(res.Groups) != 1 {
		t.Errorf("groups %v, want only %s with the overall UStAI figures", res.Groups, GroupFirst)
	}
	if _, ok := res.Groups[GroupFirst][InvestHasBenefit]; ok {
		t.Errorf("has_benefit comes from the backlogs and belongs to no abstract group")
	}
}

func TestNewMetric(t *testing.T) {
	tests := []struct {
		name           string
		tp, fp, fn, tn int
		f1, mcc, all   float64
	}{
		{"perfect", 5, 0, 0, 5, 1, 1, 2 * 5.0 / 15},
		{"flag all", 5, 5, 0, 0, 2 * 5.0 / 15, 0, 2 * 5.0 / 15},
		{"never fires", 0, 0, 5, 5, 0, 0, 2 * 5.0 / 15},
		{"inverse", 0, 5, 5, 0, 0, -1, 2 * 5.0 / 15},
		{"mixed", 3, 1, 2, 4, 2 * 0.75 * 0.6 / 1.35, (12.0 - 2) / math.Sqrt(4*5*5*6), 2 * 5.0 / 15},
		{"no positives", 0, 1, 0, 9, 0, 0, 0},
	}
	for _, tt := range tests {
		m := NewMetric(tt.tp, tt.fp, tt.fn, tt.tn)
		if math.Abs(m.F1-tt.f1) > 1e-9 || math.Abs(m.MCC-tt.mcc) > 1e-9 || math.Abs(m.FlagAllF1-tt.all) > 1e-9 {
			t.Errorf("%s: F1 %.4f MCC %.4f flag-all %.4f, want %.4f %.4f %.4f", tt.name, m.F1, m.MCC, m.FlagAllF1, tt.f1, tt.mcc, tt.all)
		}
	}
}

func TestAbstractGroup(t *testing.T) {
	for in, want := range map[string]string{"A1": GroupFirst, "a7": GroupFirst, " A8 ": GroupSecond, "A14": GroupSecond, "A15": "", "A0": "", "B3": "", "": "", "Ax": ""} {
		if got := abstractGroup(in); got != want {
			t.Errorf("abstractGroup(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInvestSkipsBadRows: a malformed row is counted with its reason and
// the rest of the data is still scored.
func TestInvestSkipsBadRows(t *testing.T) {
	dir := t.TempDir()
	csv := "ID,Abstract,User story,atomic,minimal,Conceptually sound,Problem-oriented,Unambiguous,Estimatable,Independent,Unique\n" +
		"S1,A9,\"As a user, I want to export and email reports, so that I can share them.\",conjunctions,,,,,,,\n" +
		"S2,A9,,atomic,,,,,,,\n" +
		"S3,A9,\"As a user, I want \"bad\" quotes\",atomic,,,,,,,\n" +
		"S4,Z1,\"As a user, I want to see reports.\",atomic,,,,,,,\n"
	lines := "{not json\n" +
		`{"text":"As a user, I want reports.","entities":[{"label":"Persona","start_offset":5,"end_offset":400}]}` + "\n" +
		`{"text":"As an admin, I want logs.","entities":[{"label":"Persona","start_offset":6,"end_offset":11}]}` + "\n"
	mustWrite(t, filepath.Join(dir, "invest", "ustai.csv"), csv)
	mustWrite(t, filepath.Join(dir, "invest", "stories", "g1.jsonl"), lines)
	res, err := Invest(dir)
	if err != nil {
		t.Fatalf("Invest: %v", err)
	}
	wantSkipped := map[string]int{
		"ustai: no story text":                              1,
		"ustai: malformed CSV row":                          1,
		"ustai: abstract not A1-A14 (counted overall only)": 1,
		"backlogs: line is not JSON":                        1,
		"backlogs: span outside the text":                   1,
	}
	if diff := cmp.Diff(wantSkipped, res.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if m := res.Overall[InvestAtomic]; m.TP+m.FP+m.FN+m.TN != 2 {
		t.Errorf("atomic scored %d stories, want 2 (S1 and S4)", m.TP+m.FP+m.FN+m.TN)
	}
	if m := res.Groups[GroupSecond][InvestAtomic]; m.TP != 1 || m.TP+m.FP+m.FN+m.TN != 1 {
		t.Errorf("A8-A14 atomic %+v, want S1 alone, found", m)
	}
	if m := res.Overall[InvestHasRole]; m.TN != 1 {
		t.Errorf("has_role %+v, want the one good backlog line scored", m)
	}
}

func TestInvestErrors(t *testing.T) {
	tests := []struct {
		name, csv, jsonl, want string
	}{
		{"no data", "", "", "open ustai"},
		{"missing column", "ID,User story,atomic\nS1,As a user I want x,atomic\n", "", `no "minimal" column`},
		{"no backlogs", "ID,User story,atomic,minimal,Conceptually sound,Problem-oriented,Unambiguous,Estimatable,Independent,Unique\nS1,\"As a user, I want x\",atomic,,,,,,,\n", "", "no backlogs"},
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
