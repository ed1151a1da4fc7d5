package llm

import (
	"math"
	"strings"
)

// price is a model's list price in US dollars per million tokens, which
// is also micro-dollars per token.
type price struct {
	prefix      string
	input, outp float64
}

// prices are OpenAI's list prices (mid 2025), longest prefix first so that
// "gpt-4o-mini-2024-07-18" matches "gpt-4o-mini" before "gpt-4o".
var prices = []price{
	{"gpt-4.1-nano", 0.10, 0.40},
	{"gpt-4.1-mini", 0.40, 1.60},
	{"gpt-4o-mini", 0.15, 0.60},
	{"gpt-5-nano", 0.05, 0.40},
	{"gpt-5-mini", 0.25, 2.00},
	{"o4-mini", 1.10, 4.40},
	{"o3-mini", 1.10, 4.40},
	{"gpt-4.1", 2.00, 8.00},
	{"gpt-4o", 2.50, 10.00},
	{"gpt-5", 1.25, 10.00},
	{"o3", 2.00, 8.00},
}

// fallbackPrice is charged for models we do not know (self-hosted or
// other providers): deliberately that of a large model, so a budget is
// never overrun by guessing low.
var fallbackPrice = price{"", 2.50, 10.00}

// Cost is the cost in micro-dollars of a call to model with the given
// token counts, rounded up.
func Cost(model string, promptTokens, completionTokens int) int64 {
	p := fallbackPrice
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 { // "openai/gpt-4o-mini" on routers
		m = m[i+1:]
	}
	for _, c := range prices {
		if strings.HasPrefix(m, c.prefix) {
			p = c
			break
		}
	}
	return int64(math.Ceil(float64(promptTokens)*p.input + float64(completionTokens)*p.outp))
}
