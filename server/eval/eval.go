// Package eval measures the analysis engine on labelled public data laid out
// like ../shared/data (see its README). Each part is optional: a missing
// folder is reported as skipped, not as an error.
package eval

// Report is the output of `backlogai eval --json`.
type Report struct {
	Estimation map[string]EstimationResult `json:"estimation,omitempty"`
	Invest     map[string]Metric           `json:"invest,omitempty"`
	Duplicates *DuplicatesResult           `json:"duplicates,omitempty"`
	Skipped    []string                    `json:"skipped,omitempty"`
}

// EstimationResult is the test-split error for one project.
type EstimationResult struct {
	NTest             int     `json:"n_test"`
	MAE               float64 `json:"mae"`
	MedianBaselineMAE float64 `json:"median_baseline_mae"`
}

// Metric is a binary classification result where the positive class is
// "the problem is present".
type Metric struct {
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// NewMetric computes precision, recall and F1 from counts.
func NewMetric(tp, fp, fn int) Metric {
	m := Metric{TP: tp, FP: fp, FN: fn}
	if tp+fp > 0 {
		m.Precision = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		m.Recall = float64(tp) / float64(tp+fn)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
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
