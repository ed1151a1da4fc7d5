package eval

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/analysis/dupes"
	"github.com/backlogai/backlogai/server/analysis/story"
	"github.com/backlogai/backlogai/server/domain"
)

// Invest criteria keys of the report. The positive class is always "the
// defect is present" (or "the part is missing").
const (
	InvestAtomic            = "atomic"
	InvestMinimal           = "minimal"
	InvestProblemOriented   = "problem_oriented"
	InvestConceptuallySound = "conceptually_sound"
	InvestUnambiguous       = "unambiguous"
	InvestEstimatable       = "estimatable"
	InvestIndependent       = "independent"
	InvestUnique            = "unique"
	InvestHasRole           = "has_role"
	InvestHasBenefit        = "has_benefit"
	// InvestRoleSpan and InvestBenefitSpan score extraction, not detection:
	// a true positive is a labelled part whose span the parser finds with
	// overlap (IoU) of at least spanIoU; a found span that matches no label
	// is a false positive.
	InvestRoleSpan    = "role_span"
	InvestBenefitSpan = "benefit_span"
	spanIoU           = 0.5
)

// ustaiColumns maps a UStAI column to our criterion and the label that
// means "no defect"; any other non-empty label is a defect, an empty cell
// is not annotated. "Yes" also means no defect (a few Estimatable cells).
var ustaiColumns = []struct{ column, criterion, good string }{
	{"atomic", InvestAtomic, "atomic"},
	{"minimal", InvestMinimal, "minimal"},
	{"conceptually sound", InvestConceptuallySound, "conceptually_sound"},
	{"problem-oriented", InvestProblemOriented, "problem_oriented"},
	{"unambiguous", InvestUnambiguous, "unambiguous"},
	{"estimatable", InvestEstimatable, "estimatable"},
	{"independent", InvestIndependent, "independent"},
	{"unique", InvestUnique, "unique"},
}

// InvestResult is the story-check evaluation: every criterion over all
// the data, the UStAI criteria per group of abstracts (annotators differ
// between groups, so a rule must hold in each), and the rows that could not
// be read, counted by reason instead of aborting the run.
type InvestResult struct {
	Overall map[string]Metric
	// Groups maps "A1-A7" and "A8-A14" to the UStAI criteria of the
	// stories of those abstracts.
	Groups map[string]map[string]Metric
	// Skipped counts unreadable rows by reason ("ustai: no story text").
	Skipped map[string]int
}

// NotClaimed lists the UStAI criteria the checks do not claim to detect,
// with the reason; their figures are printed for reference only.
var NotClaimed = map[string]string{
	InvestUnambiguous: "vague-word findings are hints: a word list scored below flagging every story in both groups",
	InvestEstimatable: "the same: UStAI's Estimatable follows the topic, not words in the sentence",
	InvestIndependent: "a single sentence shows no dependency; in Jira the check uses blocking links",
	InvestUnique:      "UStAI duplicates are semantic; lexical similarity does not beat flagging every story",
}

// Abstract groups of UStAI: the abstracts were annotated in two batches.
const (
	GroupFirst  = "A1-A7"
	GroupSecond = "A8-A14"
)

// abstractGroup maps an abstract id ("A3", "a12") to its group, or "".
func abstractGroup(abstract string) string {
	a := strings.TrimSpace(strings.ToUpper(abstract))
	if !strings.HasPrefix(a, "A") {
		return ""
	}
	n, err := strconv.Atoi(a[1:])
	switch {
	case err != nil || n < 1 || n > 14:
		return ""
	case n <= 7:
		return GroupFirst
	default:
		return GroupSecond
	}
}

// Invest measures the story checks on DIR/invest: the UStAI stories
// (ustai.csv, per-story Quality User Story labels) and the labelled
// backlogs (stories/*.jsonl, Persona and Benefit spans). A criterion counts
// as predicted when Check reports a finding with that QUS criterion at
// warning level or above (an info finding is a hint, not a claim of a
// defect); unique is predicted when the duplicate index marks another story
// of the same abstract Near; estimatable by a warning under the INVEST
// letter E; has_role and has_benefit when the story parser finds no role or
// no benefit. A missing folder or file is an error wrapping
// fs.ErrNotExist; a malformed row is skipped and counted.
func Invest(dir string) (*InvestResult, error) {
	overall := counter{}
	groups := map[string]counter{}
	skipped := map[string]int{}
	skip := func(reason string) { skipped[reason]++ }
	count := func(group, key string, predicted, actual bool) {
		overall.add(key, predicted, actual)
		if group == "" {
			return
		}
		if groups[group] == nil {
			groups[group] = counter{}
		}
		groups[group].add(key, predicted, actual)
	}
	if err := investUStAI(filepath.Join(dir, "invest", "ustai.csv"), count, skip); err != nil {
		return nil, err
	}
	if err := investBacklogs(filepath.Join(dir, "invest", "stories"), func(key string, p, a bool) { count("", key, p, a) }, skip); err != nil {
		return nil, err
	}
	res := &InvestResult{Overall: overall.metrics(), Groups: map[string]map[string]Metric{}, Skipped: skipped}
	for g, c := range groups {
		res.Groups[g] = c.metrics()
	}
	return res, nil
}

// counter holds one confusion matrix per criterion.
type counter map[string]*confusion

func (c counter) add(key string, predicted, actual bool) {
	m := c[key]
	if m == nil {
		m = &confusion{}
		c[key] = m
	}
	m.add(predicted, actual)
}

func (c counter) metrics() map[string]Metric {
	out := make(map[string]Metric, len(c))
	for k, m := range c {
		out[k] = NewMetric(m.tp, m.fp, m.fn, m.tn)
	}
	return out
}

type confusion struct{ tp, fp, fn, tn int }

func (c *confusion) add(predicted, actual bool) {
	switch {
	case predicted && actual:
		c.tp++
	case predicted:
		c.fp++
	case actual:
		c.fn++
	default:
		c.tn++
	}
}

// ustaiStory is one row of ustai.csv.
type ustaiStory struct {
	id, set, text string
	labels        map[string]string // criterion → normalised label
}

func investUStAI(path string, count func(group, key string, predicted, actual bool), skip func(string)) error {
	rows, err := readUStAI(path, skip)
	if err != nil {
		return err
	}
	opts := checks.DefaultOptions()
	for _, r := range rows {
		g := abstractGroup(r.set)
		if g == "" {
			skip("ustai: abstract not A1-A14 (counted overall only)")
		}
		found := predictedDefects(r.text, opts)
		for _, col := range ustaiColumns {
			label, ok := r.labels[col.criterion]
			if !ok || col.criterion == InvestUnique {
				continue
			}
			count(g, col.criterion, found[col.criterion], label != col.good && label != "yes")
		}
	}
	near := nearDuplicates(rows)
	for _, r := range rows {
		if label, ok := r.labels[InvestUnique]; ok {
			count(abstractGroup(r.set), InvestUnique, near[r.id], label != "unique")
		}
	}
	return nil
}

// predictedDefects runs the checks on one story and returns the criteria
// they claim a defect for. Hints (Finding.Hint) claim nothing.
func predictedDefects(text string, opts checks.Options) map[string]bool {
	is := domain.Issue{Key: "S", Type: domain.TypeStory, Summary: text}
	res := checks.Check(&is, opts)
	found := map[string]bool{}
	for _, f := range res.Findings {
		if f.Hint {
			continue
		}
		found[f.Criterion] = true
		// UStAI's Estimatable is the INVEST E.
		if f.Letter == "E" {
			found[InvestEstimatable] = true
		}
	}
	return found
}

// nearDuplicates indexes the stories of each abstract (the set they were
// generated from) and reports those with a Near candidate. The role is
// left out of the indexed text: the same story for another role is a
// duplicate too.
func nearDuplicates(rows []ustaiStory) map[string]bool {
	bySet := map[string][]ustaiStory{}
	var sets []string
	for _, r := range rows {
		if _, ok := bySet[r.set]; !ok {
			sets = append(sets, r.set)
		}
		bySet[r.set] = append(bySet[r.set], r)
	}
	sort.Strings(sets)
	near := map[string]bool{}
	for _, s := range sets {
		x := dupes.New(dupes.DefaultOptions())
		issues := make([]domain.Issue, 0, len(bySet[s]))
		for _, r := range bySet[s] {
			text := r.text
			if p, ok := story.Parse(text, domain.FieldSummary); ok && p.MeansSpan != nil {
				text = text[p.MeansSpan.Start:]
			}
			is := domain.Issue{Key: r.id, Summary: text}
			issues = append(issues, is)
			x.Add(is)
		}
		for _, is := range issues {
			if c := x.Query(is, 1); len(c) > 0 && c[0].Near {
				near[is.Key] = true
			}
		}
	}
	return near
}

func readUStAI(path string, skip func(string)) ([]ustaiStory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("invest: open ustai: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("invest: read ustai header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	need := []string{"id", "user story"}
	for _, c := range ustaiColumns {
		need = append(need, c.column)
	}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("invest: ustai has no %q column", n)
		}
	}
	setCol, hasSet := col["abstract"]
	var rows []ustaiStory
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			skip("ustai: malformed CSV row")
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("invest: read ustai: %w", err)
		}
		get := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		r := ustaiStory{id: get(col["id"]), text: get(col["user story"]), labels: map[string]string{}}
		if hasSet {
			r.set = get(setCol)
		}
		if r.text == "" {
			skip("ustai: no story text")
			continue
		}
		for _, c := range ustaiColumns {
			if v := normaliseLabel(get(col[c.column])); v != "" {
				r.labels[c.criterion] = v
			}
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("invest: ustai %s has no stories", path)
	}
	return rows, nil
}

// normaliseLabel lowercases a label and joins its words with "_".
func normaliseLabel(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// doccanoLine is one story of a doccano export.
type doccanoLine struct {
	Text     string `json:"text"`
	Entities []struct {
		Label string `json:"label"`
		Start int    `json:"start_offset"`
		End   int    `json:"end_offset"`
	} `json:"entities"`
}

func investBacklogs(dir string, count func(string, bool, bool), skip func(string)) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return fmt.Errorf("invest: list backlogs: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("invest: no backlogs in %s: %w", dir, fs.ErrNotExist)
	}
	sort.Strings(files)
	for _, path := range files {
		if err := investBacklog(path, count, skip); err != nil {
			return err
		}
	}
	return nil
}

func investBacklog(path string, count func(string, bool, bool), skip func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("invest: open backlog: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l doccanoLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			skip("backlogs: line is not JSON")
			continue
		}
		if strings.TrimSpace(l.Text) == "" {
			skip("backlogs: no story text")
			continue
		}
		if !spansInside(l) {
			skip("backlogs: span outside the text")
			continue
		}
		var role, benefit *domain.Span
		for _, e := range l.Entities {
			s := &domain.Span{Start: e.Start, End: e.End}
			switch e.Label {
			case "Persona":
				role = s
			case "Benefit":
				benefit = s
			}
		}
		p, ok := story.Parse(l.Text, domain.FieldSummary)
		if !ok {
			p = story.Parsed{}
		}
		count(InvestHasRole, p.RoleSpan == nil, role == nil)
		count(InvestHasBenefit, p.BenefitSpan == nil, benefit == nil)
		countSpan(count, InvestRoleSpan, p.RoleSpan, role)
		countSpan(count, InvestBenefitSpan, p.BenefitSpan, benefit)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("invest: read %s: %w", filepath.Base(path), err)
	}
	return nil
}

// spansInside reports whether every labelled span lies inside the text.
func spansInside(l doccanoLine) bool {
	for _, e := range l.Entities {
		if e.Start < 0 || e.End < e.Start || e.End > len(l.Text) {
			return false
		}
	}
	return true
}

// countSpan scores one extracted span against the labelled one.
func countSpan(count func(string, bool, bool), key string, got, want *domain.Span) {
	switch {
	case got != nil && want != nil && iou(*got, *want) >= spanIoU:
		count(key, true, true)
	case got != nil && want != nil:
		count(key, true, false) // a wrong span…
		count(key, false, true) // …and a missed one
	default:
		count(key, got != nil, want != nil)
	}
}

func iou(a, b domain.Span) float64 {
	inter := min(a.End, b.End) - max(a.Start, b.Start)
	if inter <= 0 {
		return 0
	}
	union := max(a.End, b.End) - min(a.Start, b.Start)
	return float64(inter) / float64(union)
}

// writeInvest prints the story-check tables: all data, then each group of
// abstracts, then skipped rows.
func (r *Report) writeInvest(w io.Writer) {
	if len(r.Invest) == 0 {
		return
	}
	table := func(title string, ms map[string]Metric) {
		fmt.Fprintf(w, "%s\n", title)
		fmt.Fprintf(w, "  %-20s %5s %5s %5s %5s %9s %7s %6s %6s %9s\n", "criterion", "tp", "fp", "fn", "tn", "precision", "recall", "F1", "MCC", "flag-all")
		for _, c := range sortedKeys(ms) {
			m := ms[c]
			fmt.Fprintf(w, "  %-20s %5d %5d %5d %5d %9.3f %7.3f %6.3f %6.3f %9.3f\n", c, m.TP, m.FP, m.FN, m.TN, m.Precision, m.Recall, m.F1, m.MCC, m.FlagAllF1)
		}
		fmt.Fprintln(w)
	}
	table("Story quality checks (positive = defect present; flag-all = F1 of flagging every story)", r.Invest)
	for _, g := range sortedKeys(r.InvestGroups) {
		table("Story quality checks, UStAI abstracts "+g, r.InvestGroups[g])
	}
	fmt.Fprintf(w, "Not claimed (figures for reference only):\n")
	for _, k := range sortedKeys(NotClaimed) {
		fmt.Fprintf(w, "  %-20s %s\n", k, NotClaimed[k])
	}
	fmt.Fprintln(w)
	if len(r.InvestSkipped) > 0 {
		fmt.Fprintf(w, "Story quality rows skipped:\n")
		for _, k := range sortedKeys(r.InvestSkipped) {
			fmt.Fprintf(w, "  %-50s %d\n", k, r.InvestSkipped[k])
		}
		fmt.Fprintln(w)
	}
}
