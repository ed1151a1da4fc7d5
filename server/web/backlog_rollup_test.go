package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// TestBacklogRollsUpEpicsAndLeavesOutSubtasks: an epic's row counts its
// open children with their mean score and Must count; sub-tasks show only
// when asked for.
func TestBacklogRollsUpEpicsAndLeavesOutSubtasks(t *testing.T) {
	now := time.Now()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	issues := demoIssues(now)
	issues = append(issues,
		domain.Issue{ID: "20001", Key: "SHOP-20", ProjectKey: "SHOP", Type: domain.TypeEpic, Summary: "Order history", StatusCat: domain.StatusToDo, Created: now, Updated: now},
		domain.Issue{ID: "20002", Key: "SHOP-21", ProjectKey: "SHOP", Type: domain.TypeSubtask, Summary: "Write the date filter query", StatusCat: domain.StatusToDo, Created: now, Updated: now})
	for i := range issues {
		if issues[i].Key == "SHOP-1" || issues[i].Key == "SHOP-2" || issues[i].Key == "SHOP-6" {
			issues[i].EpicKey = "SHOP-20" // SHOP-6 is done: not counted
		}
	}
	got := u.seedAnalysed(issues, now)
	type row struct {
		Key    string `json:"key"`
		Type   string `json:"type"`
		RollUp *struct {
			Open, MeanScore, Must int
		} `json:"rollUp"`
	}
	w := u.page("/project?projectKey=SHOP&projectId=10000")
	body := w.Body.String()
	start := strings.Index(body, `id="bai-data">`)
	if w.Code != 200 || start < 0 {
		t.Fatalf("project page: %d", w.Code)
	}
	body = body[start+len(`id="bai-data">`):]
	var data struct {
		Backlog struct {
			Rows  []row `json:"rows"`
			Total int   `json:"total"`
		} `json:"backlog"`
	}
	if err := json.Unmarshal([]byte(body[:strings.Index(body, "</script>")]), &data); err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, is := range issues {
		if is.Open() && is.Type != domain.TypeSubtask {
			open++
		}
	}
	if data.Backlog.Total != open {
		t.Errorf("backlog %d issues, want the %d open ones without the sub-task", data.Backlog.Total, open)
	}
	found := false
	for _, r := range data.Backlog.Rows {
		if r.Type == string(domain.TypeSubtask) {
			t.Errorf("sub-task %s in the default backlog", r.Key)
		}
		if (r.RollUp != nil) != (r.Key == "SHOP-20") {
			t.Errorf("%s roll-up %+v", r.Key, r.RollUp)
		}
		if r.Key == "SHOP-20" {
			found = true
			mean := int((got["SHOP-1"].Score.Total + got["SHOP-2"].Score.Total) / 2)
			if r.RollUp.Open != 2 || r.RollUp.MeanScore != mean {
				t.Errorf("epic roll-up %+v, want 2 open with mean %d", *r.RollUp, mean)
			}
		}
	}
	if !found {
		t.Error("no epic row")
	}
	// The Strategy preview ranks the same list.
	var rr struct {
		Rows  []row `json:"rows"`
		Total int   `json:"total"`
	}
	w = u.api("POST", "/api/projects/SHOP/rerank", "SHOP", "", map[string]any{"weights": []float64{1, 1, 1, 1, 1}, "limit": 100})
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &rr) != nil || rr.Total != open || len(rr.Rows) != open {
		t.Fatalf("preview: %d, %d rows of %d, want %d: %s", w.Code, len(rr.Rows), rr.Total, open, w.Body)
	}
	for _, r := range rr.Rows {
		if r.Type == string(domain.TypeSubtask) {
			t.Errorf("sub-task %s in the preview", r.Key)
		}
	}
}
