package domain

import (
	"strings"
	"time"
)

// Severity of a check finding. The quality score weighs them.
type Severity string

const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Field names a part of an issue that a finding's span points into.
type Field string

const (
	FieldSummary     Field = "summary"
	FieldDescription Field = "description"
)

// Span is a half-open byte range [Start, End) in Field's text.
type Span struct {
	Field Field `json:"field"`
	Start int   `json:"start"`
	End   int   `json:"end"`
}

// Finding is one problem a check found. Letter is the INVEST letter (I, N,
// V, E, S, T) or "" for Quality User Story criteria outside INVEST;
// Criterion is the QUS criterion (well_formed, atomic, minimal,
// problem_oriented, unambiguous, conceptually_sound, estimatable,
// independent, unique, testable, full_sentence).
type Finding struct {
	Code      string   `json:"code"`
	Letter    string   `json:"letter,omitempty"`
	Criterion string   `json:"criterion"`
	Severity  Severity `json:"severity"`
	Message   string   `json:"message"`
	Span      *Span    `json:"span,omitempty"`
	Fix       string   `json:"fix"`
	// Source is "rule" for deterministic checks, "llm" for semantic review.
	Source string `json:"source"`
	// Hint marks a note that claims no defect (named items that likely
	// scope one feature, an acronym after its expansion): it is shown but
	// lowers neither the quality score nor an INVEST letter.
	Hint bool `json:"hint,omitempty"`
}

// Story is a user story sentence broken into its parts. Spans are byte
// offsets into the text that was parsed.
type Story struct {
	Template    string `json:"template,omitempty"` // e.g. "as-i-want-so-that", "in-order-to"
	Role        string `json:"role,omitempty"`
	RoleSpan    *Span  `json:"roleSpan,omitempty"`
	Means       string `json:"means,omitempty"`
	MeansSpan   *Span  `json:"meansSpan,omitempty"`
	Benefit     string `json:"benefit,omitempty"`
	BenefitSpan *Span  `json:"benefitSpan,omitempty"`
}

// CheckResult is the outcome of the quality checks on one issue.
type CheckResult struct {
	// Quality is 0-100, or QualityNotApplicable when no story-form check
	// applies (bugs, tasks, epics, sub-tasks): shown as "–", never as 100.
	Quality  int       `json:"quality"`
	Findings []Finding `json:"findings"`
	// Letters maps each INVEST letter to LetterPass, LetterWarn, LetterFail
	// or LetterNotApplicable (none of its checks ran on this issue type).
	Letters map[string]string `json:"letters"`
	Story   *Story            `json:"story,omitempty"`
	// AcceptanceCriteria as extracted from the description.
	AcceptanceCriteria []string `json:"acceptanceCriteria,omitempty"`
	// JudgedAsStory is false for bugs, tasks and epics: story-form checks
	// were not applied.
	JudgedAsStory bool `json:"judgedAsStory"`
}

// QualityNotApplicable is CheckResult.Quality when no story-form check
// applies to the issue.
const QualityNotApplicable = -1

// INVEST letter states of CheckResult.Letters.
const (
	LetterPass          = "pass"
	LetterWarn          = "warn"
	LetterFail          = "fail"
	LetterNotApplicable = "na"
)

// PillarName identifies one of the five scoring pillars.
type PillarName string

const (
	PillarUserValue   PillarName = "user_value"
	PillarCommercial  PillarName = "commercial_impact"
	PillarStrategic   PillarName = "strategic_horizon"
	PillarCompetitive PillarName = "competitive_positioning"
	PillarTechnical   PillarName = "technical_reality"
)

// Title is the pillar's display name ("User Value").
func (n PillarName) Title() string {
	switch n {
	case PillarUserValue:
		return "User Value"
	case PillarCommercial:
		return "Commercial Impact"
	case PillarStrategic:
		return "Strategic Horizon"
	case PillarCompetitive:
		return "Competitive Positioning"
	case PillarTechnical:
		return "Technical Reality"
	}
	return string(n)
}

// Pillars lists the pillars in display order.
var Pillars = [5]PillarName{PillarUserValue, PillarCommercial, PillarStrategic, PillarCompetitive, PillarTechnical}

// SignalTitle names an evidence signal in words, for texts that have only
// its machine name (the score history's "why it moved"): "due_date" reads
// "due date"; names that do not read as words have their own.
func SignalTitle(signal string) string {
	switch signal {
	case "forced_must":
		return "due date and priority"
	case "backlog_relative":
		return "place in the backlog"
	case "strategy_similarity":
		return "fit with the strategy"
	case "draft_proposal":
		return "proposed rewrite"
	}
	return strings.ReplaceAll(signal, "_", " ")
}

// Evidence is one signal that moved a pillar (Delta may be negative).
type Evidence struct {
	Signal string  `json:"signal"` // machine name, e.g. "votes"
	Detail string  `json:"detail"` // human text, e.g. "12 votes"
	Delta  float64 `json:"delta"`
}

// PillarScore is one pillar's 0-10 value with its evidence.
type PillarScore struct {
	Name     PillarName `json:"name"`
	Value    float64    `json:"value"`
	Weight   float64    `json:"weight"`
	Evidence []Evidence `json:"evidence"`
}

// MoSCoW class.
type Moscow string

const (
	MoscowMust   Moscow = "Must"
	MoscowShould Moscow = "Should"
	MoscowCould  Moscow = "Could"
	MoscowWont   Moscow = "Won't"
)

// Override is a person's decision that wins over the computed class.
type Override struct {
	Moscow    Moscow    `json:"moscow"`
	Reason    string    `json:"reason"`
	AccountID string    `json:"accountId"`
	At        time.Time `json:"at"`
}

// Score is the prioritisation result for one issue.
type Score struct {
	Total        float64       `json:"total"` // 0-100, includes UrgencyBonus
	Pillars      []PillarScore `json:"pillars"`
	UrgencyBonus float64       `json:"urgencyBonus"`
	Urgency      []Evidence    `json:"urgency,omitempty"`
	Moscow       Moscow        `json:"moscow"`   // effective class (override wins)
	Computed     Moscow        `json:"computed"` // class before any override
	Override     *Override     `json:"override,omitempty"`
	WhyNow       string        `json:"whyNow"`
	WhyThis      string        `json:"whyThis"`
	WhyUs        string        `json:"whyUs"`
	// ClassBasis says in a sentence why the computed class is what it is
	// ("In the top 15 % of this backlog (rank 12 of 220).").
	ClassBasis string `json:"classBasis,omitempty"`
	// Resolved marks a done issue's score: it is not ranked, and shows
	// "Done" (MoscowDone) wherever a class would show.
	Resolved bool `json:"resolved,omitempty"`
	// Framework explains the total when a framework other than the five
	// pillars is active (Total is then its normalised score).
	Framework *FrameworkScore `json:"framework,omitempty"`
}

// FrameworkScore is one issue's score under a framework.
type FrameworkScore struct {
	Name string `json:"name"` // "rice", "wsjf", "ice", "custom"
	// Raw is the framework's own number (RICE 400, WSJF 3.5 …).
	Raw     float64          `json:"raw"`
	Inputs  []FrameworkInput `json:"inputs"`
	Formula string           `json:"formula"` // in plain words, with the numbers
	// Missing names inputs that fell back to a pillar-derived default.
	Missing []string `json:"missing,omitempty"`
	// Normalisation says how Raw became the 0-100 total.
	Normalisation string `json:"normalisation,omitempty"`
}

// FrameworkInput is one input of a framework score and where it came from:
// "entered" (the glance), "field" (a mapped Jira field) or "default" (derived
// from the pillars, because nobody gave it).
type FrameworkInput struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Source string  `json:"source"`
	Detail string  `json:"detail,omitempty"`
}

// MoscowDone is what a resolved issue shows instead of a class.
const MoscowDone Moscow = "Done"

// Candidate is a possibly similar issue found by the duplicate index.
type Candidate struct {
	Key         string   `json:"key"`
	Summary     string   `json:"summary,omitempty"`
	Similarity  float64  `json:"similarity"` // 0-1
	SharedTerms []string `json:"sharedTerms"`
	Near        bool     `json:"near"` // Band is BandLikely: the issue is flagged
	// Band puts Similarity in words: BandLikely, BandRelated or "" (only
	// similar).
	Band string `json:"band,omitempty"`
	// Done is set when the candidate is resolved: a request for work that
	// has already shipped.
	Done bool `json:"done,omitempty"`
}

// Similarity bands of a Candidate.
const (
	BandLikely  = "likely duplicate"
	BandRelated = "related"
)

// Neighbour is a past estimated issue used as evidence for an estimate.
type Neighbour struct {
	Key        string  `json:"key"`
	Summary    string  `json:"summary,omitempty"`
	Points     float64 `json:"points"`
	Similarity float64 `json:"similarity"`
}

// Estimate is a story point suggestion: never the issue's own points, which
// stay on domain.Issue.StoryPoints.
type Estimate struct {
	Points float64 `json:"points"` // 0 unless Method is "neighbours"
	// Low and High bound the suggestion's interval on the team's scale; it
	// held Coverage (about 0.8) of the team's recent estimates when they
	// were predicted from the issues before them.
	Low      float64 `json:"low,omitempty"`
	High     float64 `json:"high,omitempty"`
	Coverage float64 `json:"coverage,omitempty"`
	// Confidence is the calibrated chance that the true points are at most
	// one scale step from Points; Level says it in a word (high, medium,
	// low). With too little history to calibrate on, Coverage and Level are
	// empty and Confidence is the vote's raw agreement.
	Confidence float64 `json:"confidence"` // 0-1
	Level      string  `json:"level,omitempty"`
	Method     string  `json:"method"` // "neighbours", "insufficient", "none"
	// Reason says why an "insufficient" estimate gives no number.
	Reason     string      `json:"reason,omitempty"`
	Neighbours []Neighbour `json:"neighbours,omitempty"`
}

// Flag names shown in the backlog table.
const (
	FlagDuplicate = "duplicate"
	FlagVague     = "vague"
	FlagStale     = "stale"
	FlagTooBig    = "too_big"
)

// Analysis is everything the engine concluded about one issue.
type Analysis struct {
	IssueKey   string      `json:"issueKey"`
	Score      Score       `json:"score"`
	Check      CheckResult `json:"check"`
	Duplicates []Candidate `json:"duplicates"`
	Estimate   Estimate    `json:"estimate"`
	Flags      []string    `json:"flags"`
}

// MoscowMode selects how classes are assigned.
type MoscowMode string

const (
	MoscowThresholds MoscowMode = "thresholds"
	MoscowCapacity   MoscowMode = "capacity"
	// MoscowRelative classes by share of the ranked open backlog: the
	// default, as it gives a meaningful split whatever the score scale.
	MoscowRelative MoscowMode = "relative"
)

// StrategyVersion is the version of the strategy format; see Upgrade.
const StrategyVersion = 1

// Strategy is a project's prioritisation settings (the Strategy tab).
type Strategy struct {
	Vision      string   `json:"vision"`
	Objectives  []string `json:"objectives"` // objectives and themes
	Competitors []string `json:"competitors"`
	// Weights per pillar, in Pillars order; all equal by default.
	Weights [5]float64 `json:"weights"`
	Mode    MoscowMode `json:"mode"`
	// Thresholds: Must, Should, Could lower bounds (default 80, 60, 40).
	Thresholds [3]float64 `json:"thresholds"`
	// Shares are the Must, Should and Could shares of the ranked open
	// backlog in relative mode, in percent (Won't is the rest); default
	// 15, 35, 35.
	Shares [3]float64 `json:"shares"`
	// Capacity in story points for capacity mode; 0 means the team's
	// measured velocity over CapacitySprints two-week sprints.
	Capacity float64 `json:"capacity"`
	// CapacitySprints is how many two-week sprints a measured capacity
	// covers (default 3, about one release).
	CapacitySprints int `json:"capacitySprints,omitempty"`
	// CommercialLabels are labels/components the team marks commercial.
	CommercialLabels []string `json:"commercialLabels"`
	// SplitThreshold: estimates above it are flagged "too big" (default 8).
	SplitThreshold float64 `json:"splitThreshold"`
	// QualityBar: drafts below it get a revision pass (default 70).
	QualityBar int `json:"qualityBar"`
	// StaleDays: open issues not updated for this long are stale (default 90).
	StaleDays int `json:"staleDays"`
	// Version of the stored format (0: before relative classes).
	Version int `json:"version,omitempty"`
	// Framework is the prioritisation model the total comes from; nil (or
	// name "pillars") is the five pillars.
	Framework *FrameworkConfig `json:"framework,omitempty"`
}

// FrameworkConfig chooses a framework beside the five pillars (see package
// analysis/framework): "rice", "wsjf", "ice" or "custom".
type FrameworkConfig struct {
	Name string `json:"name"`
	// Fields maps an input ("reach", "jobSize", a custom criterion's name)
	// to the Jira field id it is read from ("customfield_10042").
	Fields map[string]string `json:"fields,omitempty"`
	// FieldNames are the mapped fields' names by id ("Reach"), recorded
	// when the strategy is saved, for the explanations.
	FieldNames map[string]string `json:"fieldNames,omitempty"`
	// Criteria are the custom framework's weighted criteria.
	Criteria []Criterion `json:"criteria,omitempty"`
}

// Criterion is one weighted criterion of a custom framework, rated 0-10.
type Criterion struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// oldDefaultThresholds were the default class bounds before version 1.
var oldDefaultThresholds = [3]float64{80, 60, 40}

// Upgrade brings a stored strategy to StrategyVersion. Version 0 had only
// fixed thresholds, whose default (80/60/40) left most backlogs without a
// single Must: a strategy still on exactly those defaults moves to
// relative classes; thresholds a person changed, and capacity mode, stay
// as they were.
func (s *Strategy) Upgrade() {
	if s.Version >= StrategyVersion {
		return
	}
	if (s.Mode == MoscowThresholds || s.Mode == "") && (s.Thresholds == oldDefaultThresholds || s.Thresholds == [3]float64{}) {
		s.Mode = MoscowRelative
	}
	if s.Shares == [3]float64{} {
		s.Shares = DefaultStrategy().Shares
	}
	s.Version = StrategyVersion
}

// DefaultStrategy returns the defaults product.md prescribes.
func DefaultStrategy() Strategy {
	return Strategy{
		Weights:          [5]float64{1, 1, 1, 1, 1},
		Mode:             MoscowRelative,
		Thresholds:       [3]float64{80, 60, 40},
		Shares:           [3]float64{15, 35, 35},
		CapacitySprints:  3,
		CommercialLabels: []string{"customer", "revenue", "enterprise", "sales", "churn", "billing"},
		SplitThreshold:   8,
		QualityBar:       70,
		StaleDays:        90,
		Version:          StrategyVersion,
	}
}
