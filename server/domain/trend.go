package domain

import (
	"math"
	"time"
)

// TrendPoint is a project's open backlog on one day (UTC).
type TrendPoint struct {
	Day       string  `json:"day"` // 2006-01-02
	MeanScore float64 `json:"meanScore"`
	Open      int     `json:"open"`
	Count     [4]int  `json:"count"` // Must, Should, Could, Won't
}

// TrendOf summarises ranked open analyses as today's trend point.
func TrendOf(day time.Time, open []*Analysis) TrendPoint {
	p := TrendPoint{Day: day.UTC().Format(time.DateOnly), Open: len(open)}
	var sum float64
	for _, a := range open {
		sum += a.Score.Total
		switch a.Score.Moscow {
		case MoscowMust:
			p.Count[0]++
		case MoscowShould:
			p.Count[1]++
		case MoscowCould:
			p.Count[2]++
		case MoscowWont:
			p.Count[3]++
		}
	}
	if len(open) > 0 {
		p.MeanScore = math.Round(10*sum/float64(len(open))) / 10
	}
	return p
}
