package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/backlogai/backlogai/server/analysis/estimate"
	"github.com/backlogai/backlogai/server/domain"
)

// Phase selects which split an estimation run scores.
type Phase int

const (
	// PhaseTest trains on train+val and scores test: the reported figure.
	PhaseTest Phase = iota
	// PhaseValidation trains on train and scores val: the only split
	// hyperparameters may be chosen on.
	PhaseValidation
)

// EstimationRun is one project's estimation outcome with the detail the
// summary EstimationResult leaves out.
type EstimationRun struct {
	Project string `json:"project"`
	EstimationResult
	NTrain int `json:"n_train"`
	// WithinOneStep is the share of answered rows whose true points are at
	// most one step from the estimate on the team's scale; MeanConfidence
	// is the mean Estimate.Confidence, which estimates that share.
	WithinOneStep  float64 `json:"within_one_step"`
	MeanConfidence float64 `json:"mean_confidence"`
	// ByNeighbours counts estimates with Method "neighbours".
	ByNeighbours int `json:"by_neighbours"`
	// IntervalSteps is the interval's mean width in steps of the team's
	// scale: coverage means little if every interval spans the scale.
	IntervalSteps float64 `json:"interval_steps"`
	ScaleValues   int     `json:"scale_values"` // distinct point values in training
	// BaselineCoverage and BaselineSteps are the same for the fixed
	// interval from the 10th to the 90th percentile of the training points,
	// given to every answered row: the interval with no model.
	BaselineCoverage float64 `json:"baseline_coverage_80"`
	BaselineSteps    float64 `json:"baseline_interval_steps"`
	// Rows are the scored rows one by one, for choosing thresholds by
	// cross-validation (not reported).
	Rows []EstimationRow `json:"-"`
}

// EstimationRow is one scored row: the best neighbour's similarity (0
// when none voted), whether the model answered, and the absolute errors
// of its answer and of the training median.
type EstimationRow struct {
	Top        float64
	Answered   bool
	Err        float64 // |estimate − truth| when answered
	MedianErr  float64
	Covered    bool // the interval held the truth
	Within     bool // the estimate was at most one scale step off
	Confidence float64
}

// Estimation scores story point estimation on every DIR/estimation/*.csv
// (Deep-SE projects with GPT2SP's chronological splits): it trains on the
// train and val rows with estimate.DefaultOptions and reports the test MAE
// next to the MAE of always answering the train+val median. The map is
// keyed by file name without ".csv". A missing folder gives an error
// wrapping fs.ErrNotExist.
func Estimation(dir string) (map[string]EstimationResult, error) {
	runs, err := EstimationRuns(dir, estimate.DefaultOptions(), PhaseTest)
	if err != nil {
		return nil, err
	}
	out := make(map[string]EstimationResult, len(runs))
	for _, r := range runs {
		out[r.Project] = r.EstimationResult
	}
	return out, nil
}

// EstimationRuns scores every project in DIR/estimation with opts, on the
// split phase selects, in project name order.
func EstimationRuns(dir string, opts estimate.Options, phase Phase) ([]EstimationRun, error) {
	files, err := filepath.Glob(filepath.Join(dir, "estimation", "*.csv"))
	if err != nil {
		return nil, fmt.Errorf("eval estimation: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("eval estimation: no csv in %s: %w", filepath.Join(dir, "estimation"), fs.ErrNotExist)
	}
	slices.Sort(files)
	var runs []EstimationRun
	for _, f := range files {
		s, err := readEstimationCSV(f)
		if err != nil {
			return nil, fmt.Errorf("eval estimation: %w", err)
		}
		train, scored := slices.Concat(s.Train, s.Val), s.Test
		if phase == PhaseValidation {
			train, scored = s.Train, s.Val
		}
		r := scoreEstimation(train, scored, opts)
		r.Project = strings.TrimSuffix(filepath.Base(f), ".csv")
		if len(s.Skipped) > 0 {
			r.SkippedRows = s.Skipped
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// scoreEstimation trains on train and scores the rows of scored that do not
// repeat a training row. A row the model answers with "not enough signal"
// counts in MAE with the training median, the number a team would fall
// back on; AnsweredMAE and AnsweredMedianMAE compare the answered rows
// alone.
func scoreEstimation(train, scored []domain.Issue, opts estimate.Options) EstimationRun {
	seen := make(map[string]bool, len(train))
	pts := make([]float64, len(train))
	for i := range train {
		seen[repeatKey(&train[i])] = true
		pts[i] = *train[i].StoryPoints
	}
	r := EstimationRun{NTrain: len(train)}
	med, mean := estimate.Median(pts), pointsMean(pts)
	m := estimate.Train(train, opts)
	sc := m.Scale()
	r.ScaleValues = len(sc)
	var sum, base, meanBase, random, ansSum, ansBase, conf float64
	var within, covered, steps, baseCovered int
	sorted := slices.Sorted(slices.Values(pts))
	var baseLo, baseHi float64
	if len(sorted) > 0 {
		baseLo, baseHi = sorted[len(sorted)/10], sorted[(len(sorted)-1)*9/10]
	}
	for i := range scored {
		is := &scored[i]
		if seen[repeatKey(is)] {
			r.Dropped++
			continue
		}
		truth := *is.StoryPoints
		e := m.Estimate(is)
		base += math.Abs(med - truth)
		meanBase += math.Abs(mean - truth)
		random += expectedAbsError(pts, truth)
		r.NTest++
		row := EstimationRow{MedianErr: math.Abs(med - truth), Answered: e.Method == estimate.MethodNeighbours}
		if len(e.Neighbours) > 0 {
			row.Top = e.Neighbours[0].Similarity
		}
		if !row.Answered {
			r.Rows = append(r.Rows, row)
			sum += math.Abs(med - truth)
			continue
		}
		row.Err, row.Confidence = math.Abs(e.Points-truth), e.Confidence
		row.Covered, row.Within = truth >= e.Low && truth <= e.High, scaleSteps(sc, e.Points, truth) <= 1
		r.Rows = append(r.Rows, row)
		r.ByNeighbours++
		sum += math.Abs(e.Points - truth)
		ansSum += math.Abs(e.Points - truth)
		ansBase += math.Abs(med - truth)
		conf += e.Confidence
		if scaleSteps(sc, e.Points, truth) <= 1 {
			within++
		}
		if truth >= e.Low && truth <= e.High {
			covered++
		}
		steps += scaleSteps(sc, e.Low, e.High)
		if truth >= baseLo && truth <= baseHi {
			baseCovered++
		}
	}
	if r.NTest > 0 {
		n := float64(r.NTest)
		r.MAE, r.MedianBaselineMAE = sum/n, base/n
		r.MeanBaselineMAE, r.RandomBaselineMAE = meanBase/n, random/n
		r.Answered = float64(r.ByNeighbours) / n
	}
	if a := float64(r.ByNeighbours); a > 0 {
		r.AnsweredMAE, r.AnsweredMedianMAE = ansSum/a, ansBase/a
		r.Coverage = float64(covered) / a
		r.IntervalSteps = float64(steps) / a
		r.BaselineCoverage = float64(baseCovered) / a
		r.BaselineSteps = float64(scaleSteps(sc, baseLo, baseHi))
		r.MeanConfidence, r.WithinOneStep = conf/a, float64(within)/a
	}
	return r
}

// expectedAbsError is the mean absolute error of answering a value drawn at
// random from the training points: the random baseline, computed exactly
// instead of sampled.
func expectedAbsError(train []float64, truth float64) float64 {
	if len(train) == 0 {
		return 0
	}
	var s float64
	for _, p := range train {
		s += math.Abs(p - truth)
	}
	return s / float64(len(train))
}

func pointsMean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// scaleSteps is how many scale steps apart a and b are; a value off the scale
// counts from the scale value nearest below it.
func scaleSteps(sc []float64, a, b float64) int {
	pos := func(v float64) int {
		i, _ := slices.BinarySearch(sc, v)
		if i < len(sc) && sc[i] == v {
			return i
		}
		return i - 1
	}
	d := pos(a) - pos(b)
	if d < 0 {
		d = -d
	}
	return d
}

// repeatKey folds case and whitespace so that a re-filed copy of an issue
// matches its original.
func repeatKey(is *domain.Issue) string {
	return strings.Join(strings.Fields(strings.ToLower(is.Summary)), " ") + "\x00" +
		strings.Join(strings.Fields(strings.ToLower(is.Description)), " ")
}

// estimationSplit is one project's rows in creation order, and the count of
// malformed rows left out, by reason.
type estimationSplit struct {
	Train, Val, Test []domain.Issue
	Skipped          map[string]int
}

// readEstimationCSV reads one project file with the header issuekey, title,
// description, storypoint, split_mark (train|val|test). Descriptions are
// quoted and may span lines; encoding/csv handles both. A malformed row
// (wrong field count, broken quoting, a storypoint that is not a
// non-negative number, an unknown split) is skipped and counted by reason:
// one bad row must not abort the run. A bad header is an error.
func readEstimationCSV(path string) (estimationSplit, error) {
	f, err := os.Open(path)
	if err != nil {
		return estimationSplit{}, fmt.Errorf("read estimation csv: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return estimationSplit{}, fmt.Errorf("read estimation csv %s: header: %w", path, err)
	}
	want := []string{"issuekey", "title", "description", "storypoint", "split_mark"}
	if !slices.Equal(head, want) {
		return estimationSplit{}, fmt.Errorf("read estimation csv %s: header %q, want %q", path, head, want)
	}
	s := estimationSplit{Skipped: map[string]int{}}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			s.Skipped["unparseable row"]++
			continue
		}
		if err != nil {
			return estimationSplit{}, fmt.Errorf("read estimation csv %s: %w", path, err)
		}
		if len(rec) != len(want) {
			s.Skipped[fmt.Sprintf("%d fields, want %d", len(rec), len(want))]++
			continue
		}
		p, err := strconv.ParseFloat(strings.TrimSpace(rec[3]), 64)
		if err != nil || p < 0 || math.IsNaN(p) || math.IsInf(p, 0) {
			s.Skipped["storypoint not a non-negative number"]++
			continue
		}
		is := domain.Issue{Key: rec[0], Summary: rec[1], Description: rec[2], StoryPoints: &p, StatusCat: domain.StatusDone}
		switch strings.TrimSpace(rec[4]) {
		case "train":
			s.Train = append(s.Train, is)
		case "val":
			s.Val = append(s.Val, is)
		case "test":
			s.Test = append(s.Test, is)
		default:
			s.Skipped["split_mark not train, val or test"]++
		}
	}
	return s, nil
}
