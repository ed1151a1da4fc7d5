package jiraemu

import "testing"

// A fixture issue updated after the fixture's "now" would look newer than
// any real edit made later, and the app rightly keeps the newer state.
func TestDemoFixtureHasNoFutureTimes(t *testing.T) {
	f, err := DemoFixture()
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range f.Issues {
		if is.Updated.After(f.Now) || is.Created.After(f.Now) {
			t.Errorf("%s: created %v updated %v after now %v", is.Key, is.Created, is.Updated, f.Now)
		}
		for _, h := range is.Changelog {
			if h.Created.After(f.Now) {
				t.Errorf("%s: changelog at %v after now", is.Key, h.Created)
			}
		}
	}
}
