package domain

import "testing"

func TestSignalTitleReadsAsWords(t *testing.T) {
	for signal, want := range map[string]string{
		"forced_must":      "due date and priority",
		"backlog_relative": "place in the backlog",
		"due_date":         "due date",
		"votes":            "votes",
	} {
		if got := SignalTitle(signal); got != want {
			t.Errorf("SignalTitle(%q) = %q, want %q", signal, got, want)
		}
	}
}
