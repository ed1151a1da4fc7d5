package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// taskServer answers POST properties/multi with a 303 to task 77, whose
// status goes through states.
func taskServer(states ...string) func(n int, w http.ResponseWriter, r *http.Request) {
	polls := 0
	return func(n int, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/properties/multi"):
			w.Header().Set("Location", "/rest/api/3/task/77")
			w.WriteHeader(http.StatusSeeOther)
		case r.URL.Path == "/rest/api/3/task/77":
			st := states[min(polls, len(states)-1)]
			polls++
			jsonReply(w, 200, `{"self":"x","id":"77","description":"set properties","status":"`+st+`","result":"2 issues failed","submittedBy":0,"progress":0,"elapsedRuntime":0,"submitted":0,"lastUpdate":0}`)
		default:
			jsonReply(w, 404, `{"errorMessages":["no"]}`)
		}
	}
}

func TestTaskPolling(t *testing.T) {
	tests := []struct {
		name       string
		states     []string
		follow     bool
		wantErr    bool
		wantSleeps []time.Duration
	}{
		{
			// The first state is what the followed 303 shows.
			name: "completes after backoff", follow: true, states: []string{"ENQUEUED", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "COMPLETE"},
			wantSleeps: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second},
		},
		{name: "303 not followed by the doer", follow: false, states: []string{"COMPLETE"}},
		{name: "complete when the 303 is followed", follow: true, states: []string{"COMPLETE"}},
		{name: "failed task", follow: true, states: []string{"RUNNING", "RUNNING", "FAILED"}, wantErr: true, wantSleeps: []time.Duration{250 * time.Millisecond}},
		{name: "failed at once", follow: true, states: []string{"FAILED"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			c, s := newScripted(t, clock, Options{}, taskServer(tt.states...))
			if !tt.follow {
				plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				var err error
				c, err = New(plain, strings.TrimSuffix(c.api.Site.String(), "/"), Options{Now: clock.Now, Sleep: clock.Sleep})
				if err != nil {
					t.Fatal(err)
				}
			}
			err := c.SetPropertiesBulk(context.Background(), "backlogai", map[string]json.RawMessage{"10001": json.RawMessage(`{"a":1}`), "10002": json.RawMessage(`2`)})
			if tt.wantErr {
				var te *TaskError
				if !errors.As(err, &te) || te.Status != "FAILED" || !strings.Contains(err.Error(), "2 issues failed") {
					t.Fatalf("err = %v, want a FAILED TaskError with the result", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantSleeps, clock.Slept()); diff != "" {
				t.Errorf("poll waits (-want +got):\n%s", diff)
			}
			hits := s.Hits()
			if hits[0].Method != "POST" {
				t.Errorf("first request %+v", hits[0])
			}
			if want := len(tt.states); len(hits) != 1+want && tt.follow {
				t.Errorf("requests = %d, want the POST and %d task reads", len(hits), want)
			}
		})
	}
}
