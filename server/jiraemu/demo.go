package jiraemu

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:generate go run ./cmd/fixturegen -out fixtures/shop.json

// demoNow is the moment the SHOP demo is written for.
var demoNow = time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)

const demoSeed = 20260520

var demoVersions = []FixtureVersion{
	{Name: "2025.10", ReleaseDate: "2025-10-15", Released: true, Description: "One-page checkout"},
	{Name: "2025.12", ReleaseDate: "2025-12-10", Released: true, Description: "Saved payment methods, wishlist"},
	{Name: "2026.02", ReleaseDate: "2026-02-18", Released: true, Description: "Search relevance, part 1"},
	{Name: "2026.04", ReleaseDate: "2026-04-22", Released: true, Description: "Order management, subscriptions beta"},
	{Name: "2026.06", ReleaseDate: "2026-06-17", Description: "Subscriptions GA, inventory sync, accessibility"},
	{Name: "2026.08", ReleaseDate: "2026-08-19", Description: "Returns, promotions, privacy tooling"},
	{Name: "2026.10", Description: "Mobile checkout, analytics, B2B"},
}

var demoComponents = []FixtureComponent{
	{Name: "Storefront", Description: "Theme, product pages, wishlist"},
	{Name: "Checkout", Description: "Cart, checkout, promotions"},
	{Name: "Payments", Description: "Payment providers, saved methods, refunds"},
	{Name: "Catalog", Description: "Products, pricing, collections"},
	{Name: "Search", Description: "Storefront search and search API"},
	{Name: "Orders", Description: "Order processing, fulfilment, returns"},
	{Name: "Merchant Admin", Description: "The merchant back office"},
	{Name: "Subscriptions", Description: "Recurring orders and billing"},
	{Name: "Notifications", Description: "Email, SMS and push"},
	{Name: "Platform", Description: "Infrastructure, reliability, performance"},
	{Name: "Mobile App", Description: "iOS and Android shopping apps"},
	{Name: "Analytics", Description: "Merchant reports and dashboards"},
	{Name: "Integrations", Description: "ERP, warehouse and partner APIs"},
	{Name: "Accounts", Description: "Customer accounts, privacy"},
}

// demoBuilder accumulates issues before keys are assigned in creation order.
type demoBuilder struct {
	r      *rand.Rand
	issues []*demoIssue
	links  []demoLink
}

type demoIssue struct {
	fi     FixtureIssue
	parent *demoIssue
	era    demoEra
	after  *demoIssue // filed after this one (a duplicate after its original)
}

type demoLink struct {
	typ          string
	inward, outw *demoIssue // POST semantics: inward blocks/duplicates outward
}

func (b *demoBuilder) pick(xs []string) string { return xs[b.r.IntN(len(xs))] }

func (b *demoBuilder) chance(p float64) bool { return b.r.Float64() < p }

// between returns a time uniformly between from and to, on a working hour.
func (b *demoBuilder) between(from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	t := from.Add(time.Duration(b.r.Int64N(int64(to.Sub(from)))))
	t = time.Date(t.Year(), t.Month(), t.Day(), 8+b.r.IntN(10), b.r.IntN(60), b.r.IntN(60), 0, time.UTC)
	if t.After(demoNow) {
		t = demoNow.Add(-time.Hour)
	}
	return t
}

func day(s string) time.Time {
	t, _ := time.Parse(dateLayout, s)
	return t
}

// eraWindow is when issues of an era were created.
func eraWindow(e demoEra) (time.Time, time.Time) {
	switch e {
	case eraDone:
		return day("2025-05-01"), day("2025-09-30")
	case eraCurrent:
		return day("2025-10-01"), day("2026-03-15")
	case eraNext:
		return day("2026-01-10"), day("2026-05-10")
	}
	return day("2026-02-01"), day("2026-05-15")
}

func (b *demoBuilder) add(is *demoIssue) *demoIssue {
	b.issues = append(b.issues, is)
	return is
}

func (b *demoBuilder) people() (pm, po string, devs []string) {
	ids := make([]string, len(demoPeople))
	for i, p := range demoPeople {
		ids[i] = p.AccountID
	}
	return ids[0], ids[1], ids[2:7]
}

// storySentence writes the Connextra sentence for a DSL story.
func storySentence(role, means, benefit string) string {
	article := "a"
	if strings.ContainsRune("aeiou", rune(role[0])) && !strings.HasPrefix(role, "us") {
		article = "an"
	}
	want := "I want to " + means
	if strings.HasPrefix(means, "the ") {
		want = "I want " + means
	}
	s := "As " + article + " " + role + ", " + want
	if benefit != "" {
		s += " so that " + benefit
	}
	if !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func splitDSL(line string) []string {
	parts := strings.Split(line, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func splitCriteria(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ";;") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func dslLines(block string) []string {
	var out []string
	for _, l := range strings.Split(block, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var outOfScope = []string{
	"Out of scope: changes to the mobile apps; they follow in a later epic.",
	"Out of scope: migrating data of stores on the legacy plan.",
	"Note: the payment provider's sandbox must be enabled for QA.",
	"Note: copy needs review by the content team before release.",
	"Dependency: the new API version must be deployed first.",
}

// acceptanceBlocks renders criteria in one of the shapes teams use: a
// Given/When/Then list, a Given/When/Then table, or a checklist.
func (b *demoBuilder) acceptanceBlocks(acs []string) []adfOut {
	if len(acs) == 0 {
		return nil
	}
	gwt := strings.HasPrefix(acs[0], "Given")
	var blocks []adfOut
	if b.chance(0.7) {
		blocks = append(blocks, adfHeading(3, "Acceptance criteria"))
	} else {
		blocks = append(blocks, adfPara(adfStrong("Acceptance criteria")))
	}
	if gwt && b.chance(0.25) {
		var rows [][]string
		ok := true
		for _, ac := range acs {
			g, rest, found1 := strings.Cut(strings.TrimPrefix(ac, "Given "), ", when ")
			w, th, found2 := strings.Cut(rest, ", then ")
			if !found1 || !found2 {
				ok = false
				break
			}
			rows = append(rows, []string{g, w, th})
		}
		if ok {
			return append(blocks, adfTable([]string{"Given", "When", "Then"}, rows...))
		}
	}
	return append(blocks, adfList(false, acs...))
}

func fib(n int) float64 {
	steps := []float64{1, 2, 3, 5, 8, 13}
	return steps[max(0, min(n, len(steps)-1))]
}

// BuildDemo builds the SHOP demo project from the hand-written building
// blocks in demo_data.go. It is deterministic; cmd/fixturegen writes its
// result to fixtures/shop.json.
func BuildDemo() *Fixture {
	b := &demoBuilder{r: rand.New(rand.NewPCG(demoSeed, 0x853c49e6748fea9b))}
	pm, po, devs := b.people()
	type storyRef struct {
		is   *demoIssue
		line []string
	}
	var epicStories [][]storyRef
	var epics []*demoIssue

	for _, ep := range demoEpics {
		epic := b.add(&demoIssue{era: ep.era, fi: FixtureIssue{Type: "Epic", Summary: ep.title, Labels: ep.labels,
			Components: []string{ep.component}, Reporter: pm}})
		epics = append(epics, epic)
		var refs []storyRef
		var scope []string
		for si, line := range dslLines(ep.stories) {
			f := splitDSL(line)
			role, means, benefit := f[0], f[1], f[2]
			acs := splitCriteria(f[3])
			if si < 5 {
				scope = append(scope, capitalize(means))
			}
			fi := FixtureIssue{Type: "Story", Components: []string{ep.component}, Reporter: b.pick([]string{pm, po, po})}
			sentence := storySentence(role, means, benefit)
			var blocks []adfOut
			if b.chance(0.55) {
				fi.Summary = strings.TrimSuffix(sentence, ".")
				blocks = append(blocks, adfP(ep.goal))
			} else {
				fi.Summary = capitalize(means)
				blocks = append(blocks, adfP(sentence))
			}
			blocks = append(blocks, b.acceptanceBlocks(acs)...)
			if b.chance(0.15) {
				blocks = append(blocks, adfPanel(b.pick([]string{"info", "note", "warning"}), adfP(b.pick(outOfScope))))
			}
			fi.Description = adfDoc(blocks...)
			fi.Labels = slices.Clone(ep.labels)
			if strings.Contains(role, "mobile") && !slices.Contains(fi.Labels, "mobile") {
				fi.Labels = append(fi.Labels, "mobile")
			}
			size := len(acs) + len(means)/45 + b.r.IntN(3) - 1
			pts := fib(size)
			fi.StoryPoints = &pts
			fi.Votes = int(b.r.ExpFloat64() * 6)
			if strings.Contains(role, "shopper") || strings.Contains(role, "customer") {
				fi.Votes += b.r.IntN(12)
			}
			fi.Watches = 1 + b.r.IntN(6)
			is := b.add(&demoIssue{era: ep.era, parent: epic, fi: fi})
			refs = append(refs, storyRef{is, f})
		}
		epicStories = append(epicStories, refs)
		epic.fi.Description = adfDoc(adfP(ep.goal), adfHeading(3, "Scope"), adfList(false, scope...),
			adfTable([]string{"Metric", "Baseline", "Target"}, []string{b.pick([]string{"Conversion rate", "Support tickets per 1000 orders", "Time to complete task", "Weekly active merchants using it"}),
				b.pick([]string{"2.1%", "14", "6 min", "18%"}), b.pick([]string{"2.6%", "8", "2 min", "35%"})}))
	}

	// Blocks links inside epics: foundations first.
	for _, refs := range epicStories {
		for k := 0; k < 2 && len(refs) > 3; k++ {
			i := b.r.IntN(len(refs) / 2)
			j := len(refs)/2 + b.r.IntN(len(refs)-len(refs)/2)
			b.links = append(b.links, demoLink{"Blocks", refs[i].is, refs[j].is})
		}
	}

	// Weak stories.
	for i, line := range demoWeak {
		f := splitDSL(line)
		sentence := storySentence(f[0], f[1], f[2])
		fi := FixtureIssue{Type: "Story", Reporter: b.pick(append(devs, pm, po)), Votes: b.r.IntN(3), Watches: 1 + b.r.IntN(2)}
		if i%3 == 0 {
			fi.Summary = capitalize(strings.TrimSuffix(f[1], "?"))
			if strings.HasSuffix(f[1], "?") {
				fi.Summary += "?"
			}
			fi.Description = adfDoc(adfP(sentence))
		} else {
			fi.Summary = strings.TrimSuffix(sentence, ".")
			if b.chance(0.5) {
				fi.Description = adfDoc(adfP(b.pick([]string{"See title.", "Discussed in the last planning.", "TBD", "Details to follow."})))
			}
		}
		era := eraLater
		if i%4 == 0 {
			era = eraDone // old and never touched again: stale
		}
		is := b.add(&demoIssue{era: era, fi: fi})
		if b.chance(0.4) {
			is.parent = epics[b.r.IntN(len(epics))]
		}
	}
	for _, title := range demoWeakTitles {
		fi := FixtureIssue{Type: "Story", Summary: title, Reporter: b.pick(devs), Watches: 1}
		if b.chance(0.5) {
			fi.Description = adfDoc(adfP("We should look into this."))
		}
		b.add(&demoIssue{era: eraCurrent, fi: fi})
	}

	// Bugs.
	componentEpic := map[string]*demoIssue{}
	for i, ep := range demoEpics {
		if _, ok := componentEpic[ep.component]; !ok {
			componentEpic[ep.component] = epics[i]
		}
	}
	var bugs []*demoIssue
	for i, line := range dslLines(demoBugs) {
		f := splitDSL(line)
		parts := splitCriteria(f[2])
		steps := strings.Split(parts[0], ", then ")
		for k := range steps {
			steps[k] = capitalize(steps[k])
		}
		env := b.pick([]string{"Production, store plan Growth", "Production, store plan Plus", "Staging", "Production, several stores"})
		fi := FixtureIssue{Type: "Bug", Summary: f[1], Components: []string{f[0]}, Reporter: b.pick(append(devs, demoPeople[7].AccountID)),
			Description: adfDoc(adfHeading(3, "Steps to reproduce"), adfList(true, steps...),
				adfPara(adfStrong("Expected: "), adfText(parts[1]+".")), adfPara(adfStrong("Actual: "), adfText(parts[2]+".")),
				adfPara(adfStrong("Environment: "), adfText(env))),
			Votes: b.r.IntN(8), Watches: 1 + b.r.IntN(8)}
		if b.chance(0.3) {
			fi.Labels = []string{b.pick([]string{"customer", "regression", "security", "performance"})}
		}
		era := []demoEra{eraDone, eraCurrent, eraCurrent, eraNext}[i%4]
		is := b.add(&demoIssue{era: era, fi: fi})
		if ep, ok := componentEpic[f[0]]; ok && b.chance(0.3) {
			is.parent = ep
		}
		if b.chance(0.2) {
			p := fib(b.r.IntN(3))
			is.fi.StoryPoints = &p
		}
		bugs = append(bugs, is)
	}

	// Tasks.
	var tasks []*demoIssue
	for i, line := range dslLines(demoTasks) {
		f := splitDSL(line)
		fi := FixtureIssue{Type: "Task", Summary: f[1], Components: []string{f[0]}, Reporter: b.pick(devs), Watches: 1 + b.r.IntN(3),
			Description: adfDoc(adfP(f[2]), adfPara(adfStrong("Definition of done")),
				adfList(false, "Tested on staging", "Runbook or docs updated", "Monitoring in place"))}
		if b.chance(0.4) {
			fi.Labels = []string{b.pick([]string{"tech-debt", "security", "performance"})}
		}
		if b.chance(0.5) {
			p := fib(b.r.IntN(4))
			fi.StoryPoints = &p
		}
		era := []demoEra{eraDone, eraCurrent, eraNext}[i%3]
		is := b.add(&demoIssue{era: era, fi: fi})
		if ep, ok := componentEpic[f[0]]; ok && b.chance(0.25) {
			is.parent = ep
		}
		tasks = append(tasks, is)
	}
	// Some tasks and bugs block stories of the same component.
	for _, blocker := range append(slices.Clone(tasks[:12]), bugs[:8]...) {
		comp := blocker.fi.Components[0]
		for ei, ep := range demoEpics {
			if ep.component == comp && b.chance(0.6) {
				refs := epicStories[ei]
				b.links = append(b.links, demoLink{"Blocks", blocker, refs[b.r.IntN(len(refs))].is})
				break
			}
		}
	}

	// Duplicates, filed later in other words.
	for _, line := range dslLines(demoDuplicates) {
		f := splitDSL(line)
		linked := true
		if f[0] == "~" {
			linked = false
			f = f[1:]
		}
		ei, _ := strconv.Atoi(f[0])
		si, _ := strconv.Atoi(f[1])
		orig := epicStories[ei][si]
		fi := FixtureIssue{Type: "Story", Summary: capitalize(f[3]), Components: orig.is.fi.Components, Labels: orig.is.fi.Labels,
			Reporter: b.pick(append(devs, demoPeople[7].AccountID)), Votes: b.r.IntN(4), Watches: 1 + b.r.IntN(3),
			Description: adfDoc(adfP(storySentence(f[2], f[3], f[4])), adfPara(adfStrong("Acceptance criteria")), adfList(false, splitCriteria(f[5])...))}
		era := eraNext
		if orig.is.era > era {
			era = orig.is.era
		}
		dup := b.add(&demoIssue{era: era, fi: fi, after: orig.is})
		if b.chance(0.5) {
			dup.parent = orig.is.parent
		}
		if linked {
			b.links = append(b.links, demoLink{"Duplicate", dup, orig.is})
		}
	}

	// Relates links between stories of different epics sharing a component.
	for k := 0; k < 8; k++ {
		a, c := epicStories[b.r.IntN(len(epicStories))], epicStories[b.r.IntN(len(epicStories))]
		x, y := a[b.r.IntN(len(a))].is, c[b.r.IntN(len(c))].is
		if x != y {
			b.links = append(b.links, demoLink{"Relates", x, y})
		}
	}

	b.schedule(pm, po, devs)

	// Sub-tasks of stories being built now.
	var subs int
	for _, refs := range epicStories {
		for _, ref := range refs {
			st := ref.is.fi.Status
			if ref.is.era != eraCurrent || st == "Done" || subs >= 15 || !b.chance(0.5) {
				continue
			}
			subs++
			means := ref.line[1]
			for k, kind := range []string{"Backend", "Frontend", "Test"} {
				status := "To Do"
				if st != "To Do" && k == 0 {
					status = "Done"
				} else if st != "To Do" && k == 1 {
					status = "In Progress"
				}
				created := ref.is.fi.Created.Add(time.Duration(k+1) * 26 * time.Hour)
				fi := FixtureIssue{Type: "Subtask", Status: status, Priority: ref.is.fi.Priority, Summary: kind + ": " + means,
					Components: ref.is.fi.Components, Reporter: ref.is.fi.Assignee, Assignee: b.pick(devs), Created: created,
					Updated: b.between(created, demoNow), Watches: 1}
				if fi.Reporter == "" {
					fi.Reporter = pm
				}
				if status == "To Do" {
					fi.Assignee = ""
				}
				b.finishHistory(&fi, pm)
				b.add(&demoIssue{era: eraCurrent, parent: ref.is, fi: fi})
			}
		}
	}
	return b.fixture(pm)
}

// schedule sets status, dates, versions, assignees, comments and history
// of every issue from its era.
func (b *demoBuilder) schedule(pm, po string, devs []string) {
	for _, is := range b.issues {
		fi := &is.fi
		if fi.Status != "" {
			continue
		}
		from, to := eraWindow(is.era)
		fi.Created = b.between(from, to)
		if is.after != nil && !fi.Created.After(is.after.fi.Created) {
			fi.Created = b.between(is.after.fi.Created.AddDate(0, 0, 7), is.after.fi.Created.AddDate(0, 0, 60))
		}
		weak := fi.Type == "Story" && len(fi.Components) == 0
		switch {
		case fi.Type == "Epic":
			fi.Status = map[demoEra]string{eraDone: "Done", eraCurrent: "In Progress", eraNext: "To Do", eraLater: "To Do"}[is.era]
		case weak:
			fi.Status = "To Do"
		case is.era == eraDone:
			fi.Status = "Done"
			if b.chance(0.05) {
				fi.Status = "To Do" // forgotten leftover
			}
		case is.era == eraCurrent:
			fi.Status = b.pick([]string{"Done", "Done", "Done", "In Progress", "In Progress", "In Review", "To Do", "To Do", "To Do"})
		case is.era == eraNext:
			fi.Status = b.pick([]string{"To Do", "To Do", "To Do", "To Do", "To Do", "To Do", "To Do", "To Do", "In Progress"})
		default:
			fi.Status = "To Do"
		}
		fi.Priority = b.pick([]string{"Highest", "High", "High", "Medium", "Medium", "Medium", "Medium", "Low", "Low", "Lowest"})
		if fi.Type == "Bug" && fi.Priority != "Highest" && b.chance(0.4) {
			fi.Priority = "High"
		}
		if weak {
			fi.Priority = "Medium"
		}
		// Story points: nearly always on finished work, less often on the backlog.
		if fi.StoryPoints != nil && fi.Type == "Story" {
			keep := map[demoEra]float64{eraDone: 0.92, eraCurrent: 0.8, eraNext: 0.45, eraLater: 0.15}[is.era]
			if fi.Status == "Done" {
				keep = 0.92
			}
			if !b.chance(keep) {
				fi.StoryPoints = nil
			}
		}
		if weak {
			fi.StoryPoints = nil
		}
		if fi.Status != "To Do" {
			fi.Assignee = b.pick(devs)
		} else if b.chance(0.2) {
			fi.Assignee = b.pick(devs)
		}
		switch fi.Status {
		case "Done":
			lo := fi.Created.AddDate(0, 0, 7)
			hi := fi.Created.AddDate(0, 0, 100)
			if hi.After(demoNow.AddDate(0, 0, -3)) {
				hi = demoNow.AddDate(0, 0, -3)
			}
			fi.Updated = b.between(lo, hi)
		case "To Do":
			if b.chance(0.6) || weak && is.era == eraDone {
				fi.Updated = fi.Created.Add(time.Duration(b.r.IntN(48)) * time.Hour)
			} else {
				fi.Updated = b.between(fi.Created, demoNow)
			}
		default:
			fi.Updated = b.between(demoNow.AddDate(0, 0, -20), demoNow)
		}
		if fi.Updated.Before(fi.Created) {
			fi.Updated = fi.Created
		}
		// Nothing is updated after the fixture's "now": a real edit made
		// later must look newer than every stored state.
		if fi.Updated.After(demoNow) {
			fi.Updated = demoNow
		}
		// Fix versions follow the release after the work was done.
		switch {
		case fi.Status == "Done" && fi.Type != "Epic":
			for _, v := range demoVersions {
				if v.ReleaseDate != "" && !day(v.ReleaseDate).Before(fi.Updated) {
					fi.FixVersions = []string{v.Name}
					break
				}
			}
		case fi.Status != "To Do" && fi.Type != "Epic":
			fi.FixVersions = []string{"2026.06"}
		case is.era == eraNext && !weak && b.chance(0.6):
			fi.FixVersions = []string{"2026.08"}
		case is.era == eraLater && !weak && b.chance(0.3):
			fi.FixVersions = []string{"2026.10"}
		}
		if fi.Status != "Done" && !weak && fi.Type != "Epic" && b.chance(0.14) {
			fi.DueDate = demoNow.AddDate(0, 0, b.r.IntN(70)-15).Format(dateLayout)
		}
		kind := map[string]string{"Story": "story", "Bug": "bug", "Task": "task"}[fi.Type]
		if pool := demoComments[kind]; len(pool) > 0 && !weak && b.chance(0.4) {
			for n := 1 + b.r.IntN(2); n > 0; n-- {
				fi.Comments = append(fi.Comments, FixtureComment{Author: b.pick(append(devs, pm, po, demoPeople[7].AccountID)),
					Body: adfDoc(adfP(b.pick(pool))), Created: b.between(fi.Created, fi.Updated)})
			}
			slices.SortFunc(fi.Comments, func(x, y FixtureComment) int { return x.Created.Compare(y.Created) })
		}
		b.finishHistory(fi, po)
	}
	// Epics start before their children.
	for _, is := range b.issues {
		if is.parent != nil && is.parent.fi.Type == "Epic" && is.fi.Created.Before(is.parent.fi.Created) {
			ep := &is.parent.fi
			ep.Created = is.fi.Created.AddDate(0, 0, -3)
			if ep.Changelog != nil && ep.Changelog[0].Created.Before(ep.Created) {
				ep.Changelog = nil
				b.finishHistory(ep, po)
			}
		}
	}
	for _, is := range b.issues {
		if is.fi.Updated.Before(is.fi.Created) {
			is.fi.Updated = is.fi.Created
		}
		if is.fi.Updated.After(demoNow) {
			is.fi.Updated = demoNow
		}
	}
}

// finishHistory writes the changelog that leads to the issue's status and
// story points.
func (b *demoBuilder) finishHistory(fi *FixtureIssue, estimator string) {
	fi.Changelog = nil
	item := func(from, to string) FixtureChangeItem {
		ids := map[string]string{"To Do": "10000", "In Progress": "3", "In Review": "10001", "Done": "10002"}
		return FixtureChangeItem{Field: "status", FieldType: "jira", FieldID: "status", From: ids[from], FromString: from, To: ids[to], ToString: to}
	}
	span := fi.Updated.Sub(fi.Created)
	at := func(frac float64) time.Time {
		return fi.Created.Add(time.Duration(frac * float64(span))).Truncate(time.Second)
	}
	if fi.StoryPoints != nil {
		fi.Changelog = append(fi.Changelog, FixtureHistory{Author: estimator, Created: at(0.1), Items: []FixtureChangeItem{{
			Field: "Story point estimate", FieldType: "custom", FieldID: "customfield_10016",
			ToString: strconv.FormatFloat(*fi.StoryPoints, 'f', -1, 64)}}})
	}
	author := fi.Assignee
	if author == "" {
		author = estimator
	}
	switch fi.Status {
	case "In Progress":
		fi.Changelog = append(fi.Changelog, FixtureHistory{Author: author, Created: at(0.5), Items: []FixtureChangeItem{item("To Do", "In Progress")}})
	case "In Review":
		fi.Changelog = append(fi.Changelog,
			FixtureHistory{Author: author, Created: at(0.4), Items: []FixtureChangeItem{item("To Do", "In Progress")}},
			FixtureHistory{Author: author, Created: at(0.9), Items: []FixtureChangeItem{item("In Progress", "In Review")}})
	case "Done":
		fi.Changelog = append(fi.Changelog,
			FixtureHistory{Author: author, Created: at(0.3), Items: []FixtureChangeItem{item("To Do", "In Progress")}},
			FixtureHistory{Author: author, Created: at(0.8), Items: []FixtureChangeItem{item("In Progress", "In Review")}},
			FixtureHistory{Author: author, Created: fi.Updated, Items: []FixtureChangeItem{item("In Review", "Done")}})
	}
}

// fixture assigns keys in creation order and assembles the Fixture.
func (b *demoBuilder) fixture(lead string) *Fixture {
	slices.SortStableFunc(b.issues, func(x, y *demoIssue) int {
		// Parents come first so keys read naturally.
		return x.fi.Created.Compare(y.fi.Created)
	})
	for i, is := range b.issues {
		is.fi.Key = "SHOP-" + itoa(i+1)
		is.fi.ID = itoa(10001 + i)
	}
	f := &Fixture{Now: demoNow, Users: demoPeople,
		Project: FixtureProject{ID: "10000", Key: "SHOP", Name: "ShopFlow", BoardID: 1, Lead: lead,
			Description: "ShopFlow is the commerce platform small and mid-size merchants use to run their online stores: storefront, checkout, payments, orders and the merchant back office.",
			Components:  demoComponents, Versions: demoVersions}}
	for _, is := range b.issues {
		if is.parent != nil {
			is.fi.Parent = is.parent.fi.Key
		}
		demoFrameworkFields(&is.fi)
		f.Issues = append(f.Issues, is.fi)
	}
	seen := map[string]bool{}
	for _, l := range b.links {
		k := l.typ + l.inward.fi.Key + ">" + l.outw.fi.Key
		if l.inward == l.outw || seen[k] {
			continue
		}
		seen[k] = true
		f.Links = append(f.Links, FixtureLink{Type: l.typ, Inward: l.inward.fi.Key, Outward: l.outw.fi.Key})
	}
	return f
}

// demoReach is about how many shoppers or merchants a quarter an area's
// change reaches: checkout and the storefront reach every shopper, the
// back office only merchants.
var demoReach = map[string]float64{
	"Checkout": 9000, "Storefront": 8000, "Payments": 7000, "Search": 6000, "Platform": 5000,
	"Notifications": 4000, "Mobile App": 3500, "Orders": 3000, "Accounts": 2500, "Catalog": 2000,
	"Subscriptions": 1500, "Merchant Admin": 800, "Analytics": 600, "Integrations": 400,
}

// demoFrameworkFields fills the Reach and Business value fields of some
// open issues, as a team that keeps RICE or WSJF inputs in Jira would. It
// draws on a hash of the key, not on the builder's random source, so the
// rest of the demo is unchanged.
func demoFrameworkFields(fi *FixtureIssue) {
	if fi.Status == "Done" || fi.Type == "Epic" || fi.Type == "Subtask" || len(fi.Components) == 0 {
		return
	}
	h := fnv.New32a()
	h.Write([]byte(fi.Key))
	n := h.Sum32()
	set := func(id string, v float64) {
		if fi.Custom == nil {
			fi.Custom = map[string]json.RawMessage{}
		}
		fi.Custom[id], _ = json.Marshal(v)
	}
	if n%5 < 2 { // two in five
		set(ReachField, math.Round(demoReach[fi.Components[0]]*(0.5+float64(n/5%10)/10)/100)*100)
	}
	if n/50%3 == 0 { // one in three
		v := map[string]float64{"Highest": 9, "High": 7, "Medium": 5, "Low": 3, "Lowest": 1}[fi.Priority]
		set(BusinessValueField, max(1, min(10, v+float64(n/150%3)-1)))
	}
}
