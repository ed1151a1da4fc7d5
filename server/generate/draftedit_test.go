package generate

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
)

// A full draft with a value in every field, as a person might have it.
func fullContent(parent string) Content {
	return Content{
		Title:              "Save the cart across devices",
		UserStory:          "As a returning shopper, I want my cart kept across devices, so that I can finish on my phone.",
		AcceptanceCriteria: []string{"Given 2 items on desktop, when I sign in on my phone, then the cart shows 2 items"},
		NFRs:               []string{"The cart loads within 1 second at p95"},
		Metrics:            []Metric{{Name: "mobile checkout completion", Baseline: "61%", Target: "70%"}},
		Risks:              []string{"Carts merged twice"},
		Dependencies:       []string{"Account service"},
		Rollout:            "Behind a flag for 10% of shoppers",
		OpenQuestions:      []string{"How long are carts kept?"},
		Pillars:            []Pillar{{Name: "user_value", Value: 7, Reason: "Fewer abandoned carts"}},
		WhyNow:             "Mobile traffic doubled",
		WhyThis:            "Most abandonment is on mobile",
		WhyUs:              "We own the account system",
		ParentEpic:         parent,
	}
}

// TestPatchDraftKeepsUnsentFields edits one field at a time: that field
// changes, every other field stays as it was.
func TestPatchDraftKeepsUnsentFields(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	epic := e.anEpic()
	v := e.generate(checkoutForm(""))
	id := v.Drafts[0].ID
	base := fullContent(epic)
	if _, err := e.svc.EditDraft(ctx, e.tenant, "SHOP", id, base); err != nil {
		t.Fatal(err)
	}
	start, _ := e.svc.Draft(ctx, e.tenant, "SHOP", id)
	edits := map[string]any{
		"title":              "Keep the cart on every device",
		"userStory":          "As a shopper, I want my cart on every device, so that I never lose items.",
		"acceptanceCriteria": []string{"Given 1 item, when I switch devices, then I see 1 item", "Given an empty cart, when I sign in, then it stays empty"},
		"nfrs":               []string{"p99 under 2 seconds"},
		"metrics":            []Metric{{Name: "carts recovered", Baseline: "0", Target: "5000 a month"}},
		"risks":              []string{"Privacy on shared devices"},
		"dependencies":       []string{"Session store"},
		"rollout":            "All shoppers after one week",
		"openQuestions":      []string{"Guests too?"},
		"pillars":            []Pillar{{Name: "commercial_impact", Value: 5, Reason: "All mobile shoppers"}},
		"whyNow":             "Holiday season",
		"whyThis":            "Top complaint",
		"whyUs":              "Only we have the data",
		"parentEpic":         "",
	}
	covered := map[string]bool{"sources": true} // sources come from research, not edits
	for field, val := range edits {
		covered[field] = true
		raw, _ := json.Marshal(map[string]any{field: val})
		d, err := e.svc.PatchDraft(ctx, e.tenant, "SHOP", id, raw)
		if err != nil {
			t.Fatalf("patch %s: %v", field, err)
		}
		got, _ := json.Marshal(d.Content)
		want, _ := json.Marshal(start.Content)
		var gm, wm map[string]json.RawMessage
		json.Unmarshal(got, &gm)
		json.Unmarshal(want, &wm)
		wantVal, _ := json.Marshal(val)
		if field == "parentEpic" {
			if _, ok := gm[field]; ok {
				t.Errorf("parentEpic not cleared: %s", gm[field])
			}
		} else if string(gm[field]) != string(wantVal) {
			t.Errorf("%s: got %s, want %s", field, gm[field], wantVal)
		}
		for k := range wm {
			if k != field && string(gm[k]) != string(wm[k]) {
				t.Errorf("patch of %s changed %s: %s → %s", field, k, wm[k], gm[k])
			}
		}
		// Back to the start for the next field.
		if _, err := e.svc.EditDraft(ctx, e.tenant, "SHOP", id, start.Content); err != nil {
			t.Fatal(err)
		}
	}
	for f := range contentFields {
		if !covered[f] {
			t.Errorf("draft field %s has no round-trip case", f)
		}
	}
	// Unknown keys (the page sending the whole draft back) are ignored;
	// a wrong type names its field.
	if d, err := e.svc.PatchDraft(ctx, e.tenant, "SHOP", id, json.RawMessage(`{"status":"created","score":{"total":100}}`)); err != nil || !reflect.DeepEqual(d.Content, start.Content) {
		t.Errorf("patch of non-draft keys: %v", err)
	}
	var ie *InputError
	if _, err := e.svc.PatchDraft(ctx, e.tenant, "SHOP", id, json.RawMessage(`{"nfrs":"fast"}`)); !errors.As(err, &ie) || !strings.Contains(ie.Msg, "nfrs") {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := e.svc.PatchDraft(ctx, e.tenant, "SHOP", id, json.RawMessage(`[1]`)); !errors.As(err, &ie) {
		t.Errorf("not an object: %v", err)
	}
}

// TestEditedDraftKeepsItsParent is the issue's reproduction: generate
// under a parent epic, edit a draft's text, save, create: the created
// issue is under the epic.
func TestEditedDraftKeepsItsParent(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	epic := "SHOP-211"
	if d, err := e.jira.GetIssue(ctx, epic, false); err != nil || d.Issue.Type != domain.TypeEpic {
		epic = e.anEpic()
	}
	v := e.generate(checkoutForm(epic))
	d0 := v.Drafts[0]
	if d0.ParentEpic != epic {
		t.Fatalf("generated draft parent %q, want %q", d0.ParentEpic, epic)
	}
	// What the editor sends: title, story and criteria only.
	patch, _ := json.Marshal(map[string]any{"title": d0.Title + " (edited)", "userStory": d0.UserStory, "acceptanceCriteria": d0.AcceptanceCriteria})
	d, err := e.svc.PatchDraft(ctx, e.tenant, "SHOP", d0.ID, patch)
	if err != nil {
		t.Fatal(err)
	}
	if d.ParentEpic != epic || !reflect.DeepEqual(d.NFRs, d0.NFRs) || !reflect.DeepEqual(d.Metrics, d0.Metrics) || d.Rollout != d0.Rollout || !reflect.DeepEqual(d.Risks, d0.Risks) {
		t.Fatalf("edit lost fields: %+v", d.Content)
	}
	res, err := e.svc.CreateDrafts(ctx, e.tenant, pm, "SHOP", []int64{d0.ID})
	if err != nil || len(res.Created) != 1 {
		t.Fatalf("create: %+v %v", res, err)
	}
	is, _ := e.jira.GetIssue(ctx, res.Created[0].Key, false)
	if is.EpicKey != epic || is.Summary != d0.Title+" (edited)" {
		t.Errorf("created %s: parent %q summary %q", is.Key, is.EpicKey, is.Summary)
	}
	for _, l := range is.Labels {
		if strings.HasPrefix(l, "bai-") {
			t.Errorf("idempotency label %q left on %s", l, is.Key)
		}
	}
}

// TestBadParentIsRefusedPlainly: a parent that does not exist or is not
// an epic is refused at submit, at edit and at create, per draft, with a
// reason a person can read.
func TestBadParentIsRefusedPlainly(t *testing.T) {
	e := newEnv(t, shopAnswers(t)) // three drafts to fail one by one
	ctx := context.Background()
	var ie *InputError
	for _, parent := range []string{"SHOP-99999", "SHOP-3"} {
		if _, err := e.svc.Submit(ctx, e.tenant, "acc-pm", "SHOP", checkoutForm(parent)); !errors.As(err, &ie) || !strings.Contains(ie.Msg, parent) {
			t.Errorf("submit under %s: %v", parent, err)
		}
	}
	v := e.generate(checkoutForm(""))
	if _, err := e.svc.PatchDraft(ctx, e.tenant, "SHOP", v.Drafts[0].ID, json.RawMessage(`{"parentEpic":"SHOP-99999"}`)); !errors.As(err, &ie) {
		t.Errorf("edit to a missing parent: %v", err)
	}
	// A parent that was valid and is gone by create time (here set past
	// the checks): the drafts fail one by one, the others are created.
	for _, d := range v.Drafts[:2] {
		c := d.Content
		c.ParentEpic = "SHOP-99999"
		if _, err := e.svc.EditDraft(ctx, e.tenant, "SHOP", d.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	before := e.emu.IssueCount("SHOP")
	res, err := e.svc.CreateDrafts(ctx, e.tenant, pm, "SHOP", []int64{v.Drafts[0].ID, v.Drafts[1].ID, v.Drafts[2].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 1 || len(res.Failed) != 2 || e.emu.IssueCount("SHOP") != before+1 {
		t.Fatalf("create under a missing parent: %+v", res)
	}
	for _, f := range res.Failed {
		if !strings.Contains(f.Error, "SHOP-99999 does not exist") || strings.Contains(f.Error, "Jira refused") {
			t.Errorf("failure reason %q", f.Error)
		}
		rec, _ := e.st.Tenant(e.tenant).Draft(ctx, f.DraftID)
		if rec.Status != domain.DraftFailed || rec.Error != f.Error {
			t.Errorf("failed draft stored as %+v", rec)
		}
	}
}

func TestPlainRefusal(t *testing.T) {
	cases := []struct {
		status int
		fields map[string]string
		want   string
	}{
		{400, map[string]string{"parent": "Given parent work item does not belong to appropriate hierarchy."}, "The parent epic cannot be used: it must be an epic of this project."},
		{400, map[string]string{"summary": "Summary must be less than 255 characters.", "customfield_10016": "x"}, "Jira did not accept the story points or another custom field, title."},
		{403, nil, "You may not create issues in this project."},
		{400, nil, "Jira did not accept the issue."},
	}
	for _, c := range cases {
		if got := plainRefusal(c.status, c.fields); got != c.want {
			t.Errorf("plainRefusal(%d, %v) = %q, want %q", c.status, c.fields, got, c.want)
		}
	}
}

func TestDiscardAndRestoreDrafts(t *testing.T) {
	e := newEnv(t, shopAnswers(t)) // several drafts
	ctx := context.Background()
	v := e.generate(checkoutForm(""))
	ids := []int64{v.Drafts[0].ID, v.Drafts[1].ID}
	res, err := e.svc.DiscardDrafts(ctx, e.tenant, "SHOP", ids)
	if err != nil || len(res.IDs) != 2 {
		t.Fatalf("discard: %+v %v", res, err)
	}
	if run, _ := e.svc.Run(ctx, e.tenant, v.ID); len(run.Drafts) != 1 {
		t.Errorf("run shows %d drafts after discarding 2 of 3", len(run.Drafts))
	}
	if res, err := e.svc.RestoreDrafts(ctx, e.tenant, "SHOP", ids[:1]); err != nil || len(res.IDs) != 1 {
		t.Errorf("restore: %+v %v", res, err)
	}
	if ds, _ := e.svc.Drafts(ctx, e.tenant, "SHOP"); len(ds) != 2 {
		t.Errorf("%d drafts after undo of one", len(ds))
	}
	if _, err := e.svc.DiscardDrafts(ctx, e.tenant, "SHOP", nil); !errors.As(err, new(*InputError)) {
		t.Errorf("discard of nothing: %v", err)
	}
}

// TestSplitKeepsEverythingOfTheOriginal is the issue's reproduction on
// SHOP-168: no acceptance criterion dropped ("Rejections require a
// reason" kept), the parts keep the epic, labels, components, priority,
// fix versions and due date, are linked to the original, and the original
// is closed as split with a comment.
func TestSplitKeepsEverythingOfTheOriginal(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	const key = "SHOP-168"
	orig, err := e.jira.GetIssue(ctx, key, false)
	if err != nil {
		t.Fatal(err)
	}
	inh, err := e.jira.InheritedFields(ctx, key)
	if err != nil || len(inh.FixVersionIDs) == 0 || inh.DueDate == "" || len(inh.Labels) == 0 || len(inh.Components) == 0 {
		t.Fatalf("SHOP-168 no longer has what this test needs: %+v %v", inh, err)
	}
	p, err := e.svc.Split(ctx, e.tenant, key)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.ApplySplitWith(ctx, e.tenant, pm, key, p.Stories, SplitOptions{CloseOriginal: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != len(p.Stories) || !res.Closed || res.Notice != "" {
		t.Fatalf("split result %+v", res)
	}
	analyse, _, _ := e.svc.analyser(ctx, e.tenant, "SHOP")
	crit := analyse(orig.Issue, analysis.ExtraInput{}).Check.AcceptanceCriteria
	if !slices.ContainsFunc(crit, func(c string) bool { return strings.HasPrefix(c, "Rejections require a reason") }) {
		t.Fatalf("SHOP-168 criteria %q", crit)
	}
	var descs []string
	for _, c := range res.Created {
		is, err := e.jira.GetIssue(ctx, c.Key, false)
		if err != nil {
			t.Fatal(err)
		}
		descs = append(descs, is.Description)
		got, _ := e.jira.InheritedFields(ctx, c.Key)
		wantLabels := append(slices.Clone(inh.Labels), Label)
		if !slices.Equal(got.Labels, wantLabels) || !slices.Equal(got.Components, inh.Components) || !slices.Equal(got.FixVersionIDs, inh.FixVersionIDs) ||
			got.Priority != inh.Priority || got.DueDate != inh.DueDate {
			t.Errorf("%s inherited %+v, want %+v (+ label %s)", c.Key, got, inh, Label)
		}
		linked := slices.ContainsFunc(is.Links, func(l domain.Link) bool { return l.OtherKey == key })
		if is.EpicKey != orig.EpicKey || !linked || is.Type != domain.TypeStory {
			t.Errorf("%s: epic %q (want %q) links %+v", c.Key, is.EpicKey, orig.EpicKey, is.Links)
		}
	}
	if left := uncovered(crit, descs); len(left) != 0 {
		t.Errorf("criteria dropped by the split: %q", left)
	}
	after, _ := e.jira.GetIssue(ctx, key, false)
	if after.StatusCat != domain.StatusDone {
		t.Errorf("original status %s after close-as-split", after.Status)
	}
	if authors := e.emu.ChangeAuthors(key); len(authors) == 0 || authors[len(authors)-1] != pm {
		t.Errorf("original's transition by %v, want %s", authors, pm)
	}
	// Keeping the original as an umbrella leaves it open.
	parts := []SplitStory{{Summary: "Umbrella part one", Description: "First half."}, {Summary: "Umbrella part two", Description: "Second half."}}
	page, _, err := e.jira.ScanPage(ctx, "SHOP", jira.ScanOptions{JQLExtra: "statusCategory != Done AND issuetype = Story", Fields: []string{"summary"}}, "")
	if err != nil || len(page.Issues) == 0 {
		t.Fatalf("no open story: %v", err)
	}
	open := page.Issues[0].Key
	res2, err := e.svc.ApplySplitWith(ctx, e.tenant, pm, open, parts, SplitOptions{})
	if err != nil || res2.Closed || len(res2.Created) != 2 {
		t.Errorf("umbrella split: %+v %v", res2, err)
	}
	if is, _ := e.jira.GetIssue(ctx, open, false); is.StatusCat == domain.StatusDone {
		t.Errorf("umbrella original %s closed", open)
	}
}

func TestUncoveredCriteria(t *testing.T) {
	crit := []string{"Given pending requests, when I approve one, then the shopper is emailed", "Rejections require a reason."}
	got := uncovered(crit, []string{"Acceptance criteria\n\n- given pending requests when I approve one then the shopper is emailed", "nothing"})
	if len(got) != 1 || got[0] != "Rejections require a reason." {
		t.Errorf("uncovered = %q", got)
	}
	if got := uncovered(crit, []string{"- Rejections require a reason", "- Given pending requests, when I approve one, then the shopper is emailed"}); len(got) != 0 {
		t.Errorf("all covered, got %q", got)
	}
}

// TestSplitSurvivesCrashBetweenJiraAndStore: the process dies after Jira
// created the parts; the retry finds them (the person's, with the same
// titles) instead of creating them again, and no internal label is left.
func TestSplitSurvivesCrashBetweenJiraAndStore(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	parts := []SplitStory{{Summary: "Approve return requests in one list", Description: "- Given pending requests, when I approve one, then the shopper is emailed the next steps"},
		{Summary: "Reject return requests with a reason", Description: "- Rejections require a reason that is sent to the shopper"}}
	before := e.emu.IssueCount("SHOP")
	e.svc.afterCreate = func() error { return errors.New("simulated crash") }
	if _, err := e.svc.ApplySplitWith(ctx, e.tenant, pm, "SHOP-168", parts, SplitOptions{}); err == nil {
		t.Fatal("the simulated crash did not stop the split")
	}
	e.svc.afterCreate = nil
	if n := e.emu.IssueCount("SHOP") - before; n != 2 {
		t.Fatalf("%d parts in Jira after the crash", n)
	}
	e.clock.Add(claimStale + time.Second)
	res, err := e.svc.ApplySplitWith(ctx, e.tenant, pm, "SHOP-168", parts, SplitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.emu.IssueCount("SHOP") - before; n != 2 || len(res.Created) != 2 {
		t.Fatalf("retry: %d new issues, result %+v", n, res)
	}
	for i, c := range res.Created {
		is, _ := e.jira.GetIssue(ctx, c.Key, false)
		if is.Summary != parts[i].Summary {
			t.Errorf("part %d is %s %q", i, c.Key, is.Summary)
		}
		for _, l := range is.Labels {
			if strings.HasPrefix(l, "bai-") {
				t.Errorf("%s keeps label %s", c.Key, l)
			}
		}
	}
	if len(res.Shared) != 0 {
		t.Errorf("both criteria are in a part, shared %q", res.Shared)
	}
}
