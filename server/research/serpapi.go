// Package research grounds generated stories: a web provider (SerpAPI's
// Google results turned into trends, competitor features, differentiators,
// pain points and dated sources, cached per tenant and query, within a
// per-tenant monthly quota) and an internal provider (similar existing
// issues of the project with their votes, from the duplicate index).
package research

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// DefaultSerpAPIURL is SerpAPI's base URL.
const DefaultSerpAPIURL = "https://serpapi.com"

// SerpAPI is a client of SerpAPI's Google search (GET /search.json,
// engine=google).
type SerpAPI struct {
	BaseURL string // default DefaultSerpAPIURL
	APIKey  string
	HTTP    *http.Client // default: 20 s timeout
	// Num, HL and GL are Google's result count, language and country
	// (default 10, "en", "us").
	Num    int
	HL, GL string
}

// SerpResult is the part of a SerpAPI answer research reads; it is also
// what the cache keeps.
type SerpResult struct {
	Organic   []Organic  `json:"organic_results"`
	Questions []Question `json:"related_questions"`
}

// Organic is one organic Google result.
type Organic struct {
	Position int    `json:"position"`
	Title    string `json:"title"`
	Link     string `json:"link"`
	Snippet  string `json:"snippet"`
	Date     string `json:"date,omitempty"`
	Source   string `json:"source,omitempty"`
}

// Question is one "People also ask" entry.
type Question struct {
	Question string `json:"question"`
	Snippet  string `json:"snippet,omitempty"`
	Title    string `json:"title,omitempty"`
	Link     string `json:"link,omitempty"`
	Date     string `json:"date,omitempty"`
}

// Empty reports an answer with nothing to use (never cached).
func (r *SerpResult) Empty() bool { return len(r.Organic) == 0 && len(r.Questions) == 0 }

// SerpError is an error answer of SerpAPI. It unwraps to
// domain.ErrUnauthorized (401/403: a bad or exhausted key),
// domain.ErrRateLimited (429) or domain.ErrUnavailable (others).
type SerpError struct {
	Status  int
	Message string
}

func (e *SerpError) Error() string { return fmt.Sprintf("serpapi: %d: %s", e.Status, e.Message) }

// Unwrap maps the status to a domain error.
func (e *SerpError) Unwrap() error {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return domain.ErrUnauthorized
	case e.Status == http.StatusTooManyRequests:
		return domain.ErrRateLimited
	}
	return domain.ErrUnavailable
}

// noResults is SerpAPI's message for a search Google answered with nothing.
const noResults = "hasn't returned any results"

// Search runs one Google search.
func (s *SerpAPI) Search(ctx context.Context, query string) (*SerpResult, error) {
	if s.APIKey == "" {
		return nil, fmt.Errorf("serpapi: no API key: %w", domain.ErrInvalid)
	}
	base := strings.TrimSuffix(s.BaseURL, "/")
	if base == "" {
		base = DefaultSerpAPIURL
	}
	httpc := s.HTTP
	if httpc == nil {
		httpc = &http.Client{Timeout: 20 * time.Second}
	}
	num, hl, gl := s.Num, s.HL, s.GL
	if num <= 0 {
		num = 10
	}
	if hl == "" {
		hl = "en"
	}
	if gl == "" {
		gl = "us"
	}
	q := url.Values{"engine": {"google"}, "q": {query}, "api_key": {s.APIKey}, "num": {fmt.Sprint(num)}, "hl": {hl}, "gl": {gl}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/search.json?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("serpapi: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		// The URL carries the key: never let it reach a log.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("serpapi: search: %w: %w", domain.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("serpapi: read answer: %w", err)
	}
	var out struct {
		SerpResult
		Error    string `json:"error"`
		Metadata struct {
			Status string `json:"status"`
		} `json:"search_metadata"`
	}
	jerr := json.Unmarshal(body, &out)
	if resp.StatusCode != http.StatusOK {
		msg := out.Error
		if jerr != nil || msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return nil, &SerpError{Status: resp.StatusCode, Message: msg}
	}
	if jerr != nil {
		return nil, fmt.Errorf("serpapi: decode answer: %w: %w", domain.ErrUnavailable, jerr)
	}
	if out.Error != "" {
		if strings.Contains(out.Error, noResults) {
			return &SerpResult{}, nil
		}
		return nil, &SerpError{Status: resp.StatusCode, Message: out.Error}
	}
	if out.Metadata.Status != "" && out.Metadata.Status != "Success" {
		return nil, &SerpError{Status: http.StatusBadGateway, Message: "search status " + out.Metadata.Status}
	}
	return &out.SerpResult, nil
}
