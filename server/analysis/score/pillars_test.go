package score

import (
	"math"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// plainIssue has no signal of any pillar.
func plainIssue() *domain.Issue {
	return &domain.Issue{Key: "PROJ-1", Type: domain.TypeTask, Summary: "Rename the heading of the preferences page", StatusCat: domain.StatusToDo}
}

func pillarOf(t *testing.T, r Result, n domain.PillarName) domain.PillarScore {
	t.Helper()
	for _, p := range r.Score.Pillars {
		if p.Name == n {
			return p
		}
	}
	t.Fatalf("pillar %s missing from %+v", n, r.Score.Pillars)
	return domain.PillarScore{}
}

func evidenceOf(p domain.PillarScore, signal string) (domain.Evidence, bool) {
	for _, e := range p.Evidence {
		if e.Signal == signal {
			return e, true
		}
	}
	return domain.Evidence{}, false
}

// signalCase is one pillar signal: the input, and the evidence expected
// (wantDelta, and a fragment of its detail) or its absence (absent).
type signalCase struct {
	name       string
	edit       func(in *Input)
	strategy   func(s *domain.Strategy)
	pillar     domain.PillarName
	signal     string
	wantDelta  float64
	wantDetail string
	absent     bool
}

func runSignalCases(t *testing.T, cases []signalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Issue: plainIssue(), Quality: -1}
			tc.edit(&in)
			s := testStrategy()
			if tc.strategy != nil {
				tc.strategy(&s)
			}
			p := pillarOf(t, Score(in, s, testNow), tc.pillar)
			e, ok := evidenceOf(p, tc.signal)
			if tc.absent {
				if ok {
					t.Fatalf("evidence %q = %+v, want none", tc.signal, e)
				}
				return
			}
			if !ok {
				t.Fatalf("no %q evidence in %s: %+v", tc.signal, tc.pillar, p.Evidence)
			}
			if math.Abs(e.Delta-tc.wantDelta) > 0.005 {
				t.Errorf("delta = %.3f, want %.3f (%s)", e.Delta, tc.wantDelta, e.Detail)
			}
			if !strings.Contains(e.Detail, tc.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", e.Detail, tc.wantDetail)
			}
		})
	}
}

func setText(summary, desc string) func(*Input) {
	return func(in *Input) { in.Issue.Summary, in.Issue.Description = summary, desc }
}

func TestUserValueSignals(t *testing.T) {
	uv := domain.PillarUserValue
	runSignalCases(t, []signalCase{
		{name: "votes log-scaled", edit: func(in *Input) { in.Issue.Votes = 12 }, pillar: uv, signal: "votes", wantDelta: 1.96, wantDetail: "12 votes"},
		{name: "one vote", edit: func(in *Input) { in.Issue.Votes = 1 }, pillar: uv, signal: "votes", wantDelta: 0.53, wantDetail: "1 vote"},
		{name: "votes saturate at 3", edit: func(in *Input) { in.Issue.Votes = 5000 }, pillar: uv, signal: "votes", wantDelta: 3},
		{name: "no votes no evidence", edit: func(in *Input) {}, pillar: uv, signal: "votes", absent: true},
		{name: "watchers", edit: func(in *Input) { in.Issue.Watchers = 5 }, pillar: uv, signal: "watchers", wantDelta: 0.78, wantDetail: "5 watchers"},
		{name: "customer requests", edit: func(in *Input) { in.CustomerRequests = 2 }, pillar: uv, signal: "customer_requests", wantDelta: 1.15, wantDetail: "2 linked customer requests"},
		{name: "users mentioned", edit: setText("Users lose drafts", ""), pillar: uv, signal: "users", wantDelta: 0.5, wantDetail: "“users”"},
		{name: "one pain word", edit: setText("Export is slow", ""), pillar: uv, signal: "pain", wantDelta: 0.75, wantDetail: "“slow”"},
		{name: "pain word repeated counts once", edit: setText("Slow export", "Really slow. So slow."), pillar: uv, signal: "pain", wantDelta: 0.75},
		{name: "two pain words", edit: setText("Export is slow", "and the page crashes"), pillar: uv, signal: "pain", wantDelta: 1.13, wantDetail: "“slow”, “crashes”"},
		{name: "can't is pain", edit: setText("I can't find the export", ""), pillar: uv, signal: "pain", wantDelta: 0.75, wantDetail: "“can't”"},
		{name: "pain inside a word is not pain", edit: setText("Repaint the slowdown chart", "painting"), pillar: uv, signal: "pain", absent: true},
		{name: "named persona", edit: setText("As a finance analyst, I want to export invoices so that I close the month", ""), pillar: uv, signal: "persona", wantDelta: 1, wantDetail: "“finance analyst”"},
		{name: "generic role", edit: setText("As an end user, I want to export invoices", ""), pillar: uv, signal: "persona", wantDelta: 0.3, wantDetail: "generic"},
		{name: "persona in description line", edit: setText("Invoice export", "Story:\n- As a field technician, I'd like offline forms"), pillar: uv, signal: "persona", wantDelta: 1, wantDetail: "“field technician”"},
		{name: "in order to template", edit: setText("In order to close the month, as a controller, I want invoice exports", ""), pillar: uv, signal: "persona", wantDelta: 1, wantDetail: "“controller”"},
		{name: "as a result is no persona", edit: setText("As a result, I see the wrong total", ""), pillar: uv, signal: "persona", absent: true},
		{name: "as an example is no persona", edit: setText("Invoice export", "Use CSV as an example format."), pillar: uv, signal: "persona", absent: true},
		{name: "persona from checks wins", edit: func(in *Input) { in.Persona = "Procurement Lead" }, pillar: uv, signal: "persona", wantDelta: 1, wantDetail: "“procurement lead”"},
	})
}

func TestCommercialSignals(t *testing.T) {
	ci := domain.PillarCommercial
	runSignalCases(t, []signalCase{
		{name: "commercial label", edit: func(in *Input) { in.Issue.Labels = []string{"Enterprise"} }, pillar: ci, signal: "commercial_labels", wantDelta: 2.5, wantDetail: "the Enterprise label marks it commercial"},
		{name: "label part matches", edit: func(in *Input) { in.Issue.Labels = []string{"customer-request"} }, pillar: ci, signal: "commercial_labels", wantDelta: 2.5},
		{name: "no substring match", edit: func(in *Input) { in.Issue.Labels = []string{"enterprisey", "salesforce"} }, pillar: ci, signal: "commercial_labels", absent: true},
		{name: "label and component", edit: func(in *Input) { in.Issue.Labels, in.Issue.Components = []string{"churn"}, []string{"Billing"} }, pillar: ci, signal: "commercial_labels", wantDelta: 3, wantDetail: "the churn label and Billing component mark it commercial"},
		{name: "commercial labels cap", edit: func(in *Input) {
			in.Issue.Labels = []string{"customer", "revenue", "enterprise", "sales", "churn", "billing"}
		}, pillar: ci, signal: "commercial_labels", wantDelta: 3.5},
		{name: "team's own commercial labels", strategy: func(s *domain.Strategy) { s.CommercialLabels = []string{"whale"} }, edit: func(in *Input) { in.Issue.Labels = []string{"Whale", "enterprise"} }, pillar: ci, signal: "commercial_labels", wantDelta: 2.5, wantDetail: "Whale label"},
		{name: "priority highest", edit: func(in *Input) { in.Issue.Priority = "Highest" }, pillar: ci, signal: "priority", wantDelta: 2.5, wantDetail: "priority Highest"},
		{name: "priority high", edit: func(in *Input) { in.Issue.Priority = "High" }, pillar: ci, signal: "priority", wantDelta: 1.5},
		{name: "legacy blocker", edit: func(in *Input) { in.Issue.Priority = "Blocker" }, pillar: ci, signal: "priority", wantDelta: 2.5},
		{name: "priority medium is neutral", edit: func(in *Input) { in.Issue.Priority = "Medium" }, pillar: ci, signal: "priority", absent: true},
		{name: "priority low", edit: func(in *Input) { in.Issue.Priority = "Low" }, pillar: ci, signal: "priority", wantDelta: -1},
		{name: "priority lowest", edit: func(in *Input) { in.Issue.Priority = "lowest" }, pillar: ci, signal: "priority", wantDelta: -2},
		{name: "deal word", edit: setText("Needed for the Acme renewal", ""), pillar: ci, signal: "deal_words", wantDelta: 1.25, wantDetail: "it mentions renewal"},
		{name: "plural counts once", edit: setText("Customer asks", "customers ask"), pillar: ci, signal: "deal_words", wantDelta: 1.25},
		{name: "three deal words", edit: setText("Churn risk", "Two deals and a contract depend on it"), pillar: ci, signal: "deal_words", wantDelta: 2.19, wantDetail: "churn, deals and contract"},
	})
}

func TestStrategicSignals(t *testing.T) {
	sh := domain.PillarStrategic
	noText := func(s *domain.Strategy) { s.Vision, s.Objectives = "", nil }
	runSignalCases(t, []signalCase{
		{name: "matches an objective", edit: setText("Self-serve onboarding checklist for mid-market teams", ""), pillar: sh, signal: "strategy_similarity", wantDelta: 6, wantDetail: "the objective “Win mid-market teams with self-serve onboarding”"},
		{name: "stems match", edit: setText("Onboard new workspaces", ""), pillar: sh, signal: "strategy_similarity", wantDelta: 6 * (1 / math.Sqrt(7*3)) / 0.4, wantDetail: "onboarding"}, // 1 shared stem of 7 and 3,
		{name: "unrelated text", edit: setText("Rename the heading of the preferences page", ""), pillar: sh, signal: "strategy_similarity", absent: true},
		{name: "no strategy text", strategy: noText, edit: setText("Self-serve onboarding", ""), pillar: sh, signal: "strategy_similarity", absent: true},
		{name: "epic", edit: func(in *Input) { in.Issue.EpicKey = "PROJ-9" }, pillar: sh, signal: "epic", wantDelta: 0.5, wantDetail: "epic PROJ-9"},
		{name: "epic without strategy", strategy: noText, edit: func(in *Input) { in.Issue.EpicKey = "PROJ-9" }, pillar: sh, signal: "epic", wantDelta: 0.5},
		{name: "epic aligned", edit: func(in *Input) { in.Issue.EpicKey, in.EpicSummary = "PROJ-9", "Offline sync for the mobile app" }, pillar: sh, signal: "epic_alignment", wantDelta: 2},
		{name: "epic not aligned", edit: func(in *Input) { in.Issue.EpicKey, in.EpicSummary = "PROJ-9", "Rename headings" }, pillar: sh, signal: "epic_alignment", absent: true},
	})
}

func TestStrategicBaselines(t *testing.T) {
	s := testStrategy()
	in := Input{Issue: plainIssue(), Quality: -1}
	if got := pillarOf(t, Score(in, s, testNow), domain.PillarStrategic).Value; got != BaselineStrategic {
		t.Errorf("unrelated issue: strategic = %v, want baseline %v", got, BaselineStrategic)
	}
	s.Vision, s.Objectives = "  ", []string{"", " "}
	if got := pillarOf(t, Score(in, s, testNow), domain.PillarStrategic).Value; got != BaselineStrategicNoText {
		t.Errorf("no strategy text: strategic = %v, want neutral %v", got, BaselineStrategicNoText)
	}
}

func TestCompetitiveSignals(t *testing.T) {
	cp := domain.PillarCompetitive
	runSignalCases(t, []signalCase{
		{name: "competitor named", edit: setText("Import boards from trello", ""), pillar: cp, signal: "competitors", wantDelta: 1.5, wantDetail: "competitor Trello"},
		{name: "two competitors", edit: setText("Import from Trello", "and from Azure DevOps"), pillar: cp, signal: "competitors", wantDelta: 2, wantDetail: "competitors Trello and Azure DevOps"},
		{name: "multi-word name needs all words", edit: setText("Deploy to Azure", "on devops day"), pillar: cp, signal: "competitors", absent: true},
		{name: "differentiator word", edit: setText("A unique planning view", ""), pillar: cp, signal: "differentiator", wantDelta: 1.5, wantDetail: "“unique”"},
		{name: "differentiator phrase", edit: setText("Be first to market with AI triage", ""), pillar: cp, signal: "differentiator", wantDelta: 1.5, wantDetail: "“first to market”"},
		{name: "first alone is no differentiator", edit: setText("Show the first page", ""), pillar: cp, signal: "differentiator", absent: true},
		{name: "unlike competitor", edit: setText("Unlike Asana, keep history", ""), pillar: cp, signal: "differentiator", wantDelta: 1.5, wantDetail: "“unlike Asana”"},
		{name: "parity", edit: setText("Feature parity for exports", ""), pillar: cp, signal: "catch_up", wantDelta: -1, wantDetail: "“parity”"},
		{name: "like competitor has", edit: setText("Swimlanes like Trello has", ""), pillar: cp, signal: "catch_up", wantDelta: -1, wantDetail: "“like Trello has”"},
		{name: "competitor already", edit: setText("Asana already offers this", ""), pillar: cp, signal: "catch_up", wantDelta: -1, wantDetail: "“Asana already”"},
		{name: "two catch-up phrases", edit: setText("Catch up with Trello", "table stakes"), pillar: cp, signal: "catch_up", wantDelta: -1.5},
		{name: "research sources", edit: func(in *Input) { in.ResearchSources = 2 }, pillar: cp, signal: "research", wantDelta: 1.13, wantDetail: "2 cited research sources"},
	})
}

func TestTechnicalSignals(t *testing.T) {
	tr := domain.PillarTechnical
	points := func(p float64) func(*Input) { return func(in *Input) { in.Issue.StoryPoints = &p } }
	runSignalCases(t, []signalCase{
		{name: "1 point is cheap", edit: points(1), pillar: tr, signal: "estimate", wantDelta: 2, wantDetail: "small (1 story point)"},
		{name: "3 points is neutral", edit: points(3), pillar: tr, signal: "estimate", wantDelta: 0.02, wantDetail: "medium-sized"},
		{name: "13 points is costly", edit: points(13), pillar: tr, signal: "estimate", wantDelta: -2.63, wantDetail: "large (13 story points)"},
		{name: "0 points caps the gain", edit: points(0), pillar: tr, signal: "estimate", wantDelta: 2.5},
		{name: "huge estimate floors", edit: points(100), pillar: tr, signal: "estimate", wantDelta: -3.5},
		{name: "above split threshold", edit: points(13), pillar: tr, signal: "too_big", wantDelta: -1, wantDetail: "split threshold of 8"},
		{name: "at split threshold is fine", edit: points(8), pillar: tr, signal: "too_big", absent: true},
		{name: "suggestion scaled by confidence", edit: func(in *Input) {
			in.Estimate = &domain.Estimate{Points: 2, Confidence: 0.5, Method: "neighbours"}
		}, pillar: tr, signal: "estimate", wantDelta: 0.56, wantDetail: "about 2 story points, suggested"},
		{name: "issue points win over suggestion", edit: func(in *Input) {
			p := 1.0
			in.Issue.StoryPoints, in.Estimate = &p, &domain.Estimate{Points: 13, Confidence: 1, Method: "neighbours"}
		}, pillar: tr, signal: "estimate", wantDelta: 2},
		{name: "no estimate", edit: func(in *Input) { in.Estimate = &domain.Estimate{Method: "none"} }, pillar: tr, signal: "estimate", wantDelta: -0.5, wantDetail: "not estimated"},
		{name: "open blocker", edit: func(in *Input) {
			in.Issue.Links = []domain.Link{{Kind: domain.LinkBlockedBy, OtherKey: "PROJ-7"}}
		}, pillar: tr, signal: "blockers", wantDelta: -1.5, wantDetail: "blocked by 1 open issue (PROJ-7)"},
		{name: "two open blockers", edit: func(in *Input) {
			in.Issue.Links = []domain.Link{{Kind: domain.LinkBlockedBy, OtherKey: "PROJ-7"}, {Kind: domain.LinkBlockedBy, OtherKey: "PROJ-8"}, {Kind: domain.LinkBlockedBy, OtherKey: "PROJ-9", OtherDone: true}}
		}, pillar: tr, signal: "blockers", wantDelta: -2.25, wantDetail: "PROJ-7 and PROJ-8"},
		{name: "done blocker is no blocker", edit: func(in *Input) {
			in.Issue.Links = []domain.Link{{Kind: domain.LinkBlockedBy, OtherKey: "PROJ-7", OtherDone: true}, {Kind: domain.LinkBlocks, OtherKey: "PROJ-8"}}
		}, pillar: tr, signal: "blockers", absent: true},
		{name: "depends on", edit: setText("Invoice PDF", "Depends on the new renderer."), pillar: tr, signal: "dependencies", wantDelta: -0.75, wantDetail: "“depends on”"},
		{name: "dependency words with an open blocker count once", edit: func(in *Input) {
			in.Issue.Description = "Blocked by PROJ-7."
			in.Issue.Links = []domain.Link{{Kind: domain.LinkBlockedBy, OtherKey: "PROJ-7"}}
		}, pillar: tr, signal: "dependencies", absent: true},
		{name: "requires first", edit: setText("Invoice PDF", "Requires the SSO work to land first."), pillar: tr, signal: "dependencies", wantDelta: -0.75, wantDetail: "“requires … first”"},
		{name: "good quality", edit: func(in *Input) { in.Quality = 100 }, pillar: tr, signal: "quality", wantDelta: 2, wantDetail: "good INVEST quality (100/100)"},
		{name: "quality 60 is neutral", edit: func(in *Input) { in.Quality = 60 }, pillar: tr, signal: "quality", absent: true},
		{name: "poor quality", edit: func(in *Input) { in.Quality = 0 }, pillar: tr, signal: "quality", wantDelta: -3, wantDetail: "poor"},
		{name: "unchecked quality ignored", edit: func(in *Input) { in.Quality = -1 }, pillar: tr, signal: "quality", absent: true},
	})
}

func TestPillarValuesClampAndBaselines(t *testing.T) {
	in := Input{Issue: plainIssue(), Quality: -1}
	r := Score(in, testStrategy(), testNow)
	want := map[domain.PillarName]float64{
		domain.PillarUserValue:   BaselineUserValue,
		domain.PillarCommercial:  BaselineCommercial,
		domain.PillarStrategic:   BaselineStrategic,
		domain.PillarCompetitive: BaselineCompetitive,
		domain.PillarTechnical:   BaselineTechnical - 0.5, // not estimated
	}
	for n, v := range want {
		if got := pillarOf(t, r, n).Value; got != v {
			t.Errorf("%s = %v, want %v", n, got, v)
		}
	}

	in.Issue.Votes, in.Issue.Watchers, in.CustomerRequests = 500, 300, 40
	in.Issue.Summary = "As a finance analyst, I want exports"
	in.Issue.Description = "Users say it is slow, broken, confusing and tedious"
	if got := pillarOf(t, Score(in, testStrategy(), testNow), domain.PillarUserValue).Value; got != 10 {
		t.Errorf("all user signals: value = %v, want clamped 10", got)
	}

	in = Input{Issue: plainIssue(), Quality: 0, Estimate: &domain.Estimate{Method: "none"}}
	in.Issue.Description = "Depends on PROJ-2."
	in.Issue.Links = []domain.Link{{Kind: domain.LinkBlockedBy, OtherKey: "A-1"}, {Kind: domain.LinkBlockedBy, OtherKey: "A-2"}}
	if got := pillarOf(t, Score(in, testStrategy(), testNow), domain.PillarTechnical).Value; got != 0 {
		t.Errorf("all technical penalties: value = %v, want clamped 0", got)
	}
}

func TestDraftProposalIsAveraged(t *testing.T) {
	in := Input{Issue: plainIssue(), Quality: -1, Proposed: []Proposal{
		{Pillar: domain.PillarUserValue, Value: 9, Reason: "Field teams asked for it in 12 interviews"},
		{Pillar: domain.PillarCompetitive, Value: 42}, // clamped to 10
	}}
	r := Score(in, testStrategy(), testNow)
	uv := pillarOf(t, r, domain.PillarUserValue)
	if uv.Value != 6 {
		t.Errorf("user value = %v, want (3+9)/2 = 6", uv.Value)
	}
	e, ok := evidenceOf(uv, "draft_proposal")
	if !ok || e.Delta != 3 || e.Detail != "the draft proposes 9/10 (Field teams asked for it in 12 interviews)" {
		t.Errorf("draft evidence = %+v, %v", e, ok)
	}
	if got := pillarOf(t, r, domain.PillarCompetitive).Value; got != 7 {
		t.Errorf("competitive = %v, want (4+10)/2 = 7", got)
	}
}

func TestNilIssueDoesNotPanic(t *testing.T) {
	r := Score(Input{Quality: -1}, testStrategy(), testNow)
	if len(r.Score.Pillars) != 5 || r.Score.Total <= 0 {
		t.Errorf("nil issue: %+v", r.Score)
	}
}

// TestEpicNotPenalisedForNoEstimate: an epic is sized by its children, so
// Technical Reality does not count "not estimated yet" against it (the
// glance said both "Epics are not estimated" and "it is not estimated
// yet"); a story without an estimate still loses 0.5.
func TestEpicNotPenalisedForNoEstimate(t *testing.T) {
	for _, typ := range []domain.IssueType{domain.TypeEpic, domain.TypeStory} {
		is := &domain.Issue{Key: "PROJ-1", Type: typ, Summary: "Promotions and discount engine", StatusCat: domain.StatusToDo}
		r := Score(Input{Issue: is, Quality: -1}, domain.DefaultStrategy(), testNow)
		got := false
		for _, p := range r.Score.Pillars {
			for _, e := range p.Evidence {
				got = got || e.Detail == "not estimated yet"
			}
		}
		if got != (typ != domain.TypeEpic) {
			t.Errorf("%s: \"not estimated yet\" evidence %v", typ, got)
		}
	}
}
