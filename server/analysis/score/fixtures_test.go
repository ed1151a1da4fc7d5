package score

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// testNow is the fixed clock of every test.
var testNow = time.Date(2025, 3, 10, 9, 30, 0, 0, time.UTC)

// testStrategy is a plausible project strategy.
func testStrategy() domain.Strategy {
	s := domain.DefaultStrategy()
	s.Vision = "The planning tool small product teams love: self-serve onboarding, clear reporting, no consultants."
	s.Objectives = []string{
		"Win mid-market teams with self-serve onboarding",
		"Cut churn of enterprise accounts with better reporting and dashboards",
		"Open the mobile app to field workers with offline sync",
		"Make integrations with Slack and GitHub effortless",
	}
	s.Competitors = []string{"Trello", "Azure DevOps", "Asana"}
	return s
}

func ptr[T any](v T) *T { return &v }

// Vocabulary for generated issues.
var (
	genPersonas = []string{"user", "workspace admin", "project manager", "finance analyst", "field technician",
		"developer", "customer", "support agent", "team lead", "guest"}
	genActions = []string{"export", "filter", "share", "schedule", "archive", "import", "sync", "comment on",
		"search", "configure", "review", "approve", "tag", "duplicate", "print"}
	genObjects = []string{"reports", "dashboards", "the onboarding checklist", "invoices", "tasks", "sprint boards",
		"offline forms", "Slack notifications", "GitHub pull requests", "user permissions", "audit logs",
		"time entries", "the mobile timeline", "custom fields", "billing settings"}
	genBenefits = []string{"I save time every week", "my team stays aligned", "we stop losing work",
		"I can answer customers quickly", "new teams get started without help", "I meet the audit deadline",
		"I can work without a connection", "managers see progress at a glance"}
	genSentences = []string{
		"Users find the current flow confusing and slow.",
		"Several enterprise customers asked for this during their renewal.",
		"Trello already has this; we need parity before the next sales push.",
		"Unlike Asana, we could make this unique by learning from the team's history.",
		"Today people export to a spreadsheet as a workaround, which is tedious.",
		"This depends on the new permissions service being finished first.",
		"The sales team says two deals are waiting for it.",
		"It would be the first to market for planning tools in this segment.",
		"Support logs show the page crashes for large projects.",
		"Like Azure DevOps has, show the burndown next to the board.",
		"The API returns errors when the payload is larger than 5 MB.",
		"Keep the existing behaviour for accounts on the legacy plan.",
		"Data must stay in the customer's region to meet the contract.",
		"Field workers lose their changes when the connection drops.",
		"Reporting should refresh within two seconds for boards of 5,000 issues.",
		"Dashboards should load with the last filter the person used.",
	}
	genCriteria = []string{
		"Given a board with tasks, when I open the report, then I see the totals per status.",
		"Given I am offline, when I edit a form, then the change syncs once I am back online.",
		"Given an admin, when they invite a user, then the user receives an email within a minute.",
		"- The export contains every visible column",
		"- Filters are kept after a page reload",
		"- An error message explains what to do next",
	}
	genLabels     = []string{"enterprise", "mobile", "reporting", "customer-request", "tech-debt", "ux", "billing", "growth", "security"}
	genComponents = []string{"Web", "Mobile", "API", "Billing", "Integrations", "Reporting"}
	genPriorities = []string{"Highest", "High", "Medium", "Medium", "Medium", "Low", "Lowest", ""}
	genPoints     = []float64{1, 2, 3, 5, 8, 13, 21}
)

// genInput makes a realistic issue deterministically from r: a story
// sentence, a description of a few sentences and acceptance criteria
// (about 300-1,500 bytes), labels, links, dates and counts.
func genInput(r *rand.Rand, i int) Input {
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	iss := &domain.Issue{
		ID:         fmt.Sprint(10000 + i),
		Key:        fmt.Sprintf("PROJ-%d", i+1),
		ProjectKey: "PROJ",
		Type:       domain.TypeStory,
		Summary: fmt.Sprintf("As a %s, I want to %s %s so that %s",
			pick(genPersonas), pick(genActions), pick(genObjects), pick(genBenefits)),
		Priority: pick(genPriorities),
		Votes:    int(r.ExpFloat64() * 3),
		Watchers: 1 + int(r.ExpFloat64()*2),
		Created:  testNow.Add(-time.Duration(r.IntN(400)) * 24 * time.Hour),
	}
	iss.Updated = iss.Created.Add(time.Duration(r.Int64N(int64(testNow.Sub(iss.Created)) + 1)))
	if r.IntN(5) == 0 {
		iss.Type = domain.TypeBug
		iss.Summary = fmt.Sprintf("%s fails when %s %s", pick(genObjects), pick(genActions), pick(genObjects))
	}
	var d strings.Builder
	for n := 1 + r.IntN(6); n > 0; n-- {
		d.WriteString(pick(genSentences))
		d.WriteByte(' ')
	}
	d.WriteString("\n\nAcceptance criteria:\n")
	for n := r.IntN(4); n > 0; n-- {
		d.WriteString(pick(genCriteria))
		d.WriteByte('\n')
	}
	iss.Description = d.String()
	for n := r.IntN(3); n > 0; n-- {
		iss.Labels = append(iss.Labels, pick(genLabels))
	}
	if r.IntN(2) == 0 {
		iss.Components = []string{pick(genComponents)}
	}
	for n := r.IntN(3); n > 0; n-- {
		kinds := []domain.LinkKind{domain.LinkBlocks, domain.LinkBlockedBy, domain.LinkRelates}
		iss.Links = append(iss.Links, domain.Link{
			Kind: kinds[r.IntN(len(kinds))], OtherKey: fmt.Sprintf("PROJ-%d", r.IntN(10000)+1), OtherDone: r.IntN(3) == 0,
		})
	}
	if r.IntN(3) == 0 {
		iss.EpicKey = fmt.Sprintf("PROJ-E%d", r.IntN(20))
	}
	if r.IntN(3) != 0 {
		iss.StoryPoints = ptr(genPoints[r.IntN(len(genPoints))])
	}
	if r.IntN(4) == 0 {
		iss.DueDate = ptr(testNow.Truncate(24 * time.Hour).Add(time.Duration(r.IntN(60)-10) * 24 * time.Hour))
	}
	if r.IntN(4) == 0 {
		iss.FixVersionRelease = ptr(testNow.Truncate(24 * time.Hour).Add(time.Duration(r.IntN(60)-5) * 24 * time.Hour))
	}
	iss.RecentComments = int(r.ExpFloat64() * 1.5)
	if r.IntN(10) == 0 {
		iss.StatusCat = domain.StatusDone
	} else {
		iss.StatusCat = domain.StatusToDo
	}
	in := Input{Issue: iss, Quality: r.IntN(101)}
	if iss.StoryPoints == nil && r.IntN(2) == 0 {
		in.Estimate = &domain.Estimate{Points: genPoints[r.IntN(4)], Confidence: r.Float64(), Method: "neighbours"}
	}
	if iss.EpicKey != "" {
		in.EpicSummary = pick(genObjects)
	}
	in.CustomerRequests = int(r.ExpFloat64() * 0.7)
	return in
}

// genBacklog makes n inputs from a fixed seed.
func genBacklog(n int, seed uint64) []Input {
	r := rand.New(rand.NewPCG(seed, 0x5c0e))
	out := make([]Input, n)
	for i := range out {
		out[i] = genInput(r, i)
	}
	return out
}
