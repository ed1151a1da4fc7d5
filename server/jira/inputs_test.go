package jira

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// TestInputsPropertyFollowsEveryRead: framework inputs entered as the
// backlogai-inputs property come back with the issue from a scan, a bulk
// fetch and a single read; values that are not numbers are left out.
func TestInputsPropertyFollowsEveryRead(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, true)
	ctx := context.Background()
	if err := env.client.SetProperty(ctx, "APP-2", InputsProperty, map[string]any{"reach": 500, "impact": 2, "note": "x"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"reach": 500, "impact": 2}
	wantSrc := map[string]string{"reach": "entered", "impact": "entered"}
	check := func(how string, is domain.Issue) {
		t.Helper()
		if d := cmp.Diff(want, is.Inputs); d != "" {
			t.Errorf("%s: inputs (-want +got):\n%s", how, d)
		}
		if d := cmp.Diff(wantSrc, is.InputSources); d != "" {
			t.Errorf("%s: sources (-want +got):\n%s", how, d)
		}
	}
	var scanned, other domain.Issue
	err := env.client.Scan(ctx, "APP", ScanOptions{Properties: []string{"backlogai"}}, func(p Page) error {
		for i, is := range p.Issues {
			switch is.Key {
			case "APP-2":
				scanned = is
				if _, ok := p.Properties[i][InputsProperty]; !ok {
					t.Error("scan: the inputs property is not in the page's properties")
				}
			case "APP-3":
				other = is
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check("scan", scanned)
	if other.Inputs != nil {
		t.Errorf("an issue without the property has inputs %v", other.Inputs)
	}
	got, err := env.client.BulkFetch(ctx, []string{"APP-2"}, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("bulk fetch: %v, %d issues", err, len(got))
	}
	check("bulk fetch", got[0])
	d, err := env.client.GetIssue(ctx, "APP-2", false)
	if err != nil {
		t.Fatal(err)
	}
	check("get issue", d.Issue)
	if err := env.client.Scan(ctx, "APP", ScanOptions{Properties: []string{"a", "b", "c", "d", "e"}}, func(Page) error { return nil }); err == nil {
		t.Error("five properties besides the inputs: no error")
	}
}

// TestNumberFieldsFollowEveryRead: mapped number fields come back with
// the issue from a scan and a bulk fetch (the validated OpenAPI contract
// of the emulator included), and a field edit is in the changelog.
func TestNumberFieldsFollowEveryRead(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, true)
	ctx := context.Background()
	if err := env.emu.UserUpdate("APP-2", map[string]any{jiraemu.ReachField: 2000}, ""); err != nil {
		t.Fatal(err)
	}
	ids := []string{jiraemu.ReachField, jiraemu.BusinessValueField}
	var scanned domain.Issue
	err := env.client.Scan(ctx, "APP", ScanOptions{NumberFields: ids}, func(p Page) error {
		for _, is := range p.Issues {
			if is.Key == "APP-2" {
				scanned = is
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{jiraemu.ReachField: 2000}
	if d := cmp.Diff(want, scanned.FieldValues); d != "" {
		t.Errorf("scan: field values (-want +got):\n%s", d)
	}
	got, err := env.client.BulkFetch(ctx, []string{"APP-2", "APP-3"}, ids)
	if err != nil || len(got) != 2 {
		t.Fatalf("bulk fetch: %v, %d issues", err, len(got))
	}
	if d := cmp.Diff(want, got[0].FieldValues); d != "" {
		t.Errorf("bulk fetch: field values (-want +got):\n%s", d)
	}
	if got[1].FieldValues != nil || len(got[1].FieldsRead) != 2 {
		t.Errorf("APP-3: values %v, read %v", got[1].FieldValues, got[1].FieldsRead)
	}
	d, err := env.client.GetIssue(ctx, "APP-2", true)
	if err != nil {
		t.Fatal(err)
	}
	last := d.Changelog[len(d.Changelog)-1].Items[0]
	if last.FieldID != jiraemu.ReachField || last.Field != "Reach" || last.ToString != "2000" {
		t.Errorf("changelog item %+v", last)
	}
}
