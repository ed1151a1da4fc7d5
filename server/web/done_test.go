package web_test

import (
	"strings"
	"testing"
	"time"
)

// TestDoneIssuesShowDone: a resolved issue is not ranked: its glance shows
// "Done" with no MoSCoW class, no "Provisional" basis and no Improve or
// Split action, while open issues keep their class and actions (the
// backlog with done issues included: e2e TestDoneIssuesMarkedDoneOnSandbox).
func TestDoneIssuesShowDone(t *testing.T) {
	now := time.Now()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	u.seedAnalysed(demoIssues(now), now)

	body := u.page("/glance?issueKey=SHOP-6&projectKey=SHOP").Body.String()
	if !strings.Contains(body, `data-testid="glance-moscow">Done<`) {
		t.Errorf("done glance does not say Done:\n%s", body)
	}
	for _, bad := range []string{"Provisional", `data-testid="action-improve"`, `data-testid="action-split"`} {
		if strings.Contains(body, bad) {
			t.Errorf("done glance shows %q", bad)
		}
	}
	open := u.page("/glance?issueKey=SHOP-1&projectKey=SHOP").Body.String()
	if strings.Contains(open, `data-testid="glance-moscow">Done<`) || !strings.Contains(open, `data-testid="action-improve"`) {
		t.Error("an open issue's glance is marked Done or lost its Improve action")
	}

}
