// Package eval measures the analysis engine on labelled public data laid out
// like ../shared/data (see its README). Each part is optional: a missing
// folder is reported as skipped, not as an error.
package eval

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"sort"
	"strings"
)

// Report is the output of `backlogai eval --json`.
type Report struct {
	Estimation map[string]EstimationResult `json:"estimation,omitempty"`
	Invest     map[string]Metric           `json:"invest,omitempty"`
	// InvestGroups holds the UStAI criteria per group of abstracts;
	// InvestSkipped counts unreadable rows by reason.
	InvestGroups  map[string]map[string]Metric `json:"invest_groups,omitempty"`
	InvestSkipped map[string]int               `json:"invest_skipped,omitempty"`
	Duplicates    *DuplicatesResult            `json:"duplicates,omitempty"`
	Skipped       []string                     `json:"skipped,omitempty"`
}

// EstimationResult is the test-split error for one project. MAE counts
// every scored row: where the estimator says "not enough signal" the
// training median stands in. The baselines answer every row with the
// training median, the training mean, or a value drawn at random from the
// training points (its expected error).
type EstimationResult struct {
	NTest             int     `json:"n_test"`
	MAE               float64 `json:"mae"`
	MedianBaselineMAE float64 `json:"median_baseline_mae"`
	MeanBaselineMAE   float64 `json:"mean_baseline_mae"`
	RandomBaselineMAE float64 `json:"random_baseline_mae"`
	// Answered is the share of rows given a number; AnsweredMAE and
	// AnsweredMedianMAE are the estimator's and the median's error on them.
	Answered          float64 `json:"answered"`
	AnsweredMAE       float64 `json:"answered_mae"`
	AnsweredMedianMAE float64 `json:"answered_median_mae"`
	// Coverage is the share of answered rows whose true points lie in the
	// stated 80 % interval.
	Coverage float64 `json:"coverage_80"`
	// SkippedRows counts malformed input rows by reason.
	SkippedRows map[string]int `json:"skipped_rows,omitempty"`
	// Dropped counts scored rows left out because their title and
	// description (case and whitespace folded) also occur in the training
	// rows: scoring them would measure recall of a seen row, not
	// estimation. Training keeps every row, as the team's history would.
	Dropped int `json:"dropped_repeats"`
}

// Metric is a binary classification result where the positive class is
// "the problem is present". FlagAllF1 is the F1 of flagging every item,
// the trivial baseline a useful check must beat; MCC is 0 for a check that
// never or always fires.
type Metric struct {
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	TN        int     `json:"tn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	MCC       float64 `json:"mcc"`
	FlagAllF1 float64 `json:"flag_all_f1"`
}

// NewMetric computes precision, recall, F1, MCC and the flag-all F1 from
// the confusion counts.
func NewMetric(tp, fp, fn, tn int) Metric {
	m := Metric{TP: tp, FP: fp, FN: fn, TN: tn}
	if tp+fp > 0 {
		m.Precision = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		m.Recall = float64(tp) / float64(tp+fn)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	if n := tp + fp + fn + tn; n > 0 && tp+fn > 0 {
		m.FlagAllF1 = 2 * float64(tp+fn) / float64(tp+fn+n)
	}
	if d := float64(tp+fp) * float64(tp+fn) * float64(tn+fp) * float64(tn+fn); d > 0 {
		m.MCC = (float64(tp)*float64(tn) - float64(fp)*float64(fn)) / math.Sqrt(d)
	}
	return m
}

// Run evaluates every part present under dir; a missing part is listed in
// Skipped, any other failure is returned.
func Run(dir string) (*Report, error) {
	r := &Report{}
	est, err := Estimation(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Skipped = append(r.Skipped, "estimation")
	case err != nil:
		return nil, fmt.Errorf("eval: estimation: %w", err)
	default:
		r.Estimation = est
	}
	inv, err := Invest(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Skipped = append(r.Skipped, "invest")
	case err != nil:
		return nil, fmt.Errorf("eval: invest: %w", err)
	default:
		r.Invest, r.InvestGroups = inv.Overall, inv.Groups
		if len(inv.Skipped) > 0 {
			r.InvestSkipped = inv.Skipped
		}
	}
	dup, err := Duplicates(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Skipped = append(r.Skipped, "duplicates")
	case err != nil:
		return nil, fmt.Errorf("eval: duplicates: %w", err)
	default:
		r.Duplicates = dup
	}
	return r, nil
}

// WriteText prints the report as tables.
func (r *Report) WriteText(w io.Writer) {
	if len(r.Estimation) > 0 {
		fmt.Fprintf(w, "Estimation (test split, MAE in story points; lower is better; baselines answer every row)\n")
		fmt.Fprintf(w, "  %-20s %5s %7s %6s %7s %7s %7s %8s %8s\n", "project", "n", "MAE", "ratio", "median", "mean", "random", "answered", "cover80")
		for _, p := range sortedKeys(r.Estimation) {
			e := r.Estimation[p]
			ratio := 0.0
			if e.MedianBaselineMAE > 0 {
				ratio = e.MAE / e.MedianBaselineMAE
			}
			fmt.Fprintf(w, "  %-20s %5d %7.3f %6.3f %7.3f %7.3f %7.3f %7.0f%% %7.0f%%\n", p, e.NTest, e.MAE, ratio,
				e.MedianBaselineMAE, e.MeanBaselineMAE, e.RandomBaselineMAE, 100*e.Answered, 100*e.Coverage)
			if e.Dropped > 0 {
				fmt.Fprintf(w, "    left out %d test rows repeating a training row\n", e.Dropped)
			}
			for _, reason := range sortedKeys(e.SkippedRows) {
				fmt.Fprintf(w, "    skipped %d malformed rows: %s\n", e.SkippedRows[reason], reason)
			}
		}
		fmt.Fprintln(w)
	}
	r.writeInvest(w)
	if d := r.Duplicates; d != nil {
		d.writeText(w)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "Skipped (no data): %s\n", strings.Join(r.Skipped, ", "))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
