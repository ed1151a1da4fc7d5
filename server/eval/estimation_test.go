package eval

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/analysis/estimate"
	"github.com/backlogai/backlogai/server/domain"
)

// estimationData is ../shared/data seen from this package's directory.
const estimationData = "../../../shared/data"

// requireEstimationData fails (never skips) when the labelled data is absent.
func requireEstimationData(t *testing.T) {
	t.Helper()
	dir := filepath.Join(estimationData, "estimation")
	if _, err := os.Stat(filepath.Join(dir, "mesos.csv")); err != nil {
		t.Fatalf("estimation data missing: %v (expected the Deep-SE CSVs in %s, i.e. ../shared/data/estimation from the repo root)", err, dir)
	}
}

// Published test MAE of Deep-SE (Choetkiertikul et al., TSE 2018), from
// ../shared/data/README.md.
var deepSE = map[string]float64{
	"mesos": 1.02, "usergrid": 1.03, "appceleratorstudio": 1.36,
	"duracloud": 0.68, "bamboo": 0.74, "springxd": 1.63,
}

func TestEstimationTestSplit(t *testing.T) {
	requireEstimationData(t)
	runs, err := EstimationRuns(estimationData, estimate.DefaultOptions(), PhaseTest)
	if err != nil {
		t.Fatalf("EstimationRuns: %v", err)
	}
	// Figures reached with DefaultOptions (chosen on val only), trained on
	// train+val. A change that makes any of them worse fails here. The
	// evidence floor of 0.20 (TestEstimationFloorLeaveOneProjectOut) gave
	// up duracloud's 0.7090 (floor 0.10) for honest "not enough signal"
	// answers.
	want := map[string]struct {
		nTest, dropped int
		mae, median    float64
	}{
		"appceleratorstudio": {583, 1, 1.2847, 1.3053},
		"bamboo":             {105, 0, 0.7333, 0.7524},
		"duracloud":          {134, 0, 0.7239, 0.8060},
		"mesos":              {336, 0, 1.1399, 1.2202},
		"springxd":           {706, 0, 1.6133, 1.7153},
		"usergrid":           {97, 0, 1.1546, 1.1649},
	}
	if len(runs) != len(want) {
		t.Fatalf("got %d projects, want %d", len(runs), len(want))
	}
	var answered, covered float64
	defer func() {
		t.Logf("pooled test coverage %.3f", covered/answered)
		if cov := covered / answered; cov < 0.75 || cov > 0.85 {
			t.Errorf("pooled test coverage of the 80%% interval = %.3f, want 0.75-0.85", cov)
		}
	}()
	for _, r := range runs {
		w, ok := want[r.Project]
		if !ok {
			t.Errorf("unexpected project %q", r.Project)
			continue
		}
		t.Logf("%-18s n=%3d dropped=%d MAE %.4f median %.4f Deep-SE %.2f within1 %.2f conf %.2f cover %.3f steps %.2f scale %d; fixed interval cover %.3f steps %.0f",
			r.Project, r.NTest, r.Dropped, r.MAE, r.MedianBaselineMAE, deepSE[r.Project], r.WithinOneStep, r.MeanConfidence, r.Coverage, r.IntervalSteps, r.ScaleValues, r.BaselineCoverage, r.BaselineSteps)
		if r.NTest != w.nTest || r.Dropped != w.dropped {
			t.Errorf("%s: scored %d, dropped %d; want %d, %d", r.Project, r.NTest, r.Dropped, w.nTest, w.dropped)
		}
		if math.Abs(r.MedianBaselineMAE-w.median) > 5e-4 {
			t.Errorf("%s: median baseline MAE %.4f, want %.4f", r.Project, r.MedianBaselineMAE, w.median)
		}
		if r.MAE > w.mae+5e-4 {
			t.Errorf("%s: MAE %.4f, worse than the %.4f reached", r.Project, r.MAE, w.mae)
		}
		if r.MAE >= r.MedianBaselineMAE {
			t.Errorf("%s: MAE %.4f not below the median baseline %.4f", r.Project, r.MAE, r.MedianBaselineMAE)
		}
		if r.MeanConfidence <= 0 || r.MeanConfidence > 1 {
			t.Errorf("%s: mean confidence %v outside (0,1]", r.Project, r.MeanConfidence)
		}
		// The stated 80 % interval, calibrated on each team's own history.
		// Pooled over projects it must hold 75-85 % (below); one project of
		// ~100 rows varies by ±0.04 (one standard error), hence 0.70-0.90.
		if r.Coverage < 0.70 || r.Coverage > 0.90 {
			t.Errorf("%s: 80%% interval held %.3f of true values, want 0.70-0.90", r.Project, r.Coverage)
		}
		a := r.Answered * float64(r.NTest)
		answered += a
		covered += r.Coverage * a
		if r.MeanBaselineMAE <= 0 || r.RandomBaselineMAE <= r.MedianBaselineMAE {
			t.Errorf("%s: baselines mean %.3f random %.3f median %.3f: random should be the weakest", r.Project, r.MeanBaselineMAE, r.RandomBaselineMAE, r.MedianBaselineMAE)
		}
	}
}

func TestEstimationIntervalCalibrated(t *testing.T) {
	// Held-out folds: trained on train, scored on val (never test). Pooled
	// over projects, the 80 % interval must hold 75-85 % of true values and
	// the mean confidence must match the observed within-one-step share.
	requireEstimationData(t)
	runs, err := EstimationRuns(estimationData, estimate.DefaultOptions(), PhaseValidation)
	if err != nil {
		t.Fatalf("EstimationRuns: %v", err)
	}
	var n, covered, conf, within float64
	for _, r := range runs {
		t.Logf("%-18s val: answered %.3f coverage %.3f steps %.2f within1 %.3f conf %.3f", r.Project, r.Answered, r.Coverage, r.IntervalSteps, r.WithinOneStep, r.MeanConfidence)
		a := r.Answered * float64(r.NTest)
		n += a
		covered += r.Coverage * a
		conf += r.MeanConfidence * a
		within += r.WithinOneStep * a
		// Below the evidence floor the answer is "not enough signal";
		// on the validation splits the floor leaves 71-96 % answered.
		if r.Answered < 0.7 {
			t.Errorf("%s: answered %.2f of rows, want >= 0.7 on projects with long histories", r.Project, r.Answered)
		}
	}
	t.Logf("pooled val: coverage %.3f, mean confidence %.3f, within one step %.3f", covered/n, conf/n, within/n)
	if cov := covered / n; cov < 0.75 || cov > 0.85 {
		t.Errorf("pooled val coverage of the 80%% interval = %.3f, want 0.75-0.85", cov)
	}
	if gap := math.Abs(conf-within) / n; gap > 0.05 {
		t.Errorf("mean confidence %.3f vs within-one-step %.3f: off by %.3f, want <= 0.05", conf/n, within/n, gap)
	}
}

func TestEstimationValidationSplit(t *testing.T) {
	requireEstimationData(t)
	runs, err := EstimationRuns(estimationData, estimate.DefaultOptions(), PhaseValidation)
	if err != nil {
		t.Fatalf("EstimationRuns: %v", err)
	}
	// The split the defaults were chosen on (trained on train only). The
	// evidence floor of 0.20 cost springxd 1.7234 and usergrid 0.7604
	// (floor 0.10) and gained duracloud 0.7143.
	want := map[string]float64{
		"appceleratorstudio": 1.3202, "bamboo": 0.6731, "duracloud": 0.7068,
		"mesos": 1.2202, "springxd": 1.7291, "usergrid": 0.7812,
	}
	var rel float64
	for _, r := range runs {
		t.Logf("%-18s n=%3d MAE %.4f median %.4f within1 %.2f conf %.2f", r.Project, r.NTest, r.MAE, r.MedianBaselineMAE, r.WithinOneStep, r.MeanConfidence)
		if r.MAE > want[r.Project]+5e-4 {
			t.Errorf("%s: val MAE %.4f, worse than the %.4f reached", r.Project, r.MAE, want[r.Project])
		}
		rel += r.MAE / r.MedianBaselineMAE
	}
	if rel /= float64(len(runs)); rel >= 0.955 {
		t.Errorf("mean val MAE / median MAE = %.4f, want < 0.955", rel)
	}
}

func TestEstimationSummary(t *testing.T) {
	requireEstimationData(t)
	got, err := Estimation(estimationData)
	if err != nil {
		t.Fatalf("Estimation: %v", err)
	}
	runs, err := EstimationRuns(estimationData, estimate.DefaultOptions(), PhaseTest)
	if err != nil {
		t.Fatalf("EstimationRuns: %v", err)
	}
	want := map[string]EstimationResult{}
	for _, r := range runs {
		want[r.Project] = r.EstimationResult
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Estimation differs from EstimationRuns (-want +got):\n%s", diff)
	}
}

func TestEstimationMissingDir(t *testing.T) {
	_, err := Estimation(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Estimation(empty dir) error = %v, want fs.ErrNotExist", err)
	}
}

func writeEstimationCSV(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, "estimation", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadEstimationCSV(t *testing.T) {
	const head = "issuekey,title,description,storypoint,split_mark\n"
	tests := []struct {
		name    string
		body    string
		want    estimationSplit
		wantErr bool
	}{
		{
			name: "quoted multi-line description with commas and quotes",
			body: head + "P-1,\"Fix, now\",\"line one\nline \"\"two\"\", end\n\",3,train\n" +
				"P-2,Second,,0.5,val\n" +
				"P-3,Third,plain,13,test\n",
			want: estimationSplit{
				Train:   []domain.Issue{{Key: "P-1", Summary: "Fix, now", Description: "line one\nline \"two\", end\n", StoryPoints: estPoints(3), StatusCat: domain.StatusDone}},
				Val:     []domain.Issue{{Key: "P-2", Summary: "Second", StoryPoints: estPoints(0.5), StatusCat: domain.StatusDone}},
				Test:    []domain.Issue{{Key: "P-3", Summary: "Third", Description: "plain", StoryPoints: estPoints(13), StatusCat: domain.StatusDone}},
				Skipped: map[string]int{},
			},
		},
		{name: "bad header", body: "key,title,description,points,split\n", wantErr: true},
		{
			// Each bad row is counted by reason; the good row after them is read.
			name: "bad rows skipped, not fatal",
			body: head + "P-1,a,b,3,dev\n" + "P-2,a,b,three,train\n" + "P-3,a,b,-1,train\n" + "P-4,a,3,train\n" +
				"P-5,a,b,NaN,test\n" + "P-6,a\"b,c,2,val\n" + "P-7,ok,fine,5,train\n",
			want: estimationSplit{
				Train: []domain.Issue{{Key: "P-7", Summary: "ok", Description: "fine", StoryPoints: estPoints(5), StatusCat: domain.StatusDone}},
				Skipped: map[string]int{"split_mark not train, val or test": 1, "storypoint not a non-negative number": 3,
					"4 fields, want 5": 1, "unparseable row": 1},
			},
		},
		{name: "empty file", body: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeEstimationCSV(t, t.TempDir(), "p.csv", tt.body)
			got, err := readEstimationCSV(p)
			if (err != nil) != tt.wantErr {
				t.Fatalf("readEstimationCSV error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
				t.Errorf("readEstimationCSV mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func estPoints(v float64) *float64 { return &v }

func TestEstimationDropsRepeatedTestRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("issuekey,title,description,storypoint,split_mark\n")
	for i := range 40 {
		b.WriteString("T-" + string(rune('A'+i%26)) + string(rune('a'+i/26)) + ",Chore " + string(rune('a'+i%26)) + ",body,2,train\n")
	}
	b.WriteString("V-1,Repeated  Title,\"Some\nbody\",5,val\n")
	// Same text up to case and whitespace: dropped from scoring.
	b.WriteString("X-1,repeated title,\"some body\",5,test\n")
	b.WriteString("X-2,New title,other,3,test\n")
	dir := t.TempDir()
	writeEstimationCSV(t, dir, "tiny.csv", b.String())
	runs, err := EstimationRuns(dir, estimate.DefaultOptions(), PhaseTest)
	if err != nil {
		t.Fatal(err)
	}
	r := runs[0]
	if r.Project != "tiny" || r.NTest != 1 || r.Dropped != 1 || r.NTrain != 41 {
		t.Fatalf("run = %+v, want project tiny, 1 scored, 1 dropped, 41 trained", r)
	}
	// Only X-2 is scored: truth 3, team median 2.
	if r.MedianBaselineMAE != 1 {
		t.Errorf("median baseline MAE = %v, want 1", r.MedianBaselineMAE)
	}
}

func TestScaleSteps(t *testing.T) {
	sc := []float64{1, 2, 3, 5, 8}
	tests := []struct {
		a, b float64
		want int
	}{
		{3, 3, 0}, {3, 5, 1}, {5, 3, 1}, {1, 8, 4}, {2.5, 3, 1}, {4, 1, 2},
	}
	for _, tt := range tests {
		if got := scaleSteps(sc, tt.a, tt.b); got != tt.want {
			t.Errorf("scaleSteps(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestEstimationReportsSkippedRows(t *testing.T) {
	// A malformed row neither aborts the run nor disappears silently.
	var b strings.Builder
	b.WriteString("issuekey,title,description,storypoint,split_mark\n")
	for i := range 40 {
		b.WriteString("T-" + string(rune('A'+i%26)) + string(rune('a'+i/26)) + ",Chore " + string(rune('a'+i%26)) + ",body,2,train\n")
	}
	b.WriteString("X-1,Broken,row,many,test\n")
	b.WriteString("X-2,New title,other,3,test\n")
	dir := t.TempDir()
	writeEstimationCSV(t, dir, "tiny.csv", b.String())
	res, err := Estimation(dir)
	if err != nil {
		t.Fatalf("Estimation: %v", err)
	}
	r := res["tiny"]
	if r.NTest != 1 || r.SkippedRows["storypoint not a non-negative number"] != 1 {
		t.Fatalf("result %+v, want 1 scored and 1 skipped row", r)
	}
	var out strings.Builder
	(&Report{Estimation: res}).WriteText(&out)
	if !strings.Contains(out.String(), "skipped 1 malformed rows: storypoint not a non-negative number") {
		t.Errorf("report does not show the skipped row:\n%s", out.String())
	}
}
