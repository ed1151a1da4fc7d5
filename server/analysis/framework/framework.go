// Package framework scores issues with the prioritisation frameworks PMs
// know beside the five pillars: RICE (Intercom), WSJF (SAFe), ICE and
// custom weighted criteria. It is pure: callers pass each issue's inputs
// (entered in the glance or read from mapped Jira fields) and its pillar
// facts, which stand in, labelled, for any input nobody gave.
//
// # Formulas
//
//   - RICE = reach × impact × confidence ÷ effort. Reach is people (or
//     events) per period; impact is Intercom's scale 3 massive, 2 high,
//     1 medium, 0.5 low, 0.25 minimal; confidence a percentage (100 high,
//     80 medium, 50 low); effort in any consistent unit (person-months in
//     Intercom's article; story points here by default).
//   - WSJF = (business value + time criticality + risk reduction/opportunity
//     enablement) ÷ job size, SAFe's cost of delay over job size, all on a
//     relative scale (Fibonacci 1, 2, 3, 5, 8, 13, 20 in SAFe).
//   - ICE = impact × confidence × ease, each 1-10.
//   - Custom = 10 · Σ wᵢ·vᵢ ÷ Σ wᵢ over criteria rated 0-10 (0-100).
//
// # Defaults when an input is missing
//
// Each is said in the explanation, never used silently. With the calibrated
// pillars UV, CI, SH, CP, TR (0-10), the urgency bonus U (0-5), story
// points P (the issue's own or the suggestion) and INVEST quality Q:
// RICE reach 100·UV (an index, not people), impact the Intercom tier
// nearest 3·CI/10, confidence 50 % (Intercom's "low"), effort P else
// 11−TR; WSJF business value max(1, (UV+CI)/2), time criticality
// max(1, 2·U), risk reduction max(1, (SH+CP)/2), job size P else 11−TR;
// ICE impact max(1, (UV+CI)/2), confidence Q/10 (5 without checks), ease
// max(1, TR); a custom criterion named like a pillar takes that pillar,
// any other 5.
//
// # Inputs from Jira fields
//
// Strategy may map an input to a Jira field (a number field, or a select
// whose option is a number). Where the field holds a value, that
// value is used and the explanation names the field; a value entered in
// the glance counts only where the mapped field is empty. The field wins
// because the mapping is the team's decision to keep that input in Jira,
// where everyone sees and edits it (and JQL reads it); an entered value
// would otherwise silently outlive a later edit of the field.
//
// # Normalisation
//
// Framework numbers have no common scale (a RICE of 4000 and a WSJF of 3),
// so the total written to Jira (backlogScore) and used by MoSCoW is the
// issue's rank percentile among the open backlog's framework numbers:
// 100·(below + ½·equal) ÷ n. An issue analysed between two rankings is
// placed among the numbers of the last ranking (see Normaliser).
package framework

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
)

// Framework names.
const (
	Pillars = "pillars"
	RICE    = "rice"
	WSJF    = "wsjf"
	ICE     = "ice"
	Custom  = "custom"
)

// Input names of the built-in frameworks, in formula order.
var inputNames = map[string][]string{
	RICE: {"reach", "impact", "confidence", "effort"},
	WSJF: {"businessValue", "timeCriticality", "riskReduction", "jobSize"},
	ICE:  {"impact", "confidence", "ease"},
}

// Inputs lists the inputs a framework reads, in formula order.
func Inputs(cfg *domain.FrameworkConfig) []string {
	if cfg == nil {
		return nil
	}
	if cfg.Name == Custom {
		out := make([]string, len(cfg.Criteria))
		for i, c := range cfg.Criteria {
			out[i] = c.Name
		}
		return out
	}
	return slices.Clone(inputNames[cfg.Name])
}

// Active reports whether cfg chooses a framework other than the pillars.
func Active(cfg *domain.FrameworkConfig) bool {
	return cfg != nil && cfg.Name != "" && cfg.Name != Pillars
}

// MappedFields are the Jira field ids an active framework reads, sorted
// and without repeats; nil for the pillars.
func MappedFields(cfg *domain.FrameworkConfig) []string {
	if !Active(cfg) {
		return nil
	}
	known := Inputs(cfg)
	var out []string
	for in, id := range cfg.Fields {
		if id = strings.TrimSpace(id); id != "" && slices.Contains(known, in) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// InputsOf merges an issue's entered inputs with the values of its mapped
// Jira fields (by field id) into Compute's values and sources: a mapped
// field with a value wins over an entered value (see the package doc).
func InputsOf(cfg *domain.FrameworkConfig, entered, fields map[string]float64) (map[string]float64, map[string]string) {
	if len(cfg.Fields) == 0 || len(fields) == 0 {
		return entered, nil // no sources: Compute reads every value as entered
	}
	values := make(map[string]float64, len(entered)+len(cfg.Fields))
	sources := make(map[string]string, len(entered)+len(cfg.Fields))
	for k, v := range entered {
		values[k], sources[k] = v, "entered"
	}
	for in, id := range cfg.Fields {
		if v, ok := fields[id]; ok {
			values[in], sources[in] = v, "field"
		}
	}
	return values, sources
}

// FieldLabel names the Jira field an input is mapped to: its name as
// recorded with the strategy, else its id.
func FieldLabel(cfg *domain.FrameworkConfig, input string) string {
	id := cfg.Fields[input]
	if n := cfg.FieldNames[id]; n != "" {
		return n
	}
	return id
}

// Criterion limits: enough for any real scoring sheet, small enough to
// show in a glance.
const (
	maxCriteria      = 20
	maxCriterionName = 60
	maxWeight        = 100
)

// Validate checks a strategy's framework; the error names the field.
func Validate(cfg *domain.FrameworkConfig) error {
	if cfg == nil {
		return nil
	}
	switch cfg.Name {
	case "", Pillars, RICE, WSJF, ICE:
	case Custom:
		if len(cfg.Criteria) == 0 {
			return fmt.Errorf("framework.criteria: a custom framework needs at least one criterion")
		}
		if len(cfg.Criteria) > maxCriteria {
			return fmt.Errorf("framework.criteria: %d criteria, at most %d", len(cfg.Criteria), maxCriteria)
		}
		seen := map[string]bool{}
		positive := false
		for i, c := range cfg.Criteria {
			name := strings.TrimSpace(c.Name)
			switch {
			case name == "":
				return fmt.Errorf("framework.criteria[%d].name: empty", i)
			case name != c.Name:
				return fmt.Errorf("framework.criteria[%d].name: %q has spaces around it", i, c.Name)
			case utf8.RuneCountInString(name) > maxCriterionName:
				return fmt.Errorf("framework.criteria[%d].name: longer than %d characters", i, maxCriterionName)
			case seen[strings.ToLower(name)]:
				return fmt.Errorf("framework.criteria[%d].name: %q appears twice", i, name)
			case math.IsNaN(c.Weight) || math.IsInf(c.Weight, 0) || c.Weight < 0 || c.Weight > maxWeight:
				return fmt.Errorf("framework.criteria[%d].weight: %v is not a number from 0 to %d", i, c.Weight, maxWeight)
			}
			seen[strings.ToLower(name)] = true
			positive = positive || c.Weight > 0
		}
		if !positive {
			return fmt.Errorf("framework.criteria: at least one weight must be above 0")
		}
	default:
		return fmt.Errorf("framework.name: unknown %q (want pillars, rice, wsjf, ice or custom)", cfg.Name)
	}
	known := Inputs(cfg)
	for in, field := range cfg.Fields {
		if !slices.Contains(known, in) {
			return fmt.Errorf("framework.fields.%s: not an input of %s (inputs: %s)", in, cfg.Name, strings.Join(known, ", "))
		}
		if strings.TrimSpace(field) == "" {
			return fmt.Errorf("framework.fields.%s: empty field id", in)
		}
	}
	return nil
}

// ValidateValue checks one entered input value; the error names the input.
func ValidateValue(cfg *domain.FrameworkConfig, input string, v float64) error {
	if !slices.Contains(Inputs(cfg), input) {
		return fmt.Errorf("inputs.%s: not an input of the %s framework", input, cfgName(cfg))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("inputs.%s: not a number", input)
	}
	lo, hi, above := bounds(cfg, input)
	if above && !(v > 0) {
		return fmt.Errorf("inputs.%s: %v must be above 0", input, v)
	}
	if v < lo || v > hi {
		return fmt.Errorf("inputs.%s: %v is outside %v-%v", input, v, lo, hi)
	}
	return nil
}

// bounds are the values an input takes: lo to hi, and above 0 when above.
func bounds(cfg *domain.FrameworkConfig, input string) (lo, hi float64, above bool) {
	lo, hi = 0, math.Inf(1)
	switch cfg.Name + "." + input {
	case "rice.impact":
		hi = 3
	case "rice.confidence":
		hi = 100
	case "rice.effort", "wsjf.jobSize":
		above = true
	case "ice.impact", "ice.confidence", "ice.ease":
		lo, hi = 1, 10
	default:
		if cfg.Name == Custom {
			hi = 10
		}
	}
	return lo, hi, above
}

// rangeText says in words which values an input takes.
func rangeText(cfg *domain.FrameworkConfig, input string) string {
	lo, hi, above := bounds(cfg, input)
	switch {
	case above:
		return "not above 0"
	case math.IsInf(hi, 1):
		return "below " + num(lo)
	}
	return "outside " + num(lo) + "-" + num(hi)
}

func cfgName(cfg *domain.FrameworkConfig) string {
	if cfg == nil {
		return Pillars
	}
	return cfg.Name
}

// Facts are what the pillar model knows about an issue; they stand in for
// missing inputs.
type Facts struct {
	Pillars [5]float64 // calibrated pillar values 0-10, domain.Pillars order
	Urgency float64    // urgency bonus 0-5
	Points  float64    // story points or suggestion
	// HasPoints is false when the issue has neither.
	HasPoints bool
	Quality   int // INVEST quality 0-100, -1 when no check applied
}

// Compute is one issue's framework score from its entered or mapped inputs
// (values and sources, see domain.Issue.Inputs) and its facts. cfg must be
// Active and valid.
func Compute(cfg *domain.FrameworkConfig, values map[string]float64, sources map[string]string, f Facts) domain.FrameworkScore {
	fs := domain.FrameworkScore{Name: cfg.Name}
	get := func(name string, def float64, why string) float64 {
		v, ok := values[name]
		src := sources[name]
		if src == "" {
			src = "entered"
		}
		if ok && ValidateValue(cfg, name, v) == nil {
			in := domain.FrameworkInput{Name: name, Value: v, Source: src}
			if src == "field" {
				in.Detail = "Jira field " + FieldLabel(cfg, name)
			}
			fs.Inputs = append(fs.Inputs, in)
			return v
		}
		if ok && src == "field" {
			// Said, so that a team sees why its field did not count.
			why = "Jira field " + FieldLabel(cfg, name) + " holds " + num(v) + ", " + rangeText(cfg, name) + "; " + why
		}
		fs.Missing = append(fs.Missing, name)
		fs.Inputs = append(fs.Inputs, domain.FrameworkInput{Name: name, Value: def, Source: "default", Detail: why})
		return def
	}
	uv, ci, sh, cp, tr := f.Pillars[0], f.Pillars[1], f.Pillars[2], f.Pillars[3], f.Pillars[4]
	effort, effortWhy := max(1, 11-tr), "11 − Technical Reality "+num(tr)+" (no story points)"
	if f.HasPoints && f.Points > 0 {
		effort, effortWhy = f.Points, "the story points"
	}
	switch cfg.Name {
	case RICE:
		r := get("reach", math.Round(100*uv), "100 × User Value "+num(uv)+" (an index, not people)")
		i := get("impact", impactTier(3*ci/10), "the Intercom tier nearest 3 × Commercial Impact "+num(ci)+" ÷ 10")
		c := get("confidence", 50, "Intercom's low confidence")
		e := get("effort", effort, effortWhy)
		c = percent(c)
		fs.Raw = r * i * (c / 100) / e
		fs.Formula = "RICE = reach " + num(r) + " × impact " + num(i) + " × confidence " + num(c) + " % ÷ effort " + num(e) + " = " + num(fs.Raw)
	case WSJF:
		bv := get("businessValue", max(1, round1((uv+ci)/2)), "(User Value "+num(uv)+" + Commercial Impact "+num(ci)+") ÷ 2")
		tc := get("timeCriticality", max(1, round1(2*f.Urgency)), "2 × the urgency bonus "+num(f.Urgency))
		rr := get("riskReduction", max(1, round1((sh+cp)/2)), "(Strategic Horizon "+num(sh)+" + Competitive Positioning "+num(cp)+") ÷ 2")
		js := get("jobSize", effort, effortWhy)
		fs.Raw = (bv + tc + rr) / js
		fs.Formula = "WSJF = cost of delay (business value " + num(bv) + " + time criticality " + num(tc) + " + risk reduction " + num(rr) + ") ÷ job size " + num(js) + " = " + num(fs.Raw)
	case ICE:
		im := get("impact", max(1, round1((uv+ci)/2)), "(User Value "+num(uv)+" + Commercial Impact "+num(ci)+") ÷ 2")
		conf, why := 5.0, "neutral: no INVEST check applies"
		if f.Quality >= 0 {
			conf, why = max(1, round1(float64(f.Quality)/10)), "INVEST quality "+strconv.Itoa(f.Quality)+" ÷ 10"
		}
		co := get("confidence", conf, why)
		ea := get("ease", max(1, round1(tr)), "Technical Reality "+num(tr))
		fs.Raw = im * co * ea
		fs.Formula = "ICE = impact " + num(im) + " × confidence " + num(co) + " × ease " + num(ea) + " = " + num(fs.Raw)
	case Custom:
		var parts []string
		var sum, wsum float64
		for _, c := range cfg.Criteria {
			def, why := 5.0, "neutral"
			if k := pillarByName(c.Name); k >= 0 {
				def, why = round1(f.Pillars[k]), "the "+score.PillarTitle(domain.Pillars[k])+" pillar"
			}
			v := get(c.Name, def, why)
			w := max(0, c.Weight)
			sum += w * v
			wsum += w
			parts = append(parts, num(w)+" × "+c.Name+" "+num(v))
		}
		if wsum > 0 {
			fs.Raw = 10 * sum / wsum
		}
		fs.Formula = "Weighted criteria = 10 × (" + strings.Join(parts, " + ") + ") ÷ " + num(wsum) + " = " + num(fs.Raw)
	}
	if math.IsNaN(fs.Raw) || math.IsInf(fs.Raw, 0) {
		fs.Raw = 0
	}
	return fs
}

// Explain puts a framework score in sentences: the formula with its
// numbers, then each defaulted input and what stood in for it.
func Explain(fs domain.FrameworkScore) string {
	var b strings.Builder
	b.WriteString(fs.Formula + ".")
	for _, in := range fs.Inputs {
		switch in.Source {
		case "field":
			b.WriteString(" The " + in.Name + " (" + num(in.Value) + ") is from " + in.Detail + ".")
		case "default":
			b.WriteString(" No " + in.Name + " was given: " + num(in.Value) + " stands in (" + in.Detail + ").")
		}
	}
	if fs.Normalisation != "" {
		b.WriteString(" " + fs.Normalisation)
	}
	return b.String()
}

// impactTiers is Intercom's impact scale.
var impactTiers = []float64{0.25, 0.5, 1, 2, 3}

func impactTier(v float64) float64 {
	best := impactTiers[0]
	for _, t := range impactTiers {
		if math.Abs(t-v) < math.Abs(best-v) {
			best = t
		}
	}
	return best
}

// percent reads a confidence given as a fraction (0.8) as a percentage.
func percent(c float64) float64 {
	if c > 0 && c <= 1 {
		return 100 * c
	}
	return c
}

func pillarByName(name string) int {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, p := range domain.Pillars {
		if n == strings.ToLower(string(p)) || n == strings.ToLower(score.PillarTitle(p)) {
			return i
		}
	}
	return -1
}

func round1(v float64) float64 { return math.Round(10*v) / 10 }

func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e12 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	if math.Abs(v) >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// Normaliser turns framework numbers into rank percentiles among the
// numbers of one ranking.
type Normaliser struct {
	sorted []float64
}

// NewNormaliser keeps the raws of a ranking (the slice is copied).
func NewNormaliser(raws []float64) *Normaliser {
	s := slices.Clone(raws)
	slices.Sort(s)
	return &Normaliser{sorted: s}
}

// Percentile is 100·(below + ½·equal) ÷ n of raw among the ranking's
// numbers; 50 for an empty ranking.
func (n *Normaliser) Percentile(raw float64) float64 {
	if n == nil || len(n.sorted) == 0 {
		return 50
	}
	lo, _ := slices.BinarySearch(n.sorted, raw)
	hi := lo
	for hi < len(n.sorted) && n.sorted[hi] == raw {
		hi++
	}
	return 100 * (float64(lo) + float64(hi-lo)/2) / float64(len(n.sorted))
}

// Basis says in a sentence how a percentile total was obtained.
func (n *Normaliser) Basis(raw float64) string {
	return "Score " + strconv.Itoa(int(math.Floor(n.Percentile(raw)))) + " is its rank percentile among the " +
		strconv.Itoa(len(n.sorted)) + " open issues' framework scores."
}
