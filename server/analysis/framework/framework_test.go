package framework

import (
	"math"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// Worked examples from the frameworks' public definitions.
func TestComputeWorkedExamples(t *testing.T) {
	rice := &domain.FrameworkConfig{Name: RICE}
	wsjf := &domain.FrameworkConfig{Name: WSJF}
	ice := &domain.FrameworkConfig{Name: ICE}
	custom := &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "revenue", Weight: 3}, {Name: "risk", Weight: 1}}}
	tests := []struct {
		name   string
		cfg    *domain.FrameworkConfig
		inputs map[string]float64
		want   float64
	}{
		// Intercom, "RICE: Simple prioritization for product managers":
		// reach × impact × confidence ÷ effort; 2,000 customers a quarter,
		// high impact (2), medium confidence (80 %), 4 person-months.
		{"rice intercom scale", rice, map[string]float64{"reach": 2000, "impact": 2, "confidence": 80, "effort": 4}, 800},
		{"rice confidence as fraction", rice, map[string]float64{"reach": 2000, "impact": 2, "confidence": 0.8, "effort": 4}, 800},
		{"rice minimal impact low confidence", rice, map[string]float64{"reach": 500, "impact": 0.25, "confidence": 50, "effort": 0.5}, 125},
		// SAFe, "Weighted Shortest Job First": cost of delay is the sum of
		// user-business value, time criticality and risk reduction /
		// opportunity enablement; its three-feature table has CoD 10, 3
		// and 1 over job sizes 1, 3 and 10, giving WSJF 10, 1 and 0.1.
		{"wsjf safe feature A", wsjf, map[string]float64{"businessValue": 5, "timeCriticality": 3, "riskReduction": 2, "jobSize": 1}, 10},
		{"wsjf safe feature B", wsjf, map[string]float64{"businessValue": 1, "timeCriticality": 1, "riskReduction": 1, "jobSize": 3}, 1},
		{"wsjf safe feature C", wsjf, map[string]float64{"businessValue": 1, "timeCriticality": 0, "riskReduction": 0, "jobSize": 10}, 0.1},
		{"wsjf fibonacci", wsjf, map[string]float64{"businessValue": 8, "timeCriticality": 13, "riskReduction": 5, "jobSize": 13}, 2},
		// ICE (Sean Ellis): impact × confidence × ease, each 1-10.
		{"ice", ice, map[string]float64{"impact": 8, "confidence": 6, "ease": 9}, 432},
		{"ice maximum", ice, map[string]float64{"impact": 10, "confidence": 10, "ease": 10}, 1000},
		{"custom weighted mean", custom, map[string]float64{"revenue": 8, "risk": 4}, 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Compute(tt.cfg, tt.inputs, nil, Facts{Quality: -1})
			if math.Abs(fs.Raw-tt.want) > 1e-9 {
				t.Fatalf("raw = %v, want %v (%s)", fs.Raw, tt.want, fs.Formula)
			}
			if len(fs.Missing) != 0 {
				t.Fatalf("missing = %v, want none", fs.Missing)
			}
			for _, in := range fs.Inputs {
				if in.Source != "entered" {
					t.Fatalf("input %s source %q, want entered", in.Name, in.Source)
				}
			}
		})
	}
}

func TestComputeDefaultsAreLabelled(t *testing.T) {
	f := Facts{Pillars: [5]float64{6, 7, 4, 2, 8}, Urgency: 2, Points: 3, HasPoints: true, Quality: 70}
	tests := []struct {
		name        string
		cfg         *domain.FrameworkConfig
		inputs      map[string]float64
		wantRaw     float64
		wantMissing []string
		wantText    string
	}{
		// reach 100·6 = 600, impact nearest 2.1 → 2, confidence 50 %, effort 3 points.
		{"rice all defaults", &domain.FrameworkConfig{Name: RICE}, nil, 600 * 2 * 0.5 / 3,
			[]string{"reach", "impact", "confidence", "effort"}, "No reach was given: 600 stands in (100 × User Value 6"},
		// (6.5 + 4 + 3) ÷ 3
		{"wsjf job size given", &domain.FrameworkConfig{Name: WSJF}, map[string]float64{"jobSize": 3}, (6.5 + 4 + 3) / 3,
			[]string{"businessValue", "timeCriticality", "riskReduction"}, "time criticality 4"},
		{"ice confidence from quality", &domain.FrameworkConfig{Name: ICE}, map[string]float64{"impact": 5}, 5 * 7 * 8,
			[]string{"confidence", "ease"}, "INVEST quality 70 ÷ 10"},
		{"custom criterion named like a pillar", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "User Value", Weight: 1}, {Name: "fun", Weight: 1}}},
			nil, 10 * (6 + 5) / 2.0, []string{"User Value", "fun"}, "the User Value pillar"},
		{"out of range input is not used", &domain.FrameworkConfig{Name: ICE}, map[string]float64{"impact": 50, "confidence": 7, "ease": 8}, 6.5 * 7 * 8,
			[]string{"impact"}, "No impact was given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Compute(tt.cfg, tt.inputs, nil, f)
			if math.Abs(fs.Raw-tt.wantRaw) > 1e-9 {
				t.Fatalf("raw = %v, want %v (%s)", fs.Raw, tt.wantRaw, fs.Formula)
			}
			if strings.Join(fs.Missing, ",") != strings.Join(tt.wantMissing, ",") {
				t.Fatalf("missing = %v, want %v", fs.Missing, tt.wantMissing)
			}
			if text := Explain(fs); !strings.Contains(text, tt.wantText) {
				t.Fatalf("explanation %q lacks %q", text, tt.wantText)
			}
		})
	}
}

func TestComputeEffortWithoutPoints(t *testing.T) {
	fs := Compute(&domain.FrameworkConfig{Name: WSJF}, map[string]float64{"businessValue": 8, "timeCriticality": 1, "riskReduction": 1}, nil,
		Facts{Pillars: [5]float64{0, 0, 0, 0, 9}, Quality: -1})
	if fs.Raw != 5 { // 10 ÷ (11 − 9)
		t.Fatalf("raw = %v, want 5 (%s)", fs.Raw, fs.Formula)
	}
	if !strings.Contains(Explain(fs), "no story points") {
		t.Fatalf("explanation does not say the story points are missing: %s", Explain(fs))
	}
}

func TestSourcesKept(t *testing.T) {
	fs := Compute(&domain.FrameworkConfig{Name: ICE}, map[string]float64{"impact": 3, "confidence": 3, "ease": 3},
		map[string]string{"impact": "field"}, Facts{})
	if fs.Inputs[0].Source != "field" || fs.Inputs[1].Source != "entered" {
		t.Fatalf("sources = %+v", fs.Inputs)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     *domain.FrameworkConfig
		wantErr string
	}{
		{"nil", nil, ""},
		{"rice", &domain.FrameworkConfig{Name: RICE, Fields: map[string]string{"reach": "customfield_10042"}}, ""},
		{"unknown name", &domain.FrameworkConfig{Name: "kano"}, "framework.name"},
		{"unknown field input", &domain.FrameworkConfig{Name: RICE, Fields: map[string]string{"ease": "customfield_1"}}, "framework.fields.ease"},
		{"empty field id", &domain.FrameworkConfig{Name: WSJF, Fields: map[string]string{"jobSize": " "}}, "framework.fields.jobSize"},
		{"custom without criteria", &domain.FrameworkConfig{Name: Custom}, "framework.criteria"},
		{"custom negative weight", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "a", Weight: -1}}}, "framework.criteria[0].weight"},
		{"custom duplicate", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "a", Weight: 1}, {Name: "A", Weight: 1}}}, "framework.criteria[1].name"},
		{"custom all zero", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "a"}}}, "at least one weight"},
		{"custom weight too big", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "a", Weight: 1000}}}, "framework.criteria[0].weight: 1000 is not a number from 0 to 100"},
		{"custom name with spaces around", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "a ", Weight: 1}}}, "framework.criteria[0].name"},
		{"custom name too long", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: strings.Repeat("x", 61), Weight: 1}}}, "longer than 60"},
		{"custom criterion mapped", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "Reach", Weight: 1}}, Fields: map[string]string{"Reach": "customfield_10050"}}, ""},
		{"custom mapping of an unknown criterion", &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "Reach", Weight: 1}}, Fields: map[string]string{"Fun": "customfield_1"}}, "framework.fields.Fun"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.cfg)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateValue(t *testing.T) {
	rice := &domain.FrameworkConfig{Name: RICE}
	tests := []struct {
		input   string
		v       float64
		wantErr string
	}{
		{"reach", 5000, ""},
		{"impact", 3, ""},
		{"impact", 4, "inputs.impact"},
		{"confidence", 120, "inputs.confidence"},
		{"effort", 0, "inputs.effort: 0 must be above 0"},
		{"ease", 3, "not an input of the rice framework"},
		{"reach", math.NaN(), "not a number"},
	}
	for _, tt := range tests {
		err := ValidateValue(rice, tt.input, tt.v)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ValidateValue(%s, %v) = %v, want %q", tt.input, tt.v, err, tt.wantErr)
		}
	}
}

func TestNormaliserPercentile(t *testing.T) {
	n := NewNormaliser([]float64{4000, 10, 800, 800, 5})
	tests := []struct {
		raw, want float64
	}{
		{4000, 90}, // 4 below
		{800, 60},  // 2 below, 2 equal
		{5, 10},    // 0 below, 1 equal
		{1e6, 100}, // above all
		{0, 0},     // below all
		{100, 40},  // between: 2 below
	}
	for _, tt := range tests {
		if got := n.Percentile(tt.raw); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Percentile(%v) = %v, want %v", tt.raw, got, tt.want)
		}
	}
	if got := (*Normaliser)(nil).Percentile(3); got != 50 {
		t.Errorf("nil normaliser = %v, want 50", got)
	}
}

// Inputs read from mapped Jira fields: the field wins over an entered
// value, an empty field leaves the entered value, and the explanation
// names the field (or says why its value did not count).
func TestFieldSourcedInputs(t *testing.T) {
	rice := &domain.FrameworkConfig{Name: RICE,
		Fields:     map[string]string{"reach": "customfield_10050", "effort": "customfield_10016"},
		FieldNames: map[string]string{"customfield_10050": "Reach"}}
	custom := &domain.FrameworkConfig{Name: Custom, Criteria: []domain.Criterion{{Name: "Business value", Weight: 2}, {Name: "fun", Weight: 1}},
		Fields: map[string]string{"Business value": "customfield_10051"}, FieldNames: map[string]string{"customfield_10051": "Business value"}}
	f := Facts{Pillars: [5]float64{6, 7, 4, 2, 8}, Points: 3, HasPoints: true, Quality: 70}
	tests := []struct {
		name     string
		cfg      *domain.FrameworkConfig
		entered  map[string]float64
		fields   map[string]float64
		wantRaw  float64
		wantSrc  map[string]string // input → source
		wantText []string
	}{
		{"field only", rice, map[string]float64{"impact": 2, "confidence": 80}, map[string]float64{"customfield_10050": 2000, "customfield_10016": 4}, 800,
			map[string]string{"reach": "field", "impact": "entered", "confidence": "entered", "effort": "field"},
			[]string{"The reach (2000) is from Jira field Reach.", "The effort (4) is from Jira field customfield_10016."}},
		{"field wins over entered", rice, map[string]float64{"reach": 10, "impact": 2, "confidence": 80, "effort": 4}, map[string]float64{"customfield_10050": 2000}, 800,
			map[string]string{"reach": "field", "effort": "entered"}, []string{"from Jira field Reach"}},
		{"empty field keeps entered", rice, map[string]float64{"reach": 10, "impact": 2, "confidence": 80, "effort": 4}, map[string]float64{"customfield_99": 5}, 4,
			map[string]string{"reach": "entered"}, nil},
		{"unmapped field value is ignored", &domain.FrameworkConfig{Name: RICE}, map[string]float64{"impact": 1, "confidence": 100, "effort": 1}, map[string]float64{"customfield_10050": 2000}, 600,
			map[string]string{"reach": "default"}, []string{"No reach was given"}},
		{"field outside the range", custom, nil, map[string]float64{"customfield_10051": 13}, 10 * (2*5 + 5) / 3.0,
			map[string]string{"Business value": "default"}, []string{"Jira field Business value holds 13, outside 0-10; neutral"}},
		{"criterion from a field", custom, map[string]float64{"fun": 4}, map[string]float64{"customfield_10051": 10}, 10 * (2*10 + 4) / 3.0,
			map[string]string{"Business value": "field", "fun": "entered"}, []string{"The Business value (10) is from Jira field Business value."}},
		{"job size not above 0", &domain.FrameworkConfig{Name: WSJF, Fields: map[string]string{"jobSize": "customfield_7"}}, nil, map[string]float64{"customfield_7": 0}, (6.5 + 1 + 3) / 3,
			map[string]string{"jobSize": "default"}, []string{"Jira field customfield_7 holds 0, not above 0; the story points"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, sources := InputsOf(tt.cfg, tt.entered, tt.fields)
			fs := Compute(tt.cfg, values, sources, f)
			if math.Abs(fs.Raw-tt.wantRaw) > 1e-9 {
				t.Fatalf("raw = %v, want %v (%s)", fs.Raw, tt.wantRaw, fs.Formula)
			}
			got := map[string]string{}
			for _, in := range fs.Inputs {
				got[in.Name] = in.Source
			}
			for in, src := range tt.wantSrc {
				if got[in] != src {
					t.Errorf("input %s source %q, want %q", in, got[in], src)
				}
			}
			text := Explain(fs)
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("explanation %q lacks %q", text, w)
				}
			}
		})
	}
}

func TestMappedFields(t *testing.T) {
	cfg := &domain.FrameworkConfig{Name: WSJF, Fields: map[string]string{"jobSize": "customfield_2", "businessValue": "customfield_1", "timeCriticality": "customfield_1", "reach": "customfield_9"}}
	if got := strings.Join(MappedFields(cfg), ","); got != "customfield_1,customfield_2" {
		t.Fatalf("MappedFields = %s, want customfield_1,customfield_2 (once each, inputs of WSJF only)", got)
	}
	if got := MappedFields(&domain.FrameworkConfig{Name: Pillars, Fields: map[string]string{"reach": "customfield_1"}}); got != nil {
		t.Fatalf("the pillars read fields %v", got)
	}
}
