package jira

import (
	"slices"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/dupes"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// TestDemoDuplicates scans the sandbox's SHOP project through the client,
// as the app does, and checks the duplicate finder on it: no issue is
// offered its parent, sub-task, sibling sub-task, epic, epic child or an
// issue it is linked to; candidate lists are sorted by a symmetric
// similarity; and the two real duplicates planted in the demo are found
// by the method (nothing in it names them).
func TestDemoDuplicates(t *testing.T) {
	fx, err := jiraemu.DemoFixture()
	if err != nil {
		t.Fatal(err)
	}
	env := newEmuEnv(t, []*jiraemu.Fixture{fx}, Options{}, false)
	issues := scanAll(t, env.client, "SHOP", nil)
	byKey := make(map[string]*domain.Issue, len(issues))
	for i := range issues {
		byKey[issues[i].Key] = &issues[i]
	}
	if p := byKey["SHOP-133"]; p == nil || p.ParentKey != "SHOP-132" {
		t.Fatalf("SHOP-133 (a sub-task of SHOP-132) mapped without its parent: %+v", p)
	}
	p := analysis.NewProject(domain.Strategy{}, issues, func() time.Time { return fx.Now })

	// known reports whether b is a relative of a by the fixture's own
	// fields, independently of the engine's bookkeeping.
	known := func(a, b *domain.Issue) string {
		switch {
		case a.ParentKey == b.Key || b.ParentKey == a.Key:
			return "parent/sub-task"
		case a.ParentKey != "" && a.ParentKey == b.ParentKey:
			return "sibling sub-tasks"
		case a.EpicKey == b.Key || b.EpicKey == a.Key:
			return "epic/child"
		case byKey[a.ParentKey] != nil && byKey[a.ParentKey].EpicKey == b.Key,
			byKey[b.ParentKey] != nil && byKey[b.ParentKey].EpicKey == a.Key:
			return "epic/sub-task of a child"
		}
		for _, l := range a.Links {
			if l.OtherKey == b.Key {
				return "linked"
			}
		}
		for _, l := range b.Links {
			if l.OtherKey == a.Key {
				return "linked"
			}
		}
		return ""
	}
	flagged, hierarchy := 0, 0
	sims := make(map[[2]string]float64)
	for _, is := range issues {
		a, ok := p.Analyse(is.Key, nil)
		if !ok {
			t.Fatalf("%s not in the model", is.Key)
		}
		if slices.Contains(a.Flags, domain.FlagDuplicate) {
			flagged++
			if len(a.Duplicates) > 0 && a.Duplicates[0].Near {
				c := a.Duplicates[0]
				t.Logf("flagged %s %q → %s %q (%.2f, %v)", is.Key, is.Summary, c.Key, c.Summary, c.Similarity, c.SharedTerms)
			} else {
				t.Logf("flagged %s %q: linked as a duplicate (class %s, %q)", is.Key, is.Summary, a.Score.Computed, a.Score.ClassBasis)
			}
		}
		for i, c := range a.Duplicates {
			o := byKey[c.Key]
			if (o.Type == domain.TypeEpic) != (is.Type == domain.TypeEpic) {
				t.Errorf("%s (%s) offered %s (%s): an epic and a non-epic are never duplicates", is.Key, is.Type, c.Key, o.Type)
			}
			if c.Band == "" {
				t.Errorf("%s offered %s at %.2f, below the related band", is.Key, c.Key, c.Similarity)
			}
			if why := known(&is, o); why != "" {
				hierarchy++
				t.Errorf("%s offered %s as a duplicate (%.2f, near %v) though they are %s", is.Key, c.Key, c.Similarity, c.Near, why)
			}
			if i > 0 && c.Similarity > a.Duplicates[i-1].Similarity {
				t.Errorf("%s candidates not sorted by similarity: %+v", is.Key, a.Duplicates)
			}
			if c.Done != (o.StatusCat == domain.StatusDone) {
				t.Errorf("%s candidate %s: Done %v, status %s", is.Key, c.Key, c.Done, o.Status)
			}
			if c.Near != (c.Band == domain.BandLikely) {
				t.Errorf("%s candidate %s: Near %v but band %q", is.Key, c.Key, c.Near, c.Band)
			}
			sims[[2]string{is.Key, c.Key}] = c.Similarity
			// Template words the demo's bug and story templates repeat
			// (seen driving flags before boilerplate was learned) never
			// make a candidate likely or related; a weak, unbanded
			// candidate may still show them as what little it shares.
			for _, w := range c.SharedTerms {
				if c.Band == "" {
					break
				}
				if slices.Contains([]string{"actual", "environment", "reproduce", "expected", "discussed", "planning"}, w) {
					t.Errorf("%s → %s shares template word %q (%v)", is.Key, c.Key, w, c.SharedTerms)
				}
			}
		}
	}
	for pair, s := range sims {
		if back, ok := sims[[2]string{pair[1], pair[0]}]; ok && back != s {
			t.Errorf("similarity %s→%s %.4f but %s→%s %.4f", pair[0], pair[1], s, pair[1], pair[0], back)
		}
	}
	t.Logf("%d of %d issues flagged as likely duplicates; %d hierarchy or linked candidates", flagged, len(issues), hierarchy)

	find := func(key, want string) *domain.Candidate {
		a, _ := p.Analyse(key, nil)
		for i := range a.Duplicates {
			if a.Duplicates[i].Key == want {
				t.Logf("%s → %s: rank %d, similarity %.2f, band %q, done %v", key, want, i+1, a.Duplicates[i].Similarity, a.Duplicates[i].Band, a.Duplicates[i].Done)
				return &a.Duplicates[i]
			}
		}
		t.Errorf("%s: %s not among its candidates %+v", key, want, a.Duplicates)
		return nil
	}
	if c := find("SHOP-228", "SHOP-151"); c != nil && c.Band == "" {
		t.Errorf("SHOP-228 → SHOP-151 found but in no band (similarity %.2f)", c.Similarity)
	}
	// SHOP-225 ("Have all checkout steps on one page") asks for work that
	// shipped: the demo already links it as a duplicate of done SHOP-24, so
	// SHOP-24 is not proposed again (the glance lists it as a known
	// duplicate, "already done"), and SHOP-225 is to be closed: Won't. The
	// done epic SHOP-2 "One-page checkout" is of another grain: not proposed.
	a, _ := p.Analyse("SHOP-225", nil)
	for _, c := range a.Duplicates {
		if c.Key == "SHOP-24" {
			t.Errorf("SHOP-225 proposed SHOP-24, to which it is already linked")
		}
	}
	linkedDone := false
	for _, l := range byKey["SHOP-225"].Links {
		linkedDone = linkedDone || l.OtherKey == "SHOP-24" && l.Kind == domain.LinkDuplicates && l.OtherDone
	}
	if !linkedDone {
		t.Errorf("SHOP-225's links %+v lack the duplicate link to done SHOP-24", byKey["SHOP-225"].Links)
	}
	if a.Score.Computed != domain.MoscowWont {
		t.Errorf("SHOP-225, linked as a duplicate of SHOP-24, classed %s (%s), want Won't", a.Score.Computed, a.Score.ClassBasis)
	}
	// Without the link, the method ranks SHOP-24 itself among the first
	// candidates, marked done. Its similarity is below the related band,
	// so the glance would not list it: the ranking is read from the index.
	x := dupes.New(dupes.DefaultOptions())
	x.Learn(issues)
	for _, is := range issues {
		x.Add(is)
	}
	found := false
	for i, c := range x.QueryExcluding(*byKey["SHOP-225"], 3, func(k string) bool { return byKey[k].Type == domain.TypeEpic }) {
		if c.Key == "SHOP-24" && c.Done {
			found = true
			t.Logf("SHOP-225 without its link → SHOP-24: rank %d, similarity %.2f, band %q, done", i+1, c.Similarity, c.Band)
		}
	}
	if !found {
		t.Errorf("SHOP-225 without its link: SHOP-24 not among the first 3 non-epic candidates")
	}
}
