package domain_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/backlogai/backlogai/server/domain"
)

func TestTrendOf(t *testing.T) {
	day := time.Date(2026, 5, 31, 23, 30, 0, 0, time.FixedZone("east", -2*3600)) // June 1st in UTC
	an := func(total float64, m domain.Moscow) *domain.Analysis {
		return &domain.Analysis{Score: domain.Score{Total: total, Moscow: m}}
	}
	tests := []struct {
		name string
		open []*domain.Analysis
		want domain.TrendPoint
	}{
		{"empty", nil, domain.TrendPoint{Day: "2026-06-01"}},
		{"counts and mean rounded to a tenth", []*domain.Analysis{
			an(80, domain.MoscowMust), an(61, domain.MoscowShould), an(60, domain.MoscowShould),
			an(30, domain.MoscowCould), an(10, domain.MoscowWont), an(5, domain.MoscowDone),
		}, domain.TrendPoint{Day: "2026-06-01", MeanScore: 41, Open: 6, Count: [4]int{1, 2, 1, 1}}},
		{"mean 33.33 rounds to 33.3", []*domain.Analysis{an(100, domain.MoscowMust), an(0, domain.MoscowWont), an(0, domain.MoscowWont)},
			domain.TrendPoint{Day: "2026-06-01", MeanScore: 33.3, Open: 3, Count: [4]int{1, 0, 0, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, domain.TrendOf(day, tt.open)); diff != "" {
				t.Errorf("TrendOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccessToken(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tok := &domain.AccessToken{Projects: []string{"SHOP", "OPS"}, ExpiresAt: now.Add(time.Hour)}
	if !tok.Active(now) || tok.Active(now.Add(time.Hour)) {
		t.Errorf("active until its expiry, exclusive: %v %v", tok.Active(now), tok.Active(now.Add(time.Hour)))
	}
	if !tok.Allows("OPS") || tok.Allows("HR") || tok.Allows("") {
		t.Error("a token allows exactly its projects")
	}
	revoked := now.Add(-time.Minute)
	tok.RevokedAt = &revoked
	if tok.Active(now) {
		t.Error("a revoked token is not active")
	}
}

func TestUsagePeriod(t *testing.T) {
	// 00:30 on June 1st at UTC+2 is still May in UTC.
	at := time.Date(2026, 6, 1, 0, 30, 0, 0, time.FixedZone("plus2", 2*3600))
	if got := domain.UsagePeriod(at); got != "2026-05" {
		t.Errorf("UsagePeriod = %q, want 2026-05", got)
	}
}
