package retry_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/retry"
)

func TestParseAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"   ", 0, false},
		{"0", 0, true},
		{"3", 3 * time.Second, true},
		{" 10 ", 10 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"1e300", 1000 * 24 * time.Hour, true},
		{"soon", 0, false},
		{now.Add(42 * time.Second).Format(http.TimeFormat), 42 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := retry.ParseAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := retry.Backoff{Base: 2 * time.Second, Max: 30 * time.Second, Jitter: 0.3}
	tests := []struct {
		n    int
		u    float64
		want time.Duration
	}{
		{0, 0.5, 2 * time.Second},
		{1, 0.5, 4 * time.Second},
		{3, 0.5, 16 * time.Second},
		{4, 0.5, 30 * time.Second},    // capped
		{1000, 0.5, 30 * time.Second}, // no overflow
		{0, 0, 1400 * time.Millisecond},
		{2, 0, 5600 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := b.Delay(tt.n, tt.u); got != tt.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.n, tt.u, got, tt.want)
		}
	}
	if got := b.Delay(2, 0.999999); got <= 10*time.Second || got > 10400*time.Millisecond {
		t.Errorf("Delay(2, ~1) = %v, want just under 10.4 s", got)
	}
	if got := (retry.Backoff{Base: time.Second, Max: 16 * time.Second}).Delay(2, 0.9); got != 4*time.Second {
		t.Errorf("no jitter: Delay(2) = %v, want 4s", got)
	}
}

func TestSleep(t *testing.T) {
	if err := retry.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := retry.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on an ended context = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Sleep on an ended context took %v", el)
	}
	if err := retry.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(0) on an ended context = %v, want context.Canceled", err)
	}
	if err := retry.Sleep(context.Background(), -time.Second); err != nil {
		t.Errorf("Sleep(<0) = %v, want nil", err)
	}
}
