package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

func TestIssueHistoryEndpoint(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	res := u.seedAnalysed(demoIssues(now), now)
	a := res["SHOP-1"]
	a.Score.Total -= 12
	a.Score.Pillars[0].Value -= 2
	if err := u.ts.SaveResults(context.Background(), "SHOP", []store.ResultInput{{Issue: domain.Issue{Key: "SHOP-1", Type: domain.TypeStory}, Analysis: &a}}); err != nil {
		t.Fatal(err)
	}
	w := u.api("GET", "/api/issues/SHOP-1/history", "", "SHOP-1", nil)
	if w.Code != 200 {
		t.Fatalf("history: %d %s", w.Code, w.Body)
	}
	var h struct {
		Points     []store.ScorePoint `json:"points"`
		LastChange string             `json:"lastChange"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Points) != 2 || !strings.Contains(h.LastChange, "(−1") || !strings.Contains(h.LastChange, "User Value −2.0") {
		t.Fatalf("history %d points, last change %q", len(h.Points), h.LastChange)
	}
	if w := u.api("GET", "/api/issues/OPS-1/history", "", "SHOP-1", nil); w.Code != 403 {
		t.Fatalf("another project's issue: %d", w.Code)
	}
}

func TestValueEffortAndTrendEndpoints(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	u.seedAnalysed(demoIssues(now), now)
	w := u.api("GET", "/api/projects/SHOP/value-effort", "SHOP", "", nil)
	if w.Code != 200 {
		t.Fatalf("value-effort: %d %s", w.Code, w.Body)
	}
	var ve struct {
		Points []struct {
			Key    string  `json:"key"`
			Value  int     `json:"value"`
			Effort float64 `json:"effort"`
		} `json:"points"`
		MedianValue  float64 `json:"medianValue"`
		MedianEffort float64 `json:"medianEffort"`
		Unplaced     int     `json:"unplaced"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &ve); err != nil {
		t.Fatal(err)
	}
	if len(ve.Points)+ve.Unplaced == 0 {
		t.Fatalf("no open issue on the chart or unplaced: %s", w.Body)
	}
	for i, p := range ve.Points {
		if p.Effort <= 0 || (i > 0 && p.Value > ve.Points[i-1].Value) {
			t.Fatalf("point %d %+v out of order or without effort", i, p)
		}
	}
	if len(ve.Points) > 0 && ve.MedianEffort <= 0 {
		t.Fatalf("median effort %v", ve.MedianEffort)
	}
	if err := u.ts.RecordTrend(context.Background(), "SHOP", domain.TrendPoint{Day: now.Format(time.DateOnly), MeanScore: 51.5, Open: 4, Count: [4]int{1, 1, 1, 1}}); err != nil {
		t.Fatal(err)
	}
	w = u.api("GET", "/api/projects/SHOP/trend", "SHOP", "", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"meanScore":51.5`) {
		t.Fatalf("trend: %d %s", w.Code, w.Body)
	}
	if w := u.api("GET", "/api/projects/OPS/trend", "SHOP", "", nil); w.Code != 403 {
		t.Fatalf("another project's trend: %d", w.Code)
	}
}

func TestStrategyFrameworkValidation(t *testing.T) {
	u := newUIEnv(t, false)
	u.activate("SHOP")
	tests := []struct {
		name, path, method string
		fw                 *domain.FrameworkConfig
		want               string
	}{
		// Saving runs the same validateStrategy; its route needs the
		// analysis service, which this environment leaves out.
		{"unknown framework in preview", "/api/projects/SHOP/rerank", "POST", &domain.FrameworkConfig{Name: "kano"}, "framework.name"},
		{"custom without criteria in preview", "/api/projects/SHOP/rerank", "POST", &domain.FrameworkConfig{Name: "custom"}, "framework.criteria"},
		{"field of another framework in preview", "/api/projects/SHOP/rerank", "POST", &domain.FrameworkConfig{Name: "rice", Fields: map[string]string{"jobSize": "customfield_1"}}, "framework.fields.jobSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := domain.DefaultStrategy()
			st.Framework = tt.fw
			var body any = st
			if tt.method == "POST" {
				body = map[string]any{"weights": st.Weights, "framework": tt.fw}
			}
			w := u.api(tt.method, tt.path, "SHOP", "", body)
			if w.Code != 400 || !strings.Contains(w.Body.String(), tt.want) {
				t.Fatalf("%s %s: %d %s, want 400 naming %s", tt.method, tt.path, w.Code, w.Body, tt.want)
			}
		})
	}
}

func TestPutInputsValidation(t *testing.T) {
	now := time.Now().UTC()
	u := newUIEnv(t, false)
	u.activate("SHOP")
	u.seedAnalysed(demoIssues(now), now)
	put := func(body any) (int, string) {
		w := u.api("PUT", "/api/issues/SHOP-1/inputs", "", "SHOP-1", body)
		return w.Code, w.Body.String()
	}
	if code, body := put(map[string]any{"values": map[string]any{"reach": 5}}); code != 400 || !strings.Contains(body, "five pillars") {
		t.Fatalf("inputs under the pillars: %d %s", code, body)
	}
	st := domain.DefaultStrategy()
	st.Framework = &domain.FrameworkConfig{Name: "rice"}
	if err := u.ts.SetStrategy(context.Background(), "SHOP", st); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		body any
		want string
	}{
		{map[string]any{"values": map[string]any{}}, "values: give at least one input"},
		{map[string]any{"values": map[string]any{"impact": 4}}, "values.impact"},
		{map[string]any{"values": map[string]any{"effort": 0}}, "values.effort"},
		{map[string]any{"values": map[string]any{"ease": 3}}, "values.ease"},
	}
	for _, tt := range tests {
		if code, body := put(tt.body); code != 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%v: %d %s, want 400 naming %s", tt.body, code, body, tt.want)
		}
	}
	if code, _ := put(map[string]any{"values": map[string]any{"reach": 500}}); code != 503 {
		t.Errorf("valid inputs without the analysis service: %d, want 503", code)
	}
	if w := u.api("PUT", "/api/issues/OPS-1/inputs", "", "SHOP-1", map[string]any{"values": map[string]any{"reach": 5}}); w.Code != 403 {
		t.Errorf("another project's issue: %d", w.Code)
	}
}
