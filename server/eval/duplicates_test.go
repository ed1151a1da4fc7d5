package eval

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const duplicatesData = "../../../shared/data"

func requireDuplicatesData(t *testing.T) {
	t.Helper()
	for _, f := range []string{"hadoop_issues.csv", "hadoop_pairs.csv"} {
		if _, err := os.Stat(filepath.Join(duplicatesData, "duplicates", f)); err != nil {
			t.Fatalf("duplicate evaluation data missing (%v): expected ../shared/data/duplicates/%s next to the repository, see /work/shared/data/README.md", err, f)
		}
	}
}

// TestDuplicatesRecall pins the recall the index reaches on the Hadoop pairs.
// Reference (REP, BM25F-based, Zhang et al. TOSEM 2023): 0.41 / 0.60 / 0.65.
func TestDuplicatesRecall(t *testing.T) {
	requireDuplicatesData(t)
	res, err := Duplicates(duplicatesData)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pairs %d: recall@1 %.2f recall@5 %.2f recall@10 %.2f", res.Pairs, res.RecallAt1, res.RecallAt5, res.RecallAt10)
	if res.Pairs != 100 {
		t.Errorf("Pairs = %d, want 100", res.Pairs)
	}
	floors := []struct {
		name      string
		got, want float64
	}{
		{"recall@1", res.RecallAt1, 0.53},
		{"recall@5", res.RecallAt5, 0.70},
		{"recall@10", res.RecallAt10, 0.77},
	}
	for _, f := range floors {
		if f.got < f.want {
			t.Errorf("%s = %.2f, below the floor %.2f", f.name, f.got, f.want)
		}
	}
}

func TestReadHadoopIssues(t *testing.T) {
	requireDuplicatesData(t)
	issues, err := readHadoopIssues(filepath.Join(duplicatesData, "duplicates", "hadoop_issues.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 2503 {
		t.Errorf("read %d issues, want 2503", len(issues))
	}
	multiline := 0
	for _, is := range issues {
		if strings.Contains(is.Description, "\n") {
			multiline++
		}
		if strings.Contains(is.Summary, "\n") {
			t.Errorf("issue %s summary spans lines: %q", is.Key, is.Summary)
		}
		if is.Created.IsZero() {
			t.Errorf("issue %s has no creation time", is.Key)
		}
	}
	if multiline < 1000 {
		t.Errorf("only %d descriptions span lines; quoted newlines are probably mis-parsed", multiline)
	}
	var debian *string
	for i := range issues {
		if issues[i].Key == "13400058" {
			debian = &issues[i].Description
		}
	}
	// A long multi-line description with embedded quotes, read whole.
	if debian == nil || !strings.HasPrefix(*debian, "We're using *Debian testing*") || !strings.Contains(*debian, "libcrypt.so.1: cannot open shared object file") {
		t.Errorf("issue 13400058 description not read whole")
	}
}

func TestReadHadoopIssuesQuoting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "issues.csv")
	body := "Summary,Issue id,Status,Priority,Resolution,Created,Resolved,Affects Version/s,Description\n" +
		`"Crash, then ""hang""",1,Open,Major,,01/Feb/21 10:00,,3.3.0,"line one` + "\n\n" + `line ""three"", end"` + "\n" +
		"Plain,2,Open,Minor,,02/Feb/21 11:30,,,\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	issues, err := readHadoopIssues(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 2 {
		t.Fatalf("read %d issues, want 2", len(issues))
	}
	if got, want := issues[0].Summary, `Crash, then "hang"`; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if got, want := issues[0].Description, "line one\n\nline \"three\", end"; got != want {
		t.Errorf("description = %q, want %q", got, want)
	}
	if issues[1].Key != "2" || issues[1].Description != "" || issues[1].Created.Hour() != 11 {
		t.Errorf("second issue = %+v", issues[1])
	}
}

func TestReadHadoopIssuesErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "Summary,Issue id,Status,Priority,Resolution,Created,Resolved,Affects Version/s,Description\n"
	tests := []struct {
		name, body string
	}{
		{"missing column", "Summary,Issue id\nx,1\n"},
		{"short record", header + "x,1,Open\n"},
		{"repeated id", header + "a,1,Open,Major,,01/Feb/21 10:00,,,\nb,1,Open,Major,,01/Feb/21 10:00,,,\n"},
		{"bad date", header + "a,1,Open,Major,,yesterday,,,\n"},
	}
	for _, tt := range tests {
		if _, err := readHadoopIssues(write(tt.name+".csv", tt.body)); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := Duplicates(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Duplicates(dir without data) error = %v, want fs.ErrNotExist", err)
	}
}
