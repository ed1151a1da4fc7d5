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

// EstimationResult is the test-split error for one project.
type EstimationResult struct {
	NTest             int     `json:"n_test"`
	MAE               float64 `json:"mae"`
	MedianBaselineMAE float64 `json:"median_baseline_mae"`
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

// DuplicatesResult is recall@k over known duplicate pairs.
type DuplicatesResult struct {
	Pairs      int     `json:"pairs"`
	RecallAt1  float64 `json:"recall_at_1"`
	RecallAt5  float64 `json:"recall_at_5"`
	RecallAt10 float64 `json:"recall_at_10"`
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
		fmt.Fprintf(w, "Estimation (test split, MAE in story points; lower is better)\n")
		fmt.Fprintf(w, "  %-20s %6s %8s %10s\n", "project", "n", "MAE", "median MAE")
		for _, p := range sortedKeys(r.Estimation) {
			e := r.Estimation[p]
			fmt.Fprintf(w, "  %-20s %6d %8.3f %10.3f\n", p, e.NTest, e.MAE, e.MedianBaselineMAE)
		}
		fmt.Fprintln(w)
	}
	r.writeInvest(w)
	if d := r.Duplicates; d != nil {
		fmt.Fprintf(w, "Duplicates (%d labelled pairs)\n  recall@1 %.3f   recall@5 %.3f   recall@10 %.3f\n\n", d.Pairs, d.RecallAt1, d.RecallAt5, d.RecallAt10)
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
