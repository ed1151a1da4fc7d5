// Package llm is the app's client of a chat-completions LLM: OpenAI or any
// server speaking its wire format (github.com/sashabaranov/go-openai).
//
// Every call asks for structured output (response_format json_schema,
// strict), checks the decoded JSON against that schema, and makes exactly
// one repair attempt when the answer is invalid or truncated. Each HTTP
// attempt has a timeout; 429 and 5xx answers are retried with backoff,
// honouring Retry-After, retry-after-ms and x-ratelimit-reset-*. A Meter
// sees every call before it is made (a monthly budget can refuse it) and
// its token usage and cost after.
package llm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	openai "github.com/sashabaranov/go-openai"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/retry"
)

// Defaults for Config fields left zero.
const (
	DefaultBaseURL    = "https://api.openai.com/v1"
	DefaultModel      = "gpt-4o-mini"
	DefaultTimeout    = 60 * time.Second
	DefaultMaxRetries = 3
	DefaultMaxWait    = 20 * time.Second
	DefaultMaxTokens  = 4096
)

// ErrInvalidOutput is wrapped when the model's answer is still not valid
// JSON for the schema after the repair attempt, or was refused.
var ErrInvalidOutput = errors.New("llm: invalid output")

// Meter gates and records calls; the generation service backs it with the
// tenant's monthly usage row.
type Meter interface {
	// Allow returns an error wrapping domain.ErrBudget when no more calls
	// may be made.
	Allow(ctx context.Context) error
	// Record adds the usage of one answered call.
	Record(ctx context.Context, u Usage) error
}

// Usage is the token count and cost of one or more calls.
type Usage struct {
	Model            string `json:"model"`
	Calls            int    `json:"calls"`
	PromptTokens     int    `json:"promptTokens"`
	CompletionTokens int    `json:"completionTokens"`
	// CostMicroUSD is the cost in millionths of a US dollar (see Cost).
	CostMicroUSD int64 `json:"costMicroUsd"`
}

func (u *Usage) add(v Usage) {
	if u.Model == "" {
		u.Model = v.Model
	}
	u.Calls += v.Calls
	u.PromptTokens += v.PromptTokens
	u.CompletionTokens += v.CompletionTokens
	u.CostMicroUSD += v.CostMicroUSD
}

// Config configures a Client. Zero values pick the defaults.
type Config struct {
	APIKey string
	// NoKey allows an empty APIKey: a local OpenAI-compatible server that
	// takes none (no Authorization header is sent then).
	NoKey   bool
	BaseURL string // e.g. https://api.openai.com/v1 or http://localhost:11434/v1
	Model   string
	// HTTP sends the requests (its Timeout, if any, bounds each attempt too).
	HTTP *http.Client
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration
	// MaxRetries is how many times a 429, 5xx, timeout or transport error
	// is retried (negative: never).
	MaxRetries int
	// MaxWait is the longest wait a rate limit answer may ask for; a
	// longer one fails at once with domain.ErrRateLimited so that a job
	// can be rescheduled instead of holding a worker.
	MaxWait time.Duration
	Meter   Meter
	Logger  *slog.Logger
	// Sleep and Rand are the wait and the jitter source; tests inject them.
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
}

// Client calls one LLM endpoint with one model. Safe for concurrent use.
type Client struct {
	cfg Config
	api *openai.Client

	mu      sync.Mutex
	schemas map[[32]byte]*jsonschema.Schema
}

// New returns a client; the API key is required unless cfg.NoKey.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" && !cfg.NoKey {
		return nil, fmt.Errorf("llm: new client: no API key: %w", domain.ErrInvalid)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Sleep == nil {
		cfg.Sleep = retry.Sleep
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = cfg.BaseURL
	oc.HTTPClient = &headerDoer{next: cfg.HTTP}
	return &Client{cfg: cfg, api: openai.NewClientWithConfig(oc), schemas: map[[32]byte]*jsonschema.Schema{}}, nil
}

// HasKey reports whether the client sends an API key.
func (c *Client) HasKey() bool { return c.cfg.APIKey != "" }

// Model is the model the client asks for.
func (c *Client) Model() string { return c.cfg.Model }

// Request is one structured-output call.
type Request struct {
	// Name names the schema in the request (letters, digits, _ and -).
	Name string
	// Schema is a JSON schema the provider's strict mode accepts: every
	// object lists all its properties as required and sets
	// additionalProperties false.
	Schema json.RawMessage
	System string
	User   string
	// MaxTokens bounds the answer (default 4096).
	MaxTokens int
	// Temperature (ignored for reasoning models, which fix it).
	Temperature float32
}

// Result describes how a call went.
type Result struct {
	Usage Usage
	// Repaired: the first answer was invalid and the repair attempt fixed it.
	Repaired bool
	// Content is the JSON the model finally answered.
	Content string
}

// Complete sends req, checks the answer against req.Schema (one repair
// attempt if it does not pass) and decodes it into out. Errors wrap
// domain.ErrBudget (the meter refused), domain.ErrRateLimited (a rate
// limit outlasting MaxWait or the retries), domain.ErrUnavailable
// (timeouts, 5xx, transport), ErrInvalidOutput, or are an *APIError.
func (c *Client) Complete(ctx context.Context, req Request, out any) (Result, error) {
	var res Result
	sch, err := c.schema(req.Schema)
	if err != nil {
		return res, fmt.Errorf("llm: %s: %w", req.Name, err)
	}
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: req.System},
		{Role: openai.ChatMessageRoleUser, Content: req.User},
	}
	for attempt := 0; attempt < 2; attempt++ {
		resp, err := c.send(ctx, req, msgs)
		if err != nil {
			return res, fmt.Errorf("llm: %s: %w", req.Name, err)
		}
		u := c.usageOf(resp)
		res.Usage.add(u)
		content, problem := check(resp, sch)
		if problem == "" {
			if err := json.Unmarshal([]byte(content), out); err != nil {
				return res, fmt.Errorf("llm: %s: decode: %w", req.Name, err)
			}
			res.Repaired, res.Content = attempt > 0, content
			return res, nil
		}
		c.cfg.Logger.Warn("llm answer invalid", "schema", req.Name, "attempt", attempt+1, "problem", problem)
		if refused(resp) {
			return res, fmt.Errorf("llm: %s: the model refused: %s: %w", req.Name, problem, ErrInvalidOutput)
		}
		if attempt == 1 {
			return res, fmt.Errorf("llm: %s: %s (after one repair attempt): %w", req.Name, problem, ErrInvalidOutput)
		}
		msgs = append(msgs,
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content},
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: repairPrompt(problem)})
	}
	return res, nil // unreachable
}

func repairPrompt(problem string) string {
	return "Your previous answer cannot be used: " + problem + ". Answer again with only one complete JSON " +
		"object that matches the response schema exactly: every required property present, no other " +
		"properties, no comments or Markdown around it. Keep it short enough to finish."
}

// check returns the answer's content and "" when it is usable, else a
// description of the problem for the repair prompt.
func check(resp openai.ChatCompletionResponse, sch *jsonschema.Schema) (string, string) {
	if len(resp.Choices) == 0 {
		return "", "the answer had no choices"
	}
	ch := resp.Choices[0]
	content := strings.TrimSpace(ch.Message.Content)
	if ch.Message.Refusal != "" {
		return content, "refusal: " + ch.Message.Refusal
	}
	content = stripFence(content)
	if ch.FinishReason == openai.FinishReasonLength {
		return content, "the answer was cut off at the token limit, so the JSON is incomplete"
	}
	if content == "" {
		return content, "the answer was empty"
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(content))
	if err != nil {
		// Prose around the object ("Here are the drafts: {…} Let me
		// know…") costs no repair call when the object itself is whole.
		obj, ok := embeddedObject(content)
		if !ok {
			return content, "the answer is not valid JSON (" + shorten(err.Error(), 200) + ")"
		}
		content = obj
		if inst, err = jsonschema.UnmarshalJSON(strings.NewReader(content)); err != nil {
			return content, "the answer is not valid JSON (" + shorten(err.Error(), 200) + ")"
		}
	}
	if err := sch.Validate(inst); err != nil {
		return content, "the JSON does not match the schema (" + shorten(oneLine(err.Error()), 400) + ")"
	}
	return content, ""
}

// embeddedObject returns the one JSON object inside text with prose (or
// a code fence) around it: from the first '{' to the last '}', when that
// is valid JSON.
func embeddedObject(text string) (string, bool) {
	i, j := strings.IndexByte(text, '{'), strings.LastIndexByte(text, '}')
	if i < 0 || j <= i || (i == 0 && j == len(text)-1) {
		return "", false
	}
	obj := text[i : j+1]
	if !json.Valid([]byte(obj)) {
		return "", false
	}
	return obj, true
}

func refused(resp openai.ChatCompletionResponse) bool {
	return len(resp.Choices) > 0 && resp.Choices[0].Message.Refusal != ""
}

// stripFence removes a Markdown code fence some compatible servers wrap
// JSON in even when asked for structured output.
func stripFence(s string) string {
	if !strings.HasPrefix(s, "```") {
		return s
	}
	s = strings.TrimPrefix(s, "```")
	if nl := strings.IndexByte(s, '\n'); nl >= 0 && !strings.ContainsAny(s[:nl], "{[") {
		s = s[nl+1:]
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (c *Client) usageOf(resp openai.ChatCompletionResponse) Usage {
	model := resp.Model
	if model == "" {
		model = c.cfg.Model
	}
	return Usage{Model: model, Calls: 1, PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens,
		CostMicroUSD: Cost(model, resp.Usage.PromptTokens, resp.Usage.CompletionTokens)}
}

// schema compiles (once) the JSON schema of a request.
func (c *Client) schema(raw json.RawMessage) (*jsonschema.Schema, error) {
	key := sha256.Sum256(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.schemas[key]; ok {
		return s, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("request.json", doc); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	s, err := comp.Compile("request.json")
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	c.schemas[key] = s
	return s, nil
}

// reasoningModel reports models that take max_completion_tokens and a
// fixed temperature.
func reasoningModel(m string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

func (c *Client) chatRequest(req Request, msgs []openai.ChatCompletionMessage) openai.ChatCompletionRequest {
	max := req.MaxTokens
	if max <= 0 {
		max = DefaultMaxTokens
	}
	cr := openai.ChatCompletionRequest{
		Model:    c.cfg.Model,
		Messages: msgs,
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name: req.Name, Schema: req.Schema, Strict: true,
			},
		},
	}
	if reasoningModel(c.cfg.Model) {
		cr.MaxCompletionTokens = max
	} else {
		//lint:ignore SA1019 max_tokens is what OpenAI-compatible servers other than OpenAI's understand.
		cr.MaxTokens = max
		cr.Temperature = req.Temperature
	}
	return cr
}

// send makes one call with retries.
func (c *Client) send(ctx context.Context, req Request, msgs []openai.ChatCompletionMessage) (openai.ChatCompletionResponse, error) {
	cr := c.chatRequest(req, msgs)
	for attempt := 1; ; attempt++ {
		if c.cfg.Meter != nil {
			if err := c.cfg.Meter.Allow(ctx); err != nil {
				return openai.ChatCompletionResponse{}, err
			}
		}
		sink := &headerSink{}
		actx, cancel := context.WithTimeout(context.WithValue(ctx, sinkKey{}, sink), c.cfg.Timeout)
		resp, err := c.api.CreateChatCompletion(actx, cr)
		cancel()
		if err == nil {
			if c.cfg.Meter != nil {
				if merr := c.cfg.Meter.Record(ctx, c.usageOf(resp)); merr != nil {
					c.cfg.Logger.Error("llm usage not recorded", "err", merr)
				}
			}
			return resp, nil
		}
		if ctx.Err() != nil {
			return resp, ctxErr(ctx)
		}
		failure := classify(err, sink.get())
		if !failure.retry || attempt > c.cfg.MaxRetries {
			return resp, failure.err
		}
		wait := backoff(attempt, c.cfg.Rand())
		if failure.wait > 0 {
			if failure.wait > c.cfg.MaxWait {
				return resp, fmt.Errorf("rate limited for %s: %w", failure.wait.Round(time.Second), failure.err)
			}
			wait = max(wait, failure.wait)
		}
		c.cfg.Logger.Warn("llm call will retry", "attempt", attempt, "in", wait.Round(time.Millisecond), "err", failure.err)
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return resp, ctxErr(ctx)
		}
	}
}

// ctxErr is the error of an ended context: a deadline the caller set is
// the provider not answering in time (domain.ErrUnavailable).
func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer before the deadline: %w: %w", domain.ErrUnavailable, ctx.Err())
	}
	return ctx.Err()
}
